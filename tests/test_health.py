"""/healthz and /readyz, for load balancers and orchestrators."""

from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_answers_whatever_the_host_and_without_a_query(django_assert_num_queries):
    client = Client(HTTP_HOST="10.0.0.7")  # a load balancer probing by IP
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"


def test_readyz_checks_the_database_and_the_cache():
    response = Client(HTTP_HOST="10.0.0.7").get("/readyz")
    assert response.status_code == 200
    assert response.content == b"ready\n"


def test_readyz_says_what_does_not_answer():
    with mock.patch(
        "iertracker.health.connection.cursor", side_effect=OperationalError("connection refused")
    ):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.content == b"not ready: database\n"
    with mock.patch("iertracker.health.cache.get", return_value=None):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert b"cache" in response.content


def test_other_paths_still_check_the_host():
    assert Client(HTTP_HOST="evil.example").get("/").status_code == 400

"""The API against its own schema: schemathesis generates requests from /api/schema/ (valid ones
and ones the schema refuses) and checks every answer: no 5xx, a status the schema documents,
JSON of the documented shape, invalid input refused and valid input accepted.

Bounded so it runs in the suite: a fixed number of examples per operation and a fixed seed,
so every run sends the same requests (a failure is reproduced by running it again).
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, seed, settings

from iertracker.wsgi import application
from recommendations.editions import publish_edition
from recommendations.models import Recommendation
from recommendations.services import recommendation_update

EXAMPLES = 100  # per operation (valid and invalid requests together)

# The schema /api/schema/ serves (the same generator), read when the tests are collected.
schema = schemathesis.openapi.from_dict(
    json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
)
schema.app = application


@pytest.fixture
def keep_the_connection():
    """schemathesis calls the WSGI application itself, which closes the database connection at
    the end of each request; the test's transaction lives on that connection (on PostgreSQL the
    next request would find it closed). Django's test client does the same as this."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def world(db, settings, keep_the_connection):
    # The throttle is for clients on the Internet, not for this test's thousand requests.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/hour", "user": "100000/hour"},
    }
    recommendation_update(
        Recommendation.objects.get(number=14),
        changes={"public_remarks": "Discussed at the Hague Working Group."},
        user=None,
        reason="A change in the history",
        source="admin",
    )
    publish_edition(title="Matrix as of ASP24", user=None, slug="asp24")


@schema.parametrize()
@seed(20261207)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_of_the_api_matches_its_schema(case, world):
    case.call_and_validate()

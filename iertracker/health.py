"""``/healthz`` (the process answers) and ``/readyz`` (the database and the cache answer).

A middleware, first in the list, so that a load balancer probing by IP address is answered
before Django checks the Host header against ALLOWED_HOSTS, and without a session or a
language cookie. Both answer ``text/plain``, never cached.
"""

import logging
import time

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse

logger = logging.getLogger(__name__)


def _plain(body: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(body, content_type="text/plain; charset=utf-8", status=status)
    response["Cache-Control"] = "no-store"
    return response


def readiness() -> list[str]:
    """What does not answer (empty: ready)."""
    problems = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any database error means "not ready"
        logger.warning("readyz: database: %s", error)
        problems.append("database")
    try:
        key = "readyz"
        value = str(time.monotonic())
        cache.set(key, value, 10)
        if cache.get(key) != value:
            problems.append("cache")
    except Exception as error:
        logger.warning("readyz: cache: %s", error)
        problems.append("cache")
    return problems


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return _plain("ok\n")
        if request.path == "/readyz":
            problems = readiness()
            if problems:
                return _plain("not ready: " + ", ".join(problems) + "\n", status=503)
            return _plain("ready\n")
        return self.get_response(request)

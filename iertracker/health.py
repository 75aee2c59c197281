"""``/healthz`` (the process answers) and ``/readyz`` (the database and the cache answer);
``server_error``: a 503 rather than a 500 while the database does not answer.

A middleware, first in the list, so that a load balancer probing by IP address is answered
before Django checks the Host header against ALLOWED_HOSTS, and without a session or a
language cookie. Both answer ``text/plain``, never cached.
"""

import logging
import sys
import time

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

RETRY_AFTER_SECONDS = 5

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


@requires_csrf_token
def server_error(request):
    """``handler500``: the database not answering (being restarted, failing over) is a 503 with
    ``Retry-After``, which load balancers and browsers retry; any other error is the 500 page.

    Django calls it while handling the exception, so ``sys.exception()`` is that exception.
    Neither page reads the database."""
    if isinstance(sys.exception(), (OperationalError, InterfaceError)):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())

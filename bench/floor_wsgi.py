"""The production WSGI application with one more page, ``/bench-trivial/``: "ok" from a view
with no query and no template, through the same middleware. The benchmarks' floor.

    gunicorn -c iertracker/gunicorn.conf.py bench.floor_wsgi:application
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import include, path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iertracker.settings")
application = get_wsgi_application()


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench-trivial/", trivial), path("", include("iertracker.urls"))]
# As in iertracker/urls.py: a 503 while the database does not answer.
handler500 = "iertracker.health.server_error"
# Before the first request: each request resolves against settings.ROOT_URLCONF.
settings.ROOT_URLCONF = __name__

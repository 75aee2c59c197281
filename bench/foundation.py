"""Foundation figures: reference load, demo seeding, and the back-office list under load.

Builds a throwaway test database (Django's test runner machinery), then prints:
- wall time of load_reference_data (first run and an idempotent second run) and seed_demo;
- SQL queries and median time of the admin changelist (100 rows) and the home page (384 rows).
"""

import os
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iertracker.settings")
# The figures are of pages rendered, not served from the public pages' cache (bench/load.py).
os.environ.setdefault("PUBLIC_CACHE_SECONDS", "0")
# WhiteNoise warns that STATIC_ROOT does not exist until collectstatic has run.
warnings.filterwarnings("ignore", "No directory at", UserWarning)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)

from recommendations.demo import demo_seed  # noqa: E402
from recommendations.reference import load_reference_data  # noqa: E402

REPEAT = 30


def timed(label, func):
    start = time.perf_counter()
    func()
    print(f"{label:<42} {time.perf_counter() - start:8.2f} s")


def page(client, label, url):
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    count = len(queries)  # read now: the next request empties the query log
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
    assert response.status_code == 200, response.status_code
    print(
        f"{label:<42} {count:3d} queries  median {statistics.median(times) * 1000:7.1f} ms"
        f"  p90 {sorted(times)[int(REPEAT * 0.9) - 1] * 1000:7.1f} ms"
    )


def main():
    setup_test_environment(debug=False)  # as in production: no query log, no debug pages
    settings.ALLOWED_HOSTS = ["testserver"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"database: {connection.vendor} ({name})")
        timed("load_reference_data (empty database)", load_reference_data)
        timed("load_reference_data (second run)", load_reference_data)
        timed("seed_demo (384 recommendations)", demo_seed)
        from django.test import Client

        user = get_user_model().objects.create_superuser("bench", password="bench")
        client = Client()
        client.force_login(user)
        page(client, "admin changelist, 100 rows", "/admin/recommendations/recommendation/")
        page(
            client,
            "admin changelist, search R14-R20",
            "/admin/recommendations/recommendation/?q=R14-R20",
        )
        page(client, "home page, 384 rows", "/")
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()

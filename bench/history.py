"""Pages against the length of the history: time and SQL queries on a fresh database, then
after ``grow_history`` has added years of use (bench/grow_history.py), in one run.

Builds a throwaway test database with the reference and demonstration data and prints, for
each page: queries and median server time (Django test client, DEBUG off, the public cache
off) with its ratio to the floor (a trivial view through the same middleware), first on the
fresh database, then grown, and the growth. The goal (issue 16): every page within 1.5x of
its fresh time, with the same number of queries. "as of, first" is the first request of the
Matrix as of a day no request has asked for (a new day each time it is measured).

    .venv/bin/python bench/history.py                       # SQLite, 10 years
    DATABASE_URL=postgres://... .venv/bin/python bench/history.py --years 10
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iertracker.settings")
os.environ.setdefault("PUBLIC_CACHE_SECONDS", "0")  # pages rendered, not served from the cache

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from grow_history import grow_history  # noqa: E402
from public_pages import TRIVIAL, bench_urls  # noqa: E402

from recommendations.demo import demo_seed  # noqa: E402
from recommendations.editions import publish_edition  # noqa: E402
from recommendations.models import Recommendation  # noqa: E402
from recommendations.reference import load_reference_data  # noqa: E402

REQUESTS = 20


def pages() -> list[tuple[str, str, bool]]:
    """(label, URL, signed in as a superuser)."""
    r14 = Recommendation.objects.get(number=14).pk
    return [
        ("floor", TRIVIAL, False),
        ("/feeds/changes.atom", "/feeds/changes.atom", False),
        ("/compare/ first edition to live", "/compare/?from=bench-start&to=live", False),
        ("/recommendations/R14/", "/recommendations/R14/", False),
        ("API R14 history", "/api/v1/recommendations/R14/history/", False),
        ("dashboard", "/", False),
        ("Matrix (all rows)", "/matrix/", False),
        ("mandate-holder report", "/mandate-holders/registry/report/", False),
        ("R14 feed", "/recommendations/R14/feed.atom", False),
        (
            "admin History of R14",
            f"/{settings.ADMIN_URL}recommendations/recommendation/{r14}/history/",
            True,
        ),
        ("admin list (100 rows)", f"/{settings.ADMIN_URL}recommendations/recommendation/", True),
    ]


def measure(client: Client, url: str) -> tuple[int, float]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    count = len(queries)
    client.get(url)
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - start)
    return count, statistics.median(times)


def as_of_first(client: Client, days_ago: int) -> tuple[int, float]:
    """The first request of the Matrix as of a day not asked for before: median of 5 days."""
    counts, times = [], []
    for offset in range(5):
        day = datetime.date.today() - datetime.timedelta(days=days_ago + offset)
        url = f"/matrix/?as_of={day.isoformat()}"
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
        counts.append(len(queries))
    return max(counts), statistics.median(times)


def figures(anonymous: Client, staff: Client, as_of_days: int) -> dict[str, tuple[int, float]]:
    result = {}
    for label, url, signed_in in pages():
        result[label] = measure(staff if signed_in else anonymous, url)
    result["Matrix as of a day, first request"] = as_of_first(anonymous, as_of_days)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    options = parser.parse_args()
    setup_test_environment(debug=False)
    settings.ALLOWED_HOSTS = ["testserver"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(
            f"database: {connection.vendor}; {os.cpu_count()} CPUs, load average"
            f" {os.getloadavg()[0]:.1f}; medians of {REQUESTS}, ms (queries)"
        )
        load_reference_data()
        demo_seed()
        publish_edition(title="Bench start", user=None, slug="bench-start")
        admin = get_user_model().objects.create_superuser("bench-admin", "b@example.org", "x")
        anonymous, staff = Client(), Client()
        staff.force_login(admin)
        with override_settings(ROOT_URLCONF=bench_urls.__name__, MFA_REQUIRED=False):
            before = figures(anonymous, staff, 40)
            history_before = Recommendation.history.count()
            start = time.perf_counter()
            added = grow_history(options.years)
            grown_in = time.perf_counter() - start
            after = figures(anonymous, staff, 400)
        print(
            f"history records {history_before:,} -> {Recommendation.history.count():,}"
            f" (grown in {grown_in:.0f} s: {added})\n"
        )
        floor_before, floor_after = before["floor"][1], after["floor"][1]
        print(f"{'page':38} {'fresh':>18} {'grown':>18} {'growth':>7}")
        for label, (queries, seconds) in before.items():
            queries_after, seconds_after = after[label]
            print(
                f"{label:38} {seconds * 1000:8.1f} ({queries:3}) {seconds / floor_before:4.0f}x"
                f" {seconds_after * 1000:8.1f} ({queries_after:3}) "
                f"{seconds_after / floor_after:4.0f}x {seconds_after / seconds:6.1f}x"
            )
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()

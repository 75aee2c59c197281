"""Editions, comparisons and the Matrix as of a date: time, peak memory and SQL queries.

Builds a throwaway test database with the reference and demonstration data (their history
dated 30 days ago, so that "as of" a past day has rows), then prints:
- publishing an edition of the 384 rows (time, Python peak memory, queries);
- comparing two editions (the function, and the /compare/ page: median of 20);
- the Matrix as of a past day (read from the history, nothing written): the first request
  and the following ones (median of 20), beside the live Matrix;
- publishing an edition of 38,400 synthetic rows (bench/public_pages.grow).

Targets at 384 rows, on PostgreSQL: publish under 1 s, compare under 200 ms, the as-of
Matrix under 100 ms.

    .venv/bin/python bench/editions.py
    DATABASE_URL=postgres://... .venv/bin/python bench/editions.py
"""

import datetime
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.conf import settings
from django.db import connection, models, reset_queries
from django.test import Client
from django.test.utils import (
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from django.utils import timezone
from public_pages import grow

from recommendations import editions
from recommendations.demo import demo_seed
from recommendations.models import (
    ChangeSource,
    EditionRow,
    ImplementationStatus,
    Recommendation,
)
from recommendations.reference import load_reference_data
from recommendations.services import recommendation_update

REQUESTS = 20


def measured(function):
    """(result, seconds, peak MiB, queries) of one call."""
    reset_queries()  # the query log is capped: a full one would count nothing
    tracemalloc.start()
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak / 2**20, len(queries)


def median_ms(function, runs=REQUESTS) -> float:
    function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main():
    setup_test_environment(debug=False)
    settings.ALLOWED_HOSTS = ["testserver"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        past = timezone.now() - datetime.timedelta(days=30)
        with mock.patch("simple_history.models.timezone.now", return_value=past):
            load_reference_data()
            demo_seed()
        print(f"database: {connection.vendor}; reference and demo data dated {past:%Y-%m-%d}")

        edition, seconds, peak, queries = measured(
            lambda: editions.publish_edition(title="First", user=None, slug="first")
        )
        print(f"publish 384 rows: {seconds * 1000:.0f} ms, peak {peak:.1f} MiB, {queries} queries")
        rng = random.Random(1)
        statuses = list(ImplementationStatus.objects.all())
        for number in rng.sample(range(1, 385), 100):
            recommendation_update(
                Recommendation.objects.get(number=number),
                changes={"implementation_status": rng.choice(statuses)},
                user=None,
                reason="bench",
                source=ChangeSource.ADMIN,
            )
        editions.publish_edition(title="Second", user=None, slug="second")
        first = editions.RowSource(edition=edition)
        second = editions.RowSource(edition=editions.Edition.objects.get(slug="second"))
        result = editions.compare(first, second)
        compare_ms = median_ms(lambda: editions.compare(first, second))
        print(
            f"compare two editions (function): {compare_ms:.1f} ms median;"
            f" {len(result.changed)} changed"
        )
        client = Client()
        for label, url in (
            ("/compare/ page, two editions", "/compare/?from=first&to=second"),
            ("/compare/ page, edition to now", "/compare/?from=first&to=live"),
            ("edition Matrix", "/editions/second/"),
            ("live Matrix", "/matrix/"),
        ):
            print(f"{label}: {median_ms(lambda url=url: client.get(url)):.1f} ms median")

        day = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
        url = f"/matrix/?as_of={day}"
        _response, seconds, peak, queries = measured(lambda: client.get(url))
        print(
            f"Matrix as of {day}, first request: {seconds * 1000:.0f} ms,"
            f" peak {peak:.1f} MiB, {queries} queries"
        )
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, response.status_code
        count = len(captured)
        print(
            f"Matrix as of {day}, later requests: {median_ms(lambda: client.get(url)):.1f} ms"
            f" median, {count} queries"
        )
        dashboard_ms = median_ms(lambda: client.get(f"/?as_of={day}"))
        print(f"dashboard as of {day}: {dashboard_ms:.1f} ms median")

        total = grow(100)
        if connection.vendor == "postgresql":
            with connection.schema_editor() as editor:
                wide = models.PositiveIntegerField()
                wide.set_attributes_from_name("number")
                wide.model = EditionRow
                editor.alter_field(EditionRow, EditionRow._meta.get_field("number"), wide)
            # PostgreSQL's bulk insert casts to the field's type: make it the new one.
            field = EditionRow._meta.get_field("number")
            field.db_type = wide.db_type
            field.cast_db_type = wide.cast_db_type
        _edition, seconds, peak, queries = measured(
            lambda: editions.publish_edition(title="Large", user=None, slug="large")
        )
        print(f"publish {total:,} rows: {seconds:.2f} s, peak {peak:.0f} MiB, {queries} queries")
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()

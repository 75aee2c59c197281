"""Public pages: server time and SQL queries, then the Matrix with 100 times the rows.

Builds a throwaway test database (Django's test runner machinery), loads the reference and
demonstration data, then prints:
- for the dashboard, the Matrix (all rows, filtered, text search), a recommendation page and a
  mandate-holder page: SQL queries, median and p90 server time (Django test client, DEBUG off,
  anonymous visitor) and the ratio to a trivial view served in the same process (the floor:
  middleware, URL resolving and the test client, with no query and no template);
- the scale test: the same database grown to 38,400 recommendations (synthetic copies of the
  384, numbered R385-R38400, with their mandate-holders and topics), and the Matrix's queries
  and time beside the 384-row figures, then the queries of one request of each other page.
  The number of queries must not change.

Target: the full Matrix on PostgreSQL within 25 ms median.

    .venv/bin/python bench/public_pages.py             # SQLite
    DATABASE_URL=postgres://... .venv/bin/python bench/public_pages.py
    .venv/bin/python bench/public_pages.py --profile   # and cProfile the full Matrix
"""

import argparse
import cProfile
import math
import os
import pstats
import statistics
import sys
import time
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iertracker.settings")
# The figures are of pages rendered, not served from the public pages' cache (bench/load.py).
os.environ.setdefault("PUBLIC_CACHE_SECONDS", "0")
# WhiteNoise warns that STATIC_ROOT does not exist until collectstatic has run.
warnings.filterwarnings("ignore", "No directory at", UserWarning)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.db.models import Value  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from django.urls import include, path  # noqa: E402

from recommendations.demo import demo_seed  # noqa: E402
from recommendations.models import (  # noqa: E402
    NUMBER_MAX,
    MandateAssignment,
    Recommendation,
)
from recommendations.reference import load_reference_data  # noqa: E402

WARM_UP = 5
REQUESTS = 50
PROFILED_REQUESTS = 20
SCALE = 100  # the scale test holds SCALE * 384 recommendations
TARGET_MS = 25  # the full Matrix, median, on PostgreSQL

TRIVIAL = "/bench-trivial/"
FULL_MATRIX = "/matrix/"
FILTERED_MATRIX = "/matrix/?cluster=I&assessment=none&sort=-changed"
PAGES = [
    ("dashboard", "/"),
    ("Matrix, all rows (100 a page)", FULL_MATRIX),
    ("Matrix, filtered", FILTERED_MATRIX),
    ("Matrix, search 'gravity'", "/matrix/?q=gravity"),
    ("recommendation R14", "/recommendations/R14/"),
    ("mandate-holder: Registry", "/mandate-holders/registry/"),
]
SCALE_PAGES = [
    ("Matrix, page 1", FULL_MATRIX),
    ("Matrix, page 200", "/matrix/?page=200"),
    ("Matrix, filtered", FILTERED_MATRIX),
    ("Matrix, filtered by holder", "/matrix/?mandate_holder=registry&sort=assessment"),
]


def trivial(request):
    return HttpResponse("ok")


# The site's URLs plus the trivial view, as a module so that ROOT_URLCONF can name it.
bench_urls = types.ModuleType("bench_public_pages_urls")
bench_urls.urlpatterns = [
    path(TRIVIAL.strip("/") + "/", trivial),
    path("", include("iertracker.urls")),
]
sys.modules[bench_urls.__name__] = bench_urls


@dataclass
class Figures:
    queries: int
    median: float  # seconds
    p90: float
    rows: int | None  # rows on the page, when the view passes them to the template


def measure(client: Client, url: str) -> Figures:
    """Queries of the first request; median and p90 of REQUESTS after WARM_UP (the first too)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    count = len(queries)  # read now: the next request empties the query log
    assert response.status_code == 200, (url, response.status_code)
    rows = None
    if response.context is not None and "rows" in response.context:
        rows = len(response.context["rows"])
    for _ in range(WARM_UP - 1):
        client.get(url)
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - start)
    times.sort()
    return Figures(count, statistics.median(times), times[math.ceil(len(times) * 0.9) - 1], rows)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


def row_count(figures: Figures) -> str:
    return "-" if figures.rows is None else str(figures.rows)


def page_figures(client: Client) -> dict[str, Figures]:
    floor = measure(client, TRIVIAL)
    print(f"{'page':<32} {'queries':>7} {'median ms':>10} {'p90 ms':>8} {'x trivial':>9}  rows")
    print(
        f"{'trivial view (the floor)':<32} {floor.queries:7d} {ms(floor.median):>10} "
        f"{ms(floor.p90):>8} {1:9.1f}"
    )
    results = {}
    for label, url in PAGES:
        figures = results[url] = measure(client, url)
        print(
            f"{label:<32} {figures.queries:7d} {ms(figures.median):>10} {ms(figures.p90):>8} "
            f"{figures.median / floor.median:9.1f}  {row_count(figures)}"
        )
    matrix = results[FULL_MATRIX].median * 1000
    verdict = "within" if matrix <= TARGET_MS else "OVER"
    print(
        f"target: full Matrix within {TARGET_MS} ms median on PostgreSQL; "
        f"{connection.vendor}: {matrix:.1f} ms ({verdict})"
    )
    return results


def grow(factor: int) -> int:
    """Copy the 384 recommendations cyclically up to ``factor`` * 384 rows; return the total.

    Bench database only: the number range constraint is dropped, and the number column is
    widened (a PositiveSmallIntegerField is a smallint on PostgreSQL, at most 32,767).
    """
    constraints = Recommendation._meta.constraints
    constraint = next(c for c in constraints if c.name.endswith("_number_range"))
    # SQLite drops a constraint by rebuilding the table from the model's current constraints:
    # leave the range out of them while the schema editor runs.
    Recommendation._meta.constraints = [c for c in constraints if c is not constraint]
    try:
        with connection.schema_editor() as editor:
            editor.remove_constraint(Recommendation, constraint)
            if connection.vendor == "postgresql":
                wide = models.PositiveIntegerField(unique=True)
                wide.set_attributes_from_name("number")
                wide.model = Recommendation
                editor.alter_field(Recommendation, Recommendation._meta.get_field("number"), wide)
    finally:
        Recommendation._meta.constraints = constraints

    originals = list(Recommendation.objects.order_by("number"))
    copied = [
        "short_title", "short_title_fr", "text", "text_fr", "cluster_id", "section_id",
        "responsibility", "priority", "assessment_status_id", "assessment_status_changed_at",
        "assessment_status_demo", "implementation_status_id", "implementation_status_changed_at",
        "implementation_status_demo", "public_remarks",
    ]  # fmt: skip
    # Value(): an expression makes Django insert with VALUES; its PostgreSQL bulk insert by
    # UNNEST would cast the numbers to the model field's type, smallint.
    extra = [
        Recommendation(
            number=Value(number),
            **{name: getattr(originals[(number - 1) % len(originals)], name) for name in copied},
        )
        for number in range(NUMBER_MAX + 1, factor * NUMBER_MAX + 1)
    ]
    Recommendation.objects.bulk_create(extra, batch_size=2000)
    # Ids by number, read back (bulk_create need not return them on every backend).
    ids = dict(Recommendation.objects.filter(number__gt=NUMBER_MAX).values_list("number", "pk"))
    by_original = {}
    for assignment in MandateAssignment.objects.order_by("pk"):
        by_original.setdefault(assignment.recommendation_id, []).append(assignment)
    links = Recommendation.topics.through
    topics_by_original = {}
    for link in links.objects.order_by("pk"):
        topics_by_original.setdefault(link.recommendation_id, []).append(link.topic_id)
    assignments, topic_links = [], []
    for number, pk in ids.items():
        original = originals[(number - 1) % len(originals)].pk
        assignments += [
            MandateAssignment(
                recommendation_id=pk,
                mandate_holder_id=a.mandate_holder_id,
                role=a.role,
                note=a.note,
                is_demo=a.is_demo,
            )
            for a in by_original.get(original, [])
        ]
        topic_links += [
            links(recommendation_id=pk, topic_id=topic)
            for topic in topics_by_original.get(original, [])
        ]
    MandateAssignment.objects.bulk_create(assignments, batch_size=2000)
    links.objects.bulk_create(topic_links, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"added {len(extra):,} recommendations, {len(assignments):,} mandate-holder assignments,"
        f" {len(topic_links):,} topic links"
    )
    return Recommendation.objects.count()


def once(client: Client, url: str) -> Figures:
    """Queries and time of one request (pages too slow to repeat at scale)."""
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    rows = None
    if response.context is not None and "rows" in response.context:
        rows = len(response.context["rows"])
    return Figures(len(queries), elapsed, elapsed, rows)


def scale_test(client: Client, before: dict[str, Figures]) -> None:
    for _label, url in SCALE_PAGES:
        if url not in before:
            before[url] = measure(client, url)
    start = time.perf_counter()
    total = grow(SCALE)
    print(f"grown to {total:,} recommendations in {time.perf_counter() - start:.1f} s")
    print(
        f"{'page':<30} {'queries':>9} {f'{NUMBER_MAX} rows':>10} {f'{total:,} rows':>12}"
        f" {'rows on page':>13}"
    )
    matrix = set(dict(SCALE_PAGES).values())
    others = [(label, url) for label, url in PAGES if url not in matrix]
    changed = []
    for label, url in SCALE_PAGES + others:
        was = before[url]
        now = measure(client, url) if url in matrix else once(client, url)
        if now.queries != was.queries:
            changed.append(f"{label}: {was.queries} -> {now.queries}")
        kind = "median ms" if url in matrix else "1 request"
        print(
            f"{label:<30} {was.queries:3d} {'=' if now.queries == was.queries else '!=':>2}"
            f" {now.queries:<3d}{ms(was.median):>10} {ms(now.median):>12}"
            f" {row_count(was):>6} {row_count(now):>6}  {kind}"
        )
    print(f"(page 200 of {NUMBER_MAX} rows is the last page, 4, with a warning)")
    print(
        "query counts independent of the number of rows"
        if not changed
        else "QUERY COUNT CHANGES WITH THE NUMBER OF ROWS: " + "; ".join(changed)
    )


def profile(client: Client, url: str) -> None:
    """cProfile ``PROFILED_REQUESTS`` requests; top cumulative entries in our code and templates."""
    for _ in range(WARM_UP):
        client.get(url)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(PROFILED_REQUESTS):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = sum(tt for _cc, _nc, tt, _ct, _callers in stats.values())
    print(f"\ncProfile, {PROFILED_REQUESTS} requests of {url}: {total:.2f} s in all")
    ours = (str(ROOT / "recommendations"), str(ROOT / "iertracker"))
    for title, keep in (
        ("our code", lambda filename: filename.startswith(ours)),
        ("django.template", lambda filename: f"{os.sep}django{os.sep}template{os.sep}" in filename),
    ):
        entries = sorted(
            ((ct, nc, tt, key) for key, (_cc, nc, tt, ct, _callers) in stats.items()
             if keep(key[0])),
            reverse=True,
        )  # fmt: skip
        print(f"top 15 by cumulative time, {title} (ms per request):")
        print(f"{'cumulative':>10} {'own':>8} {'calls':>8}  function")
        for ct, nc, tt, (filename, line, function) in entries[:15]:
            where = (
                os.path.relpath(filename, ROOT)
                if filename.startswith(str(ROOT))
                else (filename[filename.rindex(f"{os.sep}django{os.sep}") + 1 :])
            )
            print(
                f"{ct * 1000 / PROFILED_REQUESTS:10.2f} {tt * 1000 / PROFILED_REQUESTS:8.2f} "
                f"{nc // PROFILED_REQUESTS:8d}  {where}:{line} {function}"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="cProfile the full Matrix")
    parser.add_argument("--no-scale", action="store_true", help="skip the scale test")
    options = parser.parse_args()

    setup_test_environment(debug=False)  # as in production: no query log, no debug pages
    settings.ALLOWED_HOSTS = ["testserver"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(
            f"database: {connection.vendor} ({name}); {os.cpu_count()} CPUs, load average"
            f" {os.getloadavg()[0]:.1f} (others' work on a shared machine skews the times)"
        )
        load_reference_data()
        demo_seed()
        client = Client()  # an anonymous visitor, as the public sees the pages
        with override_settings(ROOT_URLCONF=bench_urls.__name__):
            before = page_figures(client)
            if options.profile:
                profile(client, FULL_MATRIX)
            if not options.no_scale:
                print(f"\nscale test: {SCALE} times the data")
                scale_test(client, before)
                if options.profile:
                    profile(client, FULL_MATRIX)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()

"""Progress reporting: server time and SQL queries of the reporting pages, at full size.

Builds a throwaway test database, loads the reference data, makes the Office of the Prosecutor
lead all 384 recommendations (synthetic, for load only), gives it a focal point, and fills in
UPDATES_PER_ROW accepted updates per recommendation plus WAITING submitted ones. Then prints, for
each page, its queries and median / p90 server time (Django test client, DEBUG off), and the
median time of the two writes of the workflow (submit, accept with a status change).

    .venv/bin/python bench/reporting.py
    DATABASE_URL=postgres://... .venv/bin/python bench/reporting.py
"""

import datetime
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iertracker.settings")
# The figures are of pages rendered, not served from the public pages' cache (bench/load.py).
os.environ.setdefault("PUBLIC_CACHE_SECONDS", "0")
warnings.filterwarnings("ignore", "No directory at", UserWarning)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from django.utils import timezone  # noqa: E402

from recommendations import reporting  # noqa: E402
from recommendations.models import (  # noqa: E402
    FocalPoint,
    ImplementationStatus,
    MandateAssignment,
    MandateHolder,
    ProgressUpdate,
    Recommendation,
)
from recommendations.reference import load_reference_data  # noqa: E402
from recommendations.roles import FOCAL_POINT, SECRETARIAT  # noqa: E402

REQUESTS = 30
WARM_UP = 3
UPDATES_PER_ROW = 3
WAITING = 100


def build():
    load_reference_data()
    User = get_user_model()
    otp = MandateHolder.objects.get(slug="otp")
    MandateAssignment.objects.filter(mandate_holder=otp).delete()
    MandateAssignment.objects.bulk_create(
        MandateAssignment(recommendation=rec, mandate_holder=otp)
        for rec in Recommendation.objects.exclude(assignments__mandate_holder=otp)
    )
    dora = User.objects.create_user("dora", password="pw", email="dora@example.org")
    dora.groups.add(Group.objects.get(name=FOCAL_POINT))
    FocalPoint.objects.create(user=dora, mandate_holder=otp)
    alice = User.objects.create_user("alice", password="pw", is_staff=True, email="a@example.org")
    alice.groups.add(Group.objects.get(name=SECRETARIAT))
    now = timezone.now()
    updates = []
    for rec in Recommendation.objects.all():
        for n in range(UPDATES_PER_ROW):
            start = datetime.date(2023 + n, 1, 1)
            updates.append(
                ProgressUpdate(
                    recommendation=rec,
                    mandate_holder=otp,
                    author=dora,
                    period_start=start,
                    period_end=start.replace(month=12, day=31),
                    action_taken="Action taken. " * 40,
                    impediments="Impediments. " * 10,
                    next_steps="Next steps. " * 20,
                    evidence="ICC-ASP/23/20",
                    state=ProgressUpdate.State.ACCEPTED,
                    is_public=True,
                    submitted_at=now,
                    reviewed_at=now - datetime.timedelta(days=400 * (UPDATES_PER_ROW - n)),
                    reviewed_by=alice,
                )
            )
    for rec in Recommendation.objects.all()[:WAITING]:
        updates.append(
            ProgressUpdate(
                recommendation=rec,
                mandate_holder=otp,
                author=dora,
                period_start=datetime.date(2026, 1, 1),
                period_end=datetime.date(2026, 6, 30),
                action_taken="Waiting.",
                state=ProgressUpdate.State.SUBMITTED,
                submitted_at=now,
            )
        )
    ProgressUpdate.objects.bulk_create(updates, batch_size=1000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return dora, alice


def measure(client: Client, url: str):
    for _ in range(WARM_UP):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(REQUESTS):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - start)
    times.sort()
    return len(queries), statistics.median(times), times[int(len(times) * 0.9)]


def main():
    setup_test_environment(debug=False)
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"database: {connection.vendor}; building...")
        dora, alice = build()
        print(
            f"384 recommendations led by OTP, {ProgressUpdate.objects.count():,} updates "
            f"({WAITING} awaiting review)"
        )
        waiting = ProgressUpdate.objects.filter(state="submitted").order_by("pk").first()
        clients = {}
        for user in (dora, alice):
            clients[user.username] = Client()
            clients[user.username].force_login(user)
        clients["public"] = Client()
        pages = [
            ("dora", "My recommendations", "/reporting/"),
            ("dora", "my list, XLSX", "/reporting/my-recommendations.xlsx"),
            ("dora", "update form R14", "/reporting/R14/new/"),
            ("alice", "review queue", "/reporting/review/"),
            ("alice", "review page", f"/reporting/review/{waiting.pk}/"),
            ("alice", "overview", "/reporting/overview/"),
            ("public", "OTP report page", "/mandate-holders/otp/report/"),
            ("public", "OTP report XLSX", "/mandate-holders/otp/report.xlsx"),
            ("public", "R14 page (3 updates)", "/recommendations/R14/"),
        ]
        print(f"{'page':<26} {'who':<7} {'queries':>7} {'median ms':>10} {'p90 ms':>8}")
        for who, label, url in pages:
            queries, median, p90 = measure(clients[who], url)
            print(f"{label:<26} {who:<7} {queries:7d} {median * 1000:10.1f} {p90 * 1000:8.1f}")

        in_progress = ImplementationStatus.objects.get(key="in_progress")
        submit_times, accept_times = [], []
        for rec in Recommendation.objects.order_by("number")[200:230]:
            update = ProgressUpdate(
                recommendation=rec,
                mandate_holder_id=waiting.mandate_holder_id,
                period_start=datetime.date(2026, 1, 1),
                period_end=datetime.date(2026, 6, 30),
                action_taken="Bench.",
                proposed_implementation_status=in_progress,
            )
            start = time.perf_counter()
            reporting.save_update(update, user=dora, submit=True)
            submit_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            reporting.accept_update(update, user=alice, publish=True)
            accept_times.append(time.perf_counter() - start)
        print(
            f"submit: median {statistics.median(submit_times) * 1000:.1f} ms; accept with a "
            f"status change: median {statistics.median(accept_times) * 1000:.1f} ms"
        )
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()

"""Malformed requests against every kind of page: no 500, and no row changed.

Builds a throwaway test database (reference and demonstration data, an edition, a focal point
and a Secretariat account), snapshots every table's row count and the recommendations' values,
sends the requests below through the whole middleware stack (Django's test client, DEBUG off,
as in production), then prints a tally by status code and the requests that got a 500 or
changed something. Exits non-zero if any did.

    .venv/bin/python bench/bad_input.py
    DATABASE_URL=postgres://... .venv/bin/python bench/bad_input.py
"""

import os
import random
import sys
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iertracker.settings")
warnings.filterwarnings("ignore", "No directory at", UserWarning)

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402

from recommendations.demo import demo_seed  # noqa: E402
from recommendations.editions import publish_edition  # noqa: E402
from recommendations.models import (  # noqa: E402
    FocalPoint,
    MandateHolder,
    Recommendation,
)
from recommendations.reference import load_reference_data  # noqa: E402
from recommendations.roles import FOCAL_POINT, SECRETARIAT  # noqa: E402

RNG = random.Random(7)
LONG = "x" * 20_000

PUBLIC = [
    "/",
    "/matrix/",
    "/matrix.csv",
    "/matrix.json",
    "/editions/first/",
    "/compare/",
    "/api/v1/recommendations/",
    "/matrix/feed.atom",
]
QUERIES = [
    f"?q={LONG}",
    "?cluster=" + "&cluster=".join(str(n) for n in range(2000)),
    "?page=99999999999999999999",
    "?page=-1",
    "?page=1e9",
    "?per_page=0",
    "?per_page=" + "9" * 50,
    "?page_size=-5",
    "?sort=__class__",
    "?sort=-" + "-" * 300,
    "?changed_since=2026-02-30",
    "?changed_since=" + "9" * 40,
    "?as_of=0000-00-00",
    "?as_of=99999-01-01",
    "?as_of=1900-01-01",
    "?from=../../etc/passwd&to=live",
    "?from=%00&to=%ff",
    "?implementation=%C0%AF",
    "?q=%F0%9F%98%80%00",
    "?q=' OR 1=1 --",
    "?assessment=<script>alert(1)</script>",
    "?topic=" + "%25" * 1000,
]
PATHS = [
    "/recommendations/R0/",
    "/recommendations/R99999999999999999999/",
    "/recommendations/..%2F..%2Fetc%2Fpasswd/",
    "/recommendations/%00/",
    "/recommendations/R14.exe",
    "/mandate-holders/../../etc/passwd/",
    "/mandate-holders/%2e%2e/",
    "/editions/..%2f/",
    "/static/../manage.py",
    "/static/%2e%2e/%2e%2e/manage.py",
    "/api/v1/recommendations/R-1/",
    "/api/v1/editions/%00/recommendations/",
    "/reporting/R14%00/new/",
    "/" + "a/" * 2000,
    "/compare.exe",
    "/feeds/changes.atom/../../",
]
LANGUAGES = ["xx", "fr-FR;q=abc", "*", "en" * 500, "../../etc", "fr,zz;q=0.5,*;q=0.1"]


# Rows a malformed request may legitimately add, which are not records: an upload kept between
# the import's preview and its confirmation, and django-axes's failed-login records. (A past
# day's Matrix is read from the history and writes nothing.)
NOT_RECORDS = {"recommendations.SpreadsheetUpload"}


def snapshot():
    counts = {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in ("recommendations", "auth")
        and model._meta.label not in NOT_RECORDS
    }
    values = list(Recommendation.objects.order_by("number").values())
    return counts, values


def requests():
    """(label, method, path, kwargs) of every malformed request."""
    for page in PUBLIC:
        for query in QUERIES:
            yield "public", "get", page + query, {}
    for path in PATHS:
        yield "path", "get", path, {}
    for language in LANGUAGES:
        yield "language", "get", "/matrix/", {"HTTP_ACCEPT_LANGUAGE": language}
        yield "language cookie", "get", "/", {"cookies": {"django_language": language}}
        yield "set language", "post", "/i18n/setlang/", {"data": {"language": language}}
    for size in (0, 1, 100, 10_000, 300_000):
        noise = bytes(RNG.randrange(256) for _ in range(size))
        for name in ("m.xlsx", "m.ods", "m.csv", "m.xls", "../../m.csv", "m" * 300 + ".csv"):
            yield (
                "upload",
                "post",
                "/admin/recommendations/recommendation/import/",
                {"data": {"action": "preview", "file": SimpleUploadedFile(name, noise)}},
            )
    yield (
        "upload",
        "post",
        "/admin/recommendations/recommendation/import/",
        {"data": {"action": "apply", "upload": "../../../etc/passwd"}},
    )
    for data in (
        {"period_start": "2026-13-45", "period_end": LONG, "action_taken": LONG * 5},
        {"mandate_holder": "-1", "proposed_implementation_status": "' OR 1=1"},
        {"evidence": "javascript:alert(1)", "action_taken": "\x00\x01"},
    ):
        yield "focal point form", "post", "/reporting/R14/new/", {"data": data, "as": "focal"}
    yield "review form", "post", "/reporting/review/999999/", {"data": {"decision": "x"}}
    yield "login", "post", "/accounts/login/", {"data": {"username": LONG, "password": LONG}}


def main():
    setup_test_environment(debug=False)
    settings.ALLOWED_HOSTS = ["testserver"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        load_reference_data()
        demo_seed()
        publish_edition(title="First", user=None, slug="first")
        secretariat = User.objects.create_user("alice", password="x", is_staff=True)
        secretariat.groups.add(Group.objects.get(name=SECRETARIAT))
        focal = User.objects.create_user("dora", password="x")
        focal.groups.add(Group.objects.get(name=FOCAL_POINT))
        FocalPoint.objects.create(user=focal, mandate_holder=MandateHolder.objects.get(slug="otp"))
        before = snapshot()
        clients = {"anonymous": Client(), "secretariat": Client(), "focal": Client()}
        clients["secretariat"].force_login(secretariat)
        clients["focal"].force_login(focal)
        tally, failures, total = Counter(), [], 0
        for label, method, path, options in requests():
            options = dict(options)
            who = options.pop("as", "secretariat" if label in ("upload", "review form") else "")
            client = clients[who or "anonymous"]
            client.cookies.clear() if who == "" else None
            for key, value in options.pop("cookies", {}).items():
                client.cookies[key] = value
            try:
                response = getattr(client, method)(path, **options)
                status = response.status_code
            except Exception as error:  # the test client re-raises what would be a 500
                status = f"exception {type(error).__name__}"
            total += 1
            tally[status] += 1
            if status == 500 or isinstance(status, str):
                failures.append(f"{status} {label}: {method.upper()} {path[:120]}")
        after = snapshot()
        print(f"database: {connection.vendor}; {total} malformed requests")
        print("status  requests")
        for status, count in sorted(tally.items(), key=lambda item: str(item[0])):
            print(f"{status!s:>6}  {count}")
        changed = [label for label in before[0] if before[0][label] != after[0].get(label)]
        if before[1] != after[1]:
            changed.append("recommendations.Recommendation (values)")
        print(f"responses of 500 or exceptions: {len(failures)}")
        for line in failures:
            print("  " + line)
        print(f"tables with changed rows: {len(changed)} {changed if changed else ''}")
        if failures or changed:
            sys.exit(1)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()

"""The permission matrix: every URL of the site (and the back-office pages that matter) x five
personas x {GET, POST}, with the status each must get, and nothing changed where nothing may.

Personas: anonymous; Paul, signed in with no role (a "plain" account); Dora, focal point of
the OTP, which owns R14 (the "own" focal point); Erik, focal point of the Registry (another
one); Alice, ASP Secretariat; root, superuser.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from recommendations import editions, reporting
from recommendations.models import (
    FocalPoint,
    MandateHolder,
    ProgressUpdate,
    ProgressUpdateEvent,
    Recommendation,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "plain", "own", "other", "secretariat", "superuser"]


def every(code):
    return dict.fromkeys(PERSONAS, code)


def signed_in(code, anonymous=302):
    return {"anonymous": anonymous, **dict.fromkeys(PERSONAS[1:], code)}


def roles(anonymous=302, own=403, other=403, secretariat=403, superuser=403, plain=403):
    return {
        "anonymous": anonymous,
        "plain": plain,
        "own": own,
        "other": other,
        "secretariat": secretariat,
        "superuser": superuser,
    }


UPDATE_FORM = {
    "period_start": "2026-01-01",
    "period_end": "2026-06-30",
    "action_taken": "Forged or not.",
    "evidence": "",
    "submit": "1",
    "may_publish": "on",
    "version": "{draft_version}",
}
STAFF_ONLY = roles(anonymous=302, plain=302, own=302, other=302, secretariat=200, superuser=200)
SUPERUSER_ONLY = {**STAFF_ONLY, "secretariat": 403}

# (URL name, URL, GET statuses, POST statuses, POST data, personas whose POST may write)
MATRIX = [
    # Public pages: read by everyone, written by no one.
    ("recommendations:dashboard", "/", every(200), every(405), {}, ()),
    ("recommendations:matrix", "/matrix/?cluster=I", every(200), every(405), {}, ()),
    ("recommendations:matrix_export", "/matrix.csv", every(200), every(405), {}, ()),
    ("recommendations:detail", "/recommendations/R14/", every(200), every(405), {}, ()),
    ("recommendations:detail_export", "/recommendations/R14.json", every(200), every(405), {}, ()),
    ("recommendations:mandate_holders", "/mandate-holders/", every(200), every(405), {}, ()),
    ("recommendations:mandate_holder", "/mandate-holders/otp/", every(200), every(405), {}, ()),
    (
        "recommendations:mandate_holder_export",
        "/mandate-holders/otp.xlsx",
        every(200),
        every(405),
        {},
        (),
    ),
    (
        "recommendations:mandate_holder_report",
        "/mandate-holders/otp/report/",
        every(200),
        every(405),
        {},
        (),
    ),
    (
        "recommendations:mandate_holder_report_export",
        "/mandate-holders/otp/report.xlsx",
        every(200),
        every(405),
        {},
        (),
    ),
    ("recommendations:None", "/recommendations/", every(302), every(302), {}, ()),
    # Editions, comparisons, open data, feeds: public, read only.
    ("recommendations:editions", "/editions/", every(200), every(405), {}, ()),
    ("recommendations:edition", "/editions/asp24/", every(200), every(405), {}, ()),
    (
        "recommendations:edition_progress",
        "/editions/asp24/progress/",
        every(200),
        every(405),
        {},
        (),
    ),
    ("recommendations:edition_export", "/editions/asp24.csv", every(200), every(405), {}, ()),
    ("recommendations:compare", "/compare/?from=asp24&to=live", every(200), every(405), {}, ()),
    ("recommendations:compare_export", "/compare.json?from=asp24", every(200), every(405), {}, ()),
    ("recommendations:open_data", "/open-data/", every(200), every(405), {}, ()),
    ("recommendations:changes_feed", "/feeds/changes.atom", every(200), every(405), {}, ()),
    ("recommendations:matrix_feed", "/matrix/feed.atom?cluster=I", every(200), every(405), {}, ()),
    (
        "recommendations:recommendation_feed",
        "/recommendations/R14/feed.atom",
        every(200),
        every(405),
        {},
        (),
    ),
    (
        "recommendations:mandate_holder_feed",
        "/mandate-holders/otp/feed.atom",
        every(200),
        every(405),
        {},
        (),
    ),
    ("set_language", "/i18n/setlang/", every(302), every(302), {"language": "fr", "next": "/"}, ()),
    # The read-only JSON API.
    ("api:root", "/api/", every(302), every(405), {}, ()),
    ("api:index", "/api/v1/", every(200), every(405), {}, ()),
    ("api:no-such-address", "/api/v1/nothing/here/", every(404), every(405), {}, ()),
    ("api:recommendations", "/api/v1/recommendations/?cluster=I", every(200), every(405), {}, ()),
    ("api:recommendation", "/api/v1/recommendations/R14/", every(200), every(405), {}, ()),
    (
        "api:recommendation-history",
        "/api/v1/recommendations/R14/history/",
        every(200),
        every(405),
        {},
        (),
    ),
    ("api:vocabularies", "/api/v1/vocabularies/", every(200), every(405), {}, ()),
    ("api:mandate-holders", "/api/v1/mandate-holders/", every(200), every(405), {}, ()),
    ("api:mandate-holder", "/api/v1/mandate-holders/otp/", every(200), every(405), {}, ()),
    ("api:editions", "/api/v1/editions/", every(200), every(405), {}, ()),
    ("api:edition", "/api/v1/editions/asp24/", every(200), every(405), {}, ()),
    (
        "api:edition-recommendations",
        "/api/v1/editions/asp24/recommendations/?implementation=none",
        every(200),
        every(405),
        {},
        (),
    ),
    (
        "api:edition-recommendation",
        "/api/v1/editions/asp24/recommendations/R14/",
        every(200),
        every(405),
        {},
        (),
    ),
    ("api:schema", "/api/schema/", every(200), every(405), {}, ()),
    ("api:docs", "/api/docs/", every(200), every(405), {}, ()),
    # Accounts: Django's own views.
    (
        "login",
        "/accounts/login/",
        every(200),
        every(200),
        {"username": "dora", "password": "x"},
        (),
    ),
    ("logout", "/accounts/logout/", every(405), every(302), {}, ()),
    ("password_change", "/accounts/password_change/", signed_in(200), signed_in(200), {}, ()),
    # Two-step verification: each signed-in persona's own (an empty code is refused, 400;
    # a verified session's POST without an action only shows the page again).
    (
        "two_step",
        "/accounts/two-step/",
        signed_in(200),
        roles(anonymous=302, plain=400, own=400, other=400, secretariat=200, superuser=200),
        {"code": ""},
        (),
    ),
    (
        "password_change_done",
        "/accounts/password_change/done/",
        signed_in(200),
        signed_in(405),
        {},
        (),
    ),
    (
        "password_reset",
        "/accounts/password_reset/",
        every(200),
        every(302),
        {"email": "dora@example.org"},
        (),
    ),
    ("password_reset_done", "/accounts/password_reset/done/", every(200), every(405), {}, ()),
    (
        "password_reset_confirm",
        "/accounts/reset/MQ/not-a-token/",
        every(200),
        every(200),
        {"new_password1": "x", "new_password2": "x"},
        (),
    ),
    ("password_reset_complete", "/accounts/reset/done/", every(200), every(405), {}, ()),
    # Reporting.
    (
        "recommendations:reporting",
        "/reporting/",
        roles(own=200, other=200, secretariat=302, superuser=200),
        signed_in(405),
        {},
        (),
    ),
    (
        "recommendations:my_export",
        "/reporting/my-recommendations.xlsx",
        roles(own=200, other=200, superuser=200),
        signed_in(405),
        {},
        (),
    ),
    (
        "recommendations:update_create",
        "/reporting/R14/new/",
        roles(own=200),
        roles(own=302),
        UPDATE_FORM,
        ("own",),
    ),
    (
        "recommendations:update",
        "/reporting/updates/{draft}/",
        roles(own=200, secretariat=200, superuser=200),
        roles(own=302),
        UPDATE_FORM,
        ("own",),
    ),
    (
        "recommendations:update",  # submitted: locked for its author too
        "/reporting/updates/{submitted}/",
        roles(own=200, secretariat=200, superuser=200),
        roles(),
        UPDATE_FORM,
        (),
    ),
    (
        "recommendations:review_queue",
        "/reporting/review/",
        roles(secretariat=200, superuser=200),
        signed_in(405),
        {},
        (),
    ),
    (
        "recommendations:review",
        "/reporting/review/{submitted}/",
        roles(secretariat=200, superuser=200),
        roles(secretariat=302, superuser=302),
        {"decision": "accept"},
        ("secretariat", "superuser"),
    ),
    (
        "recommendations:overview",
        "/reporting/overview/",
        roles(secretariat=200, superuser=200),
        signed_in(405),
        {},
        (),
    ),
    # The back-office: staff only, and the Secretariat cannot touch a superuser.
    ("admin:index", "/admin/", STAFF_ONLY, STAFF_ONLY, {}, ()),
    (
        "admin:recommendations_recommendation_change",
        "/admin/recommendations/recommendation/{r14}/change/",
        STAFF_ONLY,
        STAFF_ONLY,  # the form comes back: a reason is required
        {"short_title": "Changed without a reason"},
        (),
    ),
    (
        "admin:recommendations_progressupdate_changelist",
        "/admin/recommendations/progressupdate/",
        STAFF_ONLY,
        STAFF_ONLY,
        {},
        (),
    ),
    ("admin:auth_user_changelist", "/admin/auth/user/", STAFF_ONLY, STAFF_ONLY, {}, ()),
    (
        "admin:auth_user_change",
        "/admin/auth/user/{root}/change/",
        roles(plain=302, own=302, other=302, secretariat=200, superuser=200),  # Secretariat: read
        roles(plain=302, own=302, other=302, secretariat=403, superuser=200),
        {"username": "root", "is_superuser": ""},
        (),
    ),
    (
        "admin:recommendations_focalpoint_add",
        "/admin/recommendations/focalpoint/add/",
        STAFF_ONLY,
        roles(plain=302, own=302, other=302, secretariat=302, superuser=302),
        {"user": "{erik}", "mandate_holder": "{otp}"},
        ("secretariat", "superuser"),
    ),
    # Setting another person's password: only a superuser (separation of duties).
    (
        "admin:auth_user_password_change",
        "/admin/auth/user/{erik}/password/",
        SUPERUSER_ONLY,
        {**SUPERUSER_ONLY, "superuser": 302},
        {
            "password1": "a-new-long-phrase-2026",
            "password2": "a-new-long-phrase-2026",
            "usable_password": "true",
        },
        ("superuser",),
    ),
    # The audit log and the two-step devices: superusers only, read only.
    (
        "admin:recommendations_auditentry_changelist",
        "/admin/recommendations/auditentry/",
        SUPERUSER_ONLY,
        SUPERUSER_ONLY,
        {},
        (),
    ),
    (
        "admin:otp_totp_totpdevice_changelist",
        "/admin/otp_totp/totpdevice/",
        SUPERUSER_ONLY,
        SUPERUSER_ONLY,
        {},
        (),
    ),
    (
        "admin:recommendations_recommendation_import",
        "/admin/recommendations/recommendation/import/",
        STAFF_ONLY,
        STAFF_ONLY,  # no file: the form says so
        {"action": "preview"},
        (),
    ),
]


@pytest.fixture
def world(dora, erik, secretariat_user):
    root = make_user("root", is_staff=True, is_superuser=True)
    r14 = Recommendation.objects.get(number=14)
    otp = MandateHolder.objects.get(slug="otp")

    def update(submit):
        return reporting.save_update(
            ProgressUpdate(
                recommendation=r14,
                mandate_holder=otp,
                period_start=datetime.date(2026, 1, 1),
                period_end=datetime.date(2026, 3, 31),
                action_taken="Begun.",
            ),
            user=dora,
            submit=submit,
        )

    users = {
        "anonymous": None,
        "plain": make_user("paul"),
        "own": dora,
        "other": erik,
        "secretariat": secretariat_user,
        "superuser": root,
    }
    draft = update(False)
    values = {
        "draft": draft.pk,
        # The version the draft's form carries: its latest step, as the page was opened.
        "draft_version": ProgressUpdateEvent.objects.filter(update=draft).latest("pk").pk,
        "submitted": update(True).pk,
        "root": root.pk,
        "r14": r14.pk,
        "erik": erik.pk,
        "otp": otp.pk,
    }
    return users, values


def snapshot():
    """What a request must not change unless it is allowed to write."""
    User = get_user_model()
    return (
        list(
            ProgressUpdate.objects.order_by("pk").values_list(
                "pk", "state", "action_taken", "is_public", "updated_at"
            )
        ),
        ProgressUpdateEvent.objects.count(),
        Recommendation.history.count(),
        list(Recommendation.objects.order_by("pk").values_list("short_title", "updated_at")),
        list(FocalPoint.objects.order_by("pk").values_list("user", "mandate_holder")),
        list(User.objects.order_by("pk").values_list("pk", "password", "is_superuser", "is_staff")),
    )


CASES = [
    pytest.param(url, method, persona, row, id=f"{method} {url} {persona}")
    for row in MATRIX
    for url in [row[1]]
    for method in ("GET", "POST")
    for persona in PERSONAS
]


@pytest.mark.parametrize(("url", "method", "persona", "row"), CASES)
def test_the_permission_matrix(world, url, method, persona, row):
    users, values = world
    _name, _url, get_codes, post_codes, data, writers = row
    if "asp24" in url:  # publishing is the slow part of the set-up: only where it is read
        editions.publish_edition(title="Matrix as of ASP24", user=None, slug="asp24")
    client = Client()
    if users[persona] is not None:
        client.force_login(users[persona])
    before = snapshot()
    url = url.format(**values)
    if method == "GET":
        response = client.get(url)
        expected = get_codes[persona]
    else:
        data = {key: str(value).format(**values) for key, value in data.items()}
        if "mandate_holder" not in data and "update" in row[0]:
            data["mandate_holder"] = values["otp"]
        response = client.post(url, data)
        expected = post_codes[persona]
    assert response.status_code == expected, response.content[:300]
    if method == "GET" or persona not in writers:
        assert snapshot() == before
    else:
        assert snapshot() != before
    if expected == 302 and persona == "anonymous" and url.startswith("/reporting/"):
        assert response.url.startswith("/accounts/login/")


def _named_patterns(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}"


def test_the_matrix_covers_every_url_of_the_site():
    site = set(_named_patterns(get_resolver().url_patterns))
    covered = {row[0] for row in MATRIX}
    assert site - covered == set()
    assert len(CASES) == len(MATRIX) * len(PERSONAS) * 2

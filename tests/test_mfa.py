"""Two-step verification and the audit log, signed in the real way: the log-in form, then the
code from the app (computed here from the device's key, as the app would), or a recovery code.

(Elsewhere in the suite ``Client.force_login`` gives both steps at once: tests/conftest.py.)
"""

import re
from base64 import b32decode

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from recommendations.models import AuditEntry
from recommendations.roles import FOCAL_POINT, SECRETARIAT
from tests.conftest import assign, authenticator_code, make_user
from tests.test_admin import user_change_data

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action
TWO_STEP = "/accounts/two-step/"


def sign_in(username: str) -> Client:
    """The log-in form, with the password only (every test account's is "pw")."""
    client = Client(REMOTE_ADDR="192.0.2.7")
    response = client.post("/accounts/login/", {"username": username, "password": "pw"})
    assert response.status_code == 302, response.content[:500]
    return client


def code_of(device: TOTPDevice) -> str:
    """What the authenticator app shows now."""
    return authenticator_code(device)


def enrol(client: Client, username: str) -> list[str]:
    """Enrol from the page, as a person would; return the recovery codes shown."""
    page = client.get(TWO_STEP)
    assert page.status_code == 200
    assert "<svg" in page.content.decode()  # the QR code
    device = TOTPDevice.objects.get(user__username=username, confirmed=False)
    # The key to type in, as apps take it: base32 (RFC 4648) of the device's key, by fours.
    shown = re.search(r'<code class="otp-key">([A-Z2-7 ]+)</code>', page.content.decode())
    assert b32decode(shown.group(1).replace(" ", "")) == device.bin_key  # 20 bytes: no padding
    shown = client.post(TWO_STEP, {"code": code_of(device), "next": "/admin/"})
    assert shown.status_code == 200
    return re.findall(r"<li><code>(\w+)</code></li>", shown.content.decode())


@pytest.fixture
def root(db):
    return make_user("root", is_staff=True, is_superuser=True)


@pytest.fixture
def alice(db):
    return make_user("alice", is_staff=True, groups=[SECRETARIAT])


@pytest.mark.parametrize(
    "who",
    [
        {"is_staff": True, "is_superuser": True},
        {"is_staff": True, "groups": [SECRETARIAT]},
        {"is_staff": True},  # staff without a role still reaches the back-office's door
        {"groups": [SECRETARIAT]},  # the review queue's role, even without staff status
    ],
    ids=["superuser", "secretariat", "staff", "secretariat without staff"],
)
@pytest.mark.parametrize("url", ["/admin/", "/reporting/review/", "/reporting/overview/"])
def test_a_password_alone_does_not_reach_the_back_office_or_the_review_queue(who, url):
    make_user("sam", **who)
    client = sign_in("sam")
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{TWO_STEP}?next={url}"


def test_first_sign_in_enrols_then_the_back_office_opens(root):
    client = sign_in("root")
    page = client.get(TWO_STEP + "?next=/admin/")
    assert "Set up two-step verification" in page.content.decode()
    assert not TOTPDevice.objects.get(user=root).confirmed
    assert client.get("/admin/").status_code == 302  # not through until enrolled
    codes = enrol(client, "root")
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert client.get("/admin/").status_code == 200
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "username")) == [
        (Action.LOGIN, "root"),
        (Action.MFA_ENROLLED, "root"),
    ]
    assert AuditEntry.objects.filter(address="192.0.2.7").count() == 2


def test_later_sign_ins_ask_for_the_code_and_a_recovery_code_works_once(alice):
    codes = enrol(sign_in("alice"), "alice")
    device = TOTPDevice.objects.get(user=alice, confirmed=True)

    with_app = sign_in("alice")
    assert with_app.get("/reporting/review/").status_code == 302
    asked = with_app.get(TWO_STEP + "?next=/reporting/review/").content.decode()
    assert "Enter the code your authenticator app shows" in asked
    # The app's code, once per step (a replay is refused by django-otp's own rule).
    through = with_app.post(TWO_STEP, {"code": code_of(device), "next": "/reporting/review/"})
    assert (through.status_code, through.url) == (302, "/reporting/review/")
    assert with_app.get("/reporting/review/").status_code == 200

    lost_phone = sign_in("alice")
    through = lost_phone.post(TWO_STEP, {"code": codes[0], "next": "/admin/"})
    assert through.status_code == 302
    assert lost_phone.get("/admin/").status_code == 200
    again = sign_in("alice")
    refused = again.post(TWO_STEP, {"code": codes[0], "next": "/admin/"})
    assert refused.status_code == 400
    assert "not right" in refused.content.decode()
    assert StaticToken.objects.filter(device__user=alice).count() == 9
    assert AuditEntry.objects.filter(action=Action.MFA_RECOVERY_USED, username="alice").count() == 1


def test_a_wrong_code_is_refused_and_slows_the_next_attempt(alice):
    enrol(sign_in("alice"), "alice")
    client = sign_in("alice")
    wrong = client.post(TWO_STEP, {"code": "000000", "next": "/admin/"})
    assert wrong.status_code == 400
    assert "not right" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    # django-otp's throttle: right after a failure even the right code waits a moment.
    device = TOTPDevice.objects.get(user=alice, confirmed=True)
    assert client.post(TWO_STEP, {"code": code_of(device)}).status_code == 400
    assert client.get("/admin/").status_code == 302


def test_the_next_address_stays_on_the_site(alice):
    client = sign_in("alice")
    enrol(client, "alice")
    client = sign_in("alice")
    device = TOTPDevice.objects.get(user=alice, confirmed=True)
    response = client.post(TWO_STEP, {"code": code_of(device), "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.url == TWO_STEP


def test_a_focal_point_may_turn_it_on_and_off(db):
    assign(14, "otp")
    dora = make_user("dora", groups=[FOCAL_POINT], holders=["otp"])
    client = sign_in("dora")
    assert client.get("/reporting/").status_code == 200  # not required for a focal point
    enrol(client, "dora")
    later = sign_in("dora")
    assert later.get("/reporting/").status_code == 302  # once on, asked for
    device = TOTPDevice.objects.get(user=dora, confirmed=True)
    later.post(TWO_STEP, {"code": code_of(device), "next": "/reporting/"})
    page = later.get(TWO_STEP).content.decode()
    assert "Turn off two-step verification" in page
    later.post(TWO_STEP, {"action": "off"})
    assert not TOTPDevice.objects.filter(user=dora).exists()
    assert sign_in("dora").get("/reporting/").status_code == 200
    assert AuditEntry.objects.filter(action=Action.MFA_REMOVED, target="dora").exists()


def test_the_secretariat_cannot_turn_it_off(alice):
    client = sign_in("alice")
    enrol(client, "alice")
    page = client.get(TWO_STEP).content.decode()
    assert "Turn off" not in page
    client.post(TWO_STEP, {"action": "off"})
    assert TOTPDevice.objects.filter(user=alice, confirmed=True).exists()
    renewed = client.post(TWO_STEP, {"action": "codes"})
    assert len(re.findall(r"<li><code>(\w+)</code></li>", renewed.content.decode())) == 10
    assert StaticToken.objects.filter(device__user=alice).count() == 10


#
# The audit log
#


def test_sensitive_actions_leave_an_entry_with_who_and_where(root, alice):
    from recommendations.editions import publish_edition

    client = sign_in("root")
    enrol(client, "root")
    dora = make_user("dora")
    changed = client.post(
        f"/admin/auth/user/{dora.pk}/change/",
        user_change_data(
            dora,
            groups=[Group.objects.get(name=FOCAL_POINT).pk],
            date_joined_0="2026-01-01",
            date_joined_1="10:00:00",
        ),
    )
    assert changed.status_code == 302, changed.content.decode()[:2000]
    client.post(
        f"/admin/auth/user/{dora.pk}/password/",
        {"password1": "a-new-long-phrase-2026", "password2": "a-new-long-phrase-2026",
         "usable_password": "true"},
    )  # fmt: skip
    publish_edition(title="Matrix as of ASP24", user=root, slug="asp24")
    entries = {
        (e.action, e.username, e.target): e.address
        for e in AuditEntry.objects.filter(username="root").exclude(
            action__in=[Action.LOGIN, Action.MFA_ENROLLED]
        )
    }
    assert entries == {
        (Action.ROLE_CHANGED, "root", "dora"): "192.0.2.7",
        (Action.PASSWORD_CHANGED, "root", "dora"): "192.0.2.7",
        (Action.EDITION_PUBLISHED, "root", "asp24"): None,  # no request: no address
    }
    role = AuditEntry.objects.get(action=Action.ROLE_CHANGED, username="root")
    assert "Focal point" in role.detail


def test_only_a_superuser_reads_the_audit_log(admin_client, secretariat_client):
    url = "/admin/recommendations/auditentry/"
    assert admin_client.get(url).status_code == 200
    assert secretariat_client.get(url).status_code == 403
    assert "auditentry" not in secretariat_client.get("/admin/").content.decode()
    assert admin_client.post(f"{url}add/", {}).status_code == 403


def test_mfa_cannot_be_turned_off_in_production():
    from tests.test_settings import PRODUCTION, load_settings

    result = load_settings(**PRODUCTION, ALLOWED_HOSTS="ier.example.org", MFA_REQUIRED="0")
    assert result.returncode != 0
    assert "MFA_REQUIRED=0 is for local development only" in result.stderr


def test_a_password_alone_shows_nothing_internal_anywhere(alice):
    """The Matrix's downloads carry internal remarks for the Secretariat: only once verified."""
    from recommendations.models import Recommendation
    from recommendations.services import recommendation_update

    recommendation_update(
        Recommendation.objects.get(number=14),
        changes={"internal_remarks": "Not for the public yet."},
        user=alice,
        reason="r",
        source="admin",
    )
    client = sign_in("alice")
    assert "Not for the public yet." not in client.get("/matrix.csv").content.decode()
    enrol(client, "alice")  # the same session, now verified
    assert "Not for the public yet." in client.get("/matrix.csv").content.decode()

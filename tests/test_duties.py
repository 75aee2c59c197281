"""Separation of duties, and the e-mailed links of accounts.

The probe's Secretariat account gave itself the Focal point group, linked itself to the OTP,
wrote an update and then accepted and published it: the public history said "Progress update
from OTP, accepted by the ASP Secretariat". It could also set a colleague's password. And a
reset requested with a forged Host header mailed a link to that host.
"""

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.urls import reverse

from recommendations import reporting
from recommendations.models import FocalPoint, MandateHolder, ProgressUpdate
from recommendations.roles import FOCAL_POINT, SECRETARIAT
from tests.conftest import assign, make_user
from tests.test_admin import user_change_data
from tests.test_reporting import submitted_update

pytestmark = pytest.mark.django_db

State = ProgressUpdate.State


@pytest.fixture
def both_roles(db):
    """An account that is Secretariat staff and a focal point of the OTP (a superuser could make
    one): it may write updates, never decide on its own."""
    assign(14, "otp")
    return make_user("sam", is_staff=True, groups=[SECRETARIAT, FOCAL_POINT], holders=["otp"])


@pytest.mark.parametrize(
    "decide",
    [
        lambda update, user: reporting.accept_update(update, user=user, publish=True),
        lambda update, user: reporting.accept_update(update, user=user, publish=False),
        lambda update, user: reporting.return_update(update, user=user, comment="Fine by me."),
    ],
    ids=["accept and publish", "accept internally", "return"],
)
def test_the_author_of_an_update_can_never_decide_on_it(both_roles, decide):
    update = submitted_update(both_roles)
    with pytest.raises(ValidationError, match="another member of the Secretariat"):
        decide(update, both_roles)
    update.refresh_from_db()
    assert update.state == State.SUBMITTED
    assert update.reviewed_by is None
    assert not update.events.filter(action__in=["accepted", "accepted_internal", "returned"])


def test_the_review_page_tells_the_author_and_refuses_the_post(client, both_roles, rec):
    update = submitted_update(both_roles)
    client.force_login(both_roles)
    url = reverse("recommendations:review", args=[update.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "You wrote this update" in page.content.decode()
    assert 'name="decision"' not in page.content.decode()
    response = client.post(url, {"decision": "accept", "comment": ""})
    assert response.status_code == 403
    update.refresh_from_db()
    assert update.state == State.SUBMITTED
    assert rec(14).history.filter(history_progress_update=update).count() == 0


def test_another_reviewer_decides_on_it(both_roles, secretariat_user):
    update = submitted_update(both_roles)
    reporting.accept_update(update, user=secretariat_user, publish=True)
    update.refresh_from_db()
    assert (update.state, update.reviewed_by) == (State.ACCEPTED, secretariat_user)


def test_the_secretariat_cannot_change_its_own_roles(secretariat_client, secretariat_user):
    focal = Group.objects.get(name=FOCAL_POINT)
    otp = MandateHolder.objects.get(slug="otp")
    url = f"/admin/auth/user/{secretariat_user.pk}/change/"
    page = secretariat_client.get(url).content.decode()
    assert 'name="groups"' not in page
    assert 'name="focal_points-0-mandate_holder"' not in page
    secretariat_client.post(
        url,
        user_change_data(
            secretariat_user,
            groups=[focal.pk],
            is_staff="",
            **{"focal_points-TOTAL_FORMS": "1", "focal_points-0-mandate_holder": otp.pk},
        ),
    )
    secretariat_user.refresh_from_db()
    assert set(secretariat_user.groups.values_list("name", flat=True)) == {SECRETARIAT}
    assert secretariat_user.is_staff
    assert not FocalPoint.objects.filter(user=secretariat_user).exists()


def test_the_secretariat_cannot_link_itself_to_a_mandate_holder(
    secretariat_client, secretariat_user
):
    otp = MandateHolder.objects.get(slug="otp")
    response = secretariat_client.post(
        "/admin/recommendations/focalpoint/add/",
        {"user": secretariat_user.pk, "mandate_holder": otp.pk},
    )
    assert response.status_code == 200  # the form again, with the error on "user"
    assert "user" in response.context["adminform"].form.errors
    assert not FocalPoint.objects.filter(user=secretariat_user).exists()
    # A link made by a superuser is shown to its owner, not changeable or removable.
    link = FocalPoint.objects.create(user=secretariat_user, mandate_holder=otp)
    delete = f"/admin/recommendations/focalpoint/{link.pk}/delete/"
    assert secretariat_client.post(delete, {"post": "yes"}).status_code == 403
    assert FocalPoint.objects.filter(pk=link.pk).exists()


def test_the_secretariat_still_links_someone_else(secretariat_client):
    fatou = make_user("fatou")
    otp = MandateHolder.objects.get(slug="otp")
    response = secretariat_client.post(
        "/admin/recommendations/focalpoint/add/", {"user": fatou.pk, "mandate_holder": otp.pk}
    )
    assert response.status_code == 302
    assert FocalPoint.objects.filter(user=fatou, mandate_holder=otp).exists()


def test_only_a_superuser_sets_another_persons_password(
    secretariat_client, admin_client, secretariat_user
):
    colleague = make_user("bea", is_staff=True, groups=[SECRETARIAT])
    before = User.objects.get(pk=colleague.pk).password
    url = f"/admin/auth/user/{colleague.pk}/password/"
    new = {"password1": "a-new-long-phrase-2026", "password2": "a-new-long-phrase-2026"}
    assert secretariat_client.get(url).status_code == 403
    assert secretariat_client.post(url, {**new, "usable_password": "true"}).status_code == 403
    assert User.objects.get(pk=colleague.pk).password == before
    # Their own password, yes; a superuser, yes.
    own = f"/admin/auth/user/{secretariat_user.pk}/password/"
    assert secretariat_client.get(own).status_code == 200
    response = admin_client.post(url, {**new, "usable_password": "true"})
    assert response.status_code == 302
    assert User.objects.get(pk=colleague.pk).check_password("a-new-long-phrase-2026")


def test_a_reset_link_names_the_site_whatever_host_the_request_gave(client, settings, mailoutbox):
    settings.SITE_URL = "https://ier.example.org"
    settings.ALLOWED_HOSTS = ["*"]  # as if the proxy passed any Host through
    make_user("dora")
    response = client.post(
        "/accounts/password_reset/", {"email": "dora@example.org"}, HTTP_HOST="127.0.0.1:6666"
    )
    assert response.status_code == 302
    [message] = mailoutbox
    assert "https://ier.example.org/accounts/reset/" in message.body
    assert "6666" not in message.body
    assert "127.0.0.1" not in message.body + message.subject

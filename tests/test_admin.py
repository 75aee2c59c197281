"""The back-office as Alice (Secretariat), Bob (staff, no group) and Charlie (not staff)."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.grow_history import grow_history
from recommendations.models import (
    AssessmentStatus,
    ChangeSource,
    Cluster,
    ImplementationStatus,
    MandateAssignment,
    MandateHolder,
    Recommendation,
    Topic,
)
from recommendations.roles import FOCAL_POINT, GROUP_PERMISSIONS, SECRETARIAT
from recommendations.services import Assignment, recommendation_update

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:recommendations_recommendation_changelist")


def change_url(recommendation):
    return reverse("admin:recommendations_recommendation_change", args=[recommendation.pk])


def form_data(response) -> dict:
    """The POST data a browser would send back for an admin change form, unchanged."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = (
                [str(v) for v in value] if isinstance(value, list) else str(value)
            )

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def bulk_set(client, recommendations, *, assessment="", implementation="", reason=""):
    """Post the bulk action's second step, as the confirmation page sends it."""
    return client.post(
        CHANGELIST,
        {
            "action": "set_statuses",
            "_selected_action": [str(r.pk) for r in recommendations],
            "apply": "1",
            "assessment_status": str(getattr(assessment, "pk", assessment)),
            "implementation_status": str(getattr(implementation, "pk", implementation)),
            "reason": reason,
        },
    )


def changelist_codes(response) -> list[str]:
    return [rec.code for rec in response.context["cl"].result_list]


# Who gets in


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_a_logged_in_user_who_is_not_staff_cannot_reach_the_admin(outsider_client):
    response = outsider_client.get(CHANGELIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_without_the_secretariat_role_cannot_see_recommendations(staff_without_group_client):
    assert staff_without_group_client.get(CHANGELIST).status_code == 403


@pytest.mark.parametrize("name", [SECRETARIAT, FOCAL_POINT])
def test_each_group_has_exactly_the_listed_permissions(name):
    group = Group.objects.get(name=name)
    expected = {
        (model.rpartition(".")[0] or "recommendations", f"{action}_{model.rpartition('.')[2]}")
        for model, actions in GROUP_PERMISSIONS[name].items()
        for action in actions
    }
    assert set(group.permissions.values_list("content_type__app_label", "codename")) == expected
    assert "delete_recommendation" not in expected
    assert "add_recommendation" not in expected


def test_nobody_adds_or_deletes_recommendations_in_the_admin(secretariat_client, admin_client, rec):
    assert (
        secretariat_client.get(reverse("admin:recommendations_recommendation_add")).status_code
        == 403
    )
    delete = reverse("admin:recommendations_recommendation_delete", args=[rec(14).pk])
    assert admin_client.get(delete).status_code == 403
    assert Recommendation.objects.count() == 384


# The list


def test_the_list_shows_100_rows_in_number_order(secretariat_client):
    response = secretariat_client.get(CHANGELIST)
    assert response.status_code == 200
    codes = changelist_codes(response)
    assert codes == [f"R{n}" for n in range(1, 101)]
    assert response.context["cl"].result_count == 384
    page4 = secretariat_client.get(CHANGELIST, {"p": 4})
    assert changelist_codes(page4) == [f"R{n}" for n in range(301, 385)]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_each_rows_checkbox_is_the_one_django_renders(secretariat_client, language):
    from django.contrib import admin as django_admin
    from django.utils import translation

    model_admin = django_admin.site._registry[Recommendation]
    rec = Recommendation.objects.get(number=14)
    with translation.override(language):
        ours = model_admin.action_checkbox(rec)
        django = django_admin.ModelAdmin.action_checkbox(model_admin, rec)
    assert ours == django
    page = secretariat_client.get(CHANGELIST, headers={"accept-language": language})
    assert str(ours) in page.content.decode()


def test_the_list_shows_placement_responsibility_and_not_yet_recorded(secretariat_client):
    content = secretariat_client.get(CHANGELIST).content.decode()
    assert "I.A.4" in content  # R14's section
    assert "Court" in content
    assert "Text not yet recorded" in content
    assert "Not yet recorded" in content


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("R14", ["R14"]),
        ("14", ["R14"]),
        ("r014", ["R14"]),
        ("R14-R20", [f"R{n}" for n in range(14, 21)]),
        ("gravity", ["R227"]),
        ("no such words", []),
    ],
)
def test_search_finds_numbers_ranges_and_text(secretariat_client, term, expected):
    response = secretariat_client.get(CHANGELIST, {"q": term})
    assert changelist_codes(response) == expected


def test_filters_narrow_the_list(secretariat_client):
    response = secretariat_client.get(CHANGELIST, {"responsibility__exact": "court"})
    assert changelist_codes(response) == ["R6", "R7", "R14", "R16", "R17", "R18", "R19", "R20"]
    cbf = MandateHolder.objects.get(slug="cbf")
    response = secretariat_client.get(CHANGELIST, {"mandate_holders__id__exact": cbf.pk})
    assert changelist_codes(response) == ["R27", "R30", "R33"]
    positively = AssessmentStatus.objects.get(key="positively_assessed")
    response = secretariat_client.get(CHANGELIST, {"assessment_status__id__exact": positively.pk})
    assert changelist_codes(response) == ["R363"]
    cluster = Cluster.objects.get(code="II")
    response = secretariat_client.get(CHANGELIST, {"cluster__id__exact": cluster.pk})
    assert changelist_codes(response) == []  # no source places a recommendation in part II


def test_the_list_runs_a_constant_number_of_queries(secretariat_client, django_assert_num_queries):
    # 1 session, 1 user, 2 permissions (the user's and the group's); the list filters'
    # choices: 1 cluster, 1 section, 1 assessment, 1 implementation, 1 mandate-holder, 1 topic;
    # 2 counts (filtered and total); 1 page of rows with their joins, 1 prefetch of the
    # assignments with their mandate-holders; 1 for the demo banner; 1 for the session's
    # two-step verification device (iertracker/mfa.py).
    with django_assert_num_queries(16):
        first = secretariat_client.get(CHANGELIST)  # 100 rows
    with django_assert_num_queries(16):
        last = secretariat_client.get(CHANGELIST, {"p": 4})  # 84 rows
    assert len(first.context["cl"].result_list) == 100
    assert len(last.context["cl"].result_list) == 84


# Editing one recommendation


def test_a_change_through_the_form_is_recorded_with_user_and_reason(
    secretariat_client, secretariat_user, rec
):
    response = secretariat_client.get(change_url(rec(14)))
    assert response.status_code == 200
    data = form_data(response)
    positively = AssessmentStatus.objects.get(key="positively_assessed")
    otp = MandateHolder.objects.get(slug="otp")
    data.update(
        {
            "assessment_status": str(positively.pk),
            "change_reason": "Matrix circulated before ASP24",
            "assignments-TOTAL_FORMS": "1",
            "assignments-0-mandate_holder": str(otp.pk),
            "assignments-0-role": str(MandateAssignment.Role.LEAD),
            "assignments-0-note": "",
        }
    )
    response = secretariat_client.post(change_url(rec(14)), data)
    assert response.status_code == 302
    recommendation = rec(14)
    assert recommendation.assessment_status == positively
    assert [a.mandate_holder for a in recommendation.assignments.all()] == [otp]
    record = recommendation.history.first()
    assert record.history_user == secretariat_user
    assert record.history_change_reason == "Matrix circulated before ASP24"
    assert record.history_source == ChangeSource.ADMIN
    assert recommendation.responsibility == "court"  # untouched fields stay as they were


def test_a_change_without_a_reason_is_refused_and_changes_nothing(secretariat_client, rec):
    before = rec(14).history.count()
    data = form_data(secretariat_client.get(change_url(rec(14))))
    data["responsibility"] = "assembly"
    response = secretariat_client.post(change_url(rec(14)), data)
    assert response.status_code == 200
    assert "change_reason" in response.context["adminform"].form.errors
    assert rec(14).responsibility == "court"
    assert rec(14).history.count() == before


def test_the_history_page_shows_who_what_when_and_why(secretariat_client, rec):
    data = form_data(secretariat_client.get(change_url(rec(15))))
    in_progress = ImplementationStatus.objects.get(key="in_progress")
    data.update(
        {
            "implementation_status": str(in_progress.pk),
            "change_reason": "Focal point e-mail of 3 May",
        }
    )
    secretariat_client.post(change_url(rec(15)), data)
    history = reverse("admin:recommendations_recommendation_history", args=[rec(15).pk])
    content = secretariat_client.get(history).content.decode()
    assert "alice" in content
    assert "Focal point e-mail of 3 May" in content
    assert "Back-office" in content
    assert "In progress" in content  # what changed: the new status by name
    assert "Reference data" in content  # the record's creation by the loader


def test_the_history_shows_roles_of_mandate_holders(admin_client, rec):
    history = reverse("admin:recommendations_recommendation_history", args=[rec(27).pk])
    content = admin_client.get(history).content.decode()
    assert "CBF (Procedural step (not an assignment))" in content


def test_the_history_page_asks_the_same_queries_however_long_the_history(admin_client, rec):
    url = reverse("admin:recommendations_recommendation_history", args=[rec(14).pk])
    with CaptureQueriesContext(connection) as fresh:
        assert admin_client.get(url).status_code == 200
    # Two years of rounds that each change every recommendation (bench/grow_history.py).
    grow_history(2, changes_per_year=384 * 4, updates_per_year=0, editions=False)
    assert rec(14).history.count() >= 8
    with CaptureQueriesContext(connection) as grown:
        content = admin_client.get(url).content.decode()
    assert len(grown) == len(fresh), [q["sql"] for q in grown]
    assert content.count("Matrix of ") >= 6  # each grown change listed with its reason
    assert "→" in content


# The bulk action


def test_the_bulk_action_asks_for_status_and_reason_then_applies_to_each(
    secretariat_client, secretariat_user
):
    selected = list(Recommendation.objects.filter(number__in=[1, 2, 3]))
    ask = secretariat_client.post(
        CHANGELIST, {"action": "set_statuses", "_selected_action": [str(r.pk) for r in selected]}
    )
    assert ask.status_code == 200
    assert b"Reason for this change" in ask.content

    positively = AssessmentStatus.objects.get(key="positively_assessed")
    missing_reason = bulk_set(secretariat_client, selected, assessment=positively, reason="")
    assert missing_reason.status_code == 200
    assert missing_reason.context["form"].errors["reason"]
    assert not Recommendation.objects.filter(
        pk__in=[r.pk for r in selected], assessment_status__isnull=False
    ).exists()

    done = bulk_set(
        secretariat_client, selected, assessment=positively, reason="Bureau decision of 12 October"
    )
    assert done.status_code == 302
    for recommendation in Recommendation.objects.filter(pk__in=[r.pk for r in selected]):
        assert recommendation.assessment_status == positively
        record = recommendation.history.first()
        assert record.history_user == secretariat_user
        assert record.history_change_reason == "Bureau decision of 12 October"
        assert record.history_source == ChangeSource.BULK


def test_the_bulk_action_can_clear_a_status(secretariat_client, rec):
    response = bulk_set(
        secretariat_client, [rec(363)], assessment="none", reason="Recorded by mistake"
    )
    assert response.status_code == 302
    assert rec(363).assessment_status is None


def test_the_bulk_action_needs_at_least_one_status(secretariat_client, rec):
    response = bulk_set(secretariat_client, [rec(1)], assessment="", reason="Nothing")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


# The other models


@pytest.mark.parametrize(
    "model",
    [
        "cluster",
        "section",
        "assessmentstatus",
        "implementationstatus",
        "mandateholder",
        "topic",
        "assemblysession",
        "progressstatement",
        "source",
    ],
)
def test_every_other_model_has_an_admin_the_secretariat_can_open(secretariat_client, model):
    assert (
        secretariat_client.get(reverse(f"admin:recommendations_{model}_changelist")).status_code
        == 200
    )


def test_the_secretariat_can_rename_a_status_without_code(secretariat_client):
    status = AssessmentStatus.objects.get(key="positively_assessed")
    url = reverse("admin:recommendations_assessmentstatus_change", args=[status.pk])
    response = secretariat_client.get(url)
    data = form_data(response)
    data["label_en"] = "Assessed positively"
    assert secretariat_client.post(url, data).status_code == 302
    status.refresh_from_db()
    assert status.label_en == "Assessed positively"


def test_mandate_holders_autocomplete_for_the_assignment_inline(secretariat_client):
    response = secretariat_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "OTP",
            "app_label": "recommendations",
            "model_name": "mandateassignment",
            "field_name": "mandate_holder",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Office of the Prosecutor (OTP)"]


def test_saving_a_form_does_not_confirm_demonstration_values(secretariat_client, rec):
    positively = AssessmentStatus.objects.get(key="positively_assessed")
    otp = MandateHolder.objects.get(slug="otp")
    recommendation_update(
        rec(14),
        changes={"assessment_status": positively, "assignments": [Assignment(otp)]},
        user=None,
        reason="demo",
        source=ChangeSource.DEMO,
    )
    data = form_data(secretariat_client.get(change_url(rec(14))))
    data.update({"public_remarks": "Discussed at the HWG", "change_reason": "Remark"})
    assert secretariat_client.post(change_url(rec(14)), data).status_code == 302
    recommendation = rec(14)
    assert recommendation.public_remarks == "Discussed at the HWG"
    assert recommendation.assessment_status_demo is True
    assert [a.is_demo for a in recommendation.assignments.all()] == [True]


def test_setting_the_demo_value_explicitly_makes_it_real(secretariat_client, rec):
    positively = AssessmentStatus.objects.get(key="positively_assessed")
    recommendation_update(
        rec(14), changes={"assessment_status": positively}, user=None, reason="demo", source="demo"
    )
    bulk_set(
        secretariat_client,
        [rec(14)],
        assessment=positively,
        reason="Confirmed by the Matrix of 1 November",
    )
    assert rec(14).assessment_status == positively
    assert rec(14).assessment_status_demo is False


def test_the_history_says_not_yet_recorded_for_an_empty_value(secretariat_client, rec):
    history = reverse("admin:recommendations_recommendation_history", args=[rec(363).pk])
    content = secretariat_client.get(history).content.decode()
    assert "Not yet recorded → Positively assessed" in content
    assert "Deleted" not in content


#
# Accounts and focal points (managed by the Secretariat)
#


def user_change_data(user, **overrides):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "focal_points-TOTAL_FORMS": "0",
        "focal_points-INITIAL_FORMS": "0",
        "focal_points-MIN_NUM_FORMS": "0",
        "focal_points-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_the_secretariat_makes_a_focal_point(secretariat_client, mailoutbox, settings):
    from django.contrib.auth.models import User

    from recommendations import reporting
    from recommendations.models import MandateHolder

    settings.SITE_URL = "https://ier.example.org"
    response = secretariat_client.post(
        "/admin/auth/user/add/",
        {
            "username": "fatou",
            "email": "fatou@example.org",
            "password1": "a-long-pass-phrase-2026",  # not on the form: ignored
            "password2": "a-long-pass-phrase-2026",
            "usable_password": "true",
            "focal_points-TOTAL_FORMS": "0",
            "focal_points-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    fatou = User.objects.get(username="fatou")
    # No one but its owner chooses the password: the account has none until then.
    assert not fatou.has_usable_password()
    [invitation] = mailoutbox
    assert invitation.to == ["fatou@example.org"]
    assert "fatou" in invitation.body
    assert "https://ier.example.org/accounts/reset/" in invitation.body
    focal_group = Group.objects.get(name=FOCAL_POINT)
    otp = MandateHolder.objects.get(slug="otp")
    response = secretariat_client.post(
        f"/admin/auth/user/{fatou.pk}/change/",
        user_change_data(
            fatou,
            email="fatou@example.org",
            groups=[focal_group.pk],
            **{
                "focal_points-TOTAL_FORMS": "1",
                "focal_points-0-mandate_holder": otp.pk,
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    fatou = User.objects.get(username="fatou")
    assert reporting.is_focal_point(fatou)
    assert reporting.linked_holder_ids(fatou) == {otp.pk}


def test_the_secretariat_cannot_grant_superuser_or_single_permissions(secretariat_client):
    from django.contrib.auth.models import Permission, User

    charlie = User.objects.create_user("charlie2", password="pw")
    page = secretariat_client.get(f"/admin/auth/user/{charlie.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="user_permissions"' not in page
    permission = Permission.objects.get(codename="delete_recommendation")
    response = secretariat_client.post(
        f"/admin/auth/user/{charlie.pk}/change/",
        user_change_data(charlie, is_superuser="on", user_permissions=[permission.pk]),
    )
    assert response.status_code == 302
    charlie.refresh_from_db()
    assert not charlie.is_superuser
    assert not charlie.user_permissions.exists()


def test_the_secretariat_offers_only_the_role_groups(secretariat_client):
    from django.contrib.auth.models import User

    Group.objects.create(name="Something powerful")
    charlie = User.objects.create_user("charlie3", password="pw")
    form = secretariat_client.get(f"/admin/auth/user/{charlie.pk}/change/").context["adminform"]
    offered = set(form.form.fields["groups"].queryset.values_list("name", flat=True))
    assert offered == set(GROUP_PERMISSIONS)


def test_progress_updates_are_read_only_in_the_back_office(secretariat_client, admin_client):
    from tests.test_reporting import submitted_update

    dora = make_dora()
    update = submitted_update(dora)
    url = f"/admin/recommendations/progressupdate/{update.pk}/change/"
    page = secretariat_client.get(url)
    assert page.status_code == 200
    assert "Drafted the policy." in page.content.decode()
    assert admin_client.post(url, {"action_taken": "rewritten"}).status_code == 403
    update.refresh_from_db()
    assert update.action_taken == "Drafted the policy."


def make_dora():
    from tests.conftest import assign, make_user

    assign(14, "otp")
    return make_user("dora", groups=[FOCAL_POINT], holders=["otp"])


#
# Two people editing the same recommendation
#


def test_the_second_of_two_concurrent_edits_is_refused_and_says_what_changed(secretariat_user, rec):
    from django.test import Client

    from tests.conftest import make_user

    alice, bob = Client(), Client()
    alice.force_login(secretariat_user)
    bob.force_login(make_user("bob2", is_staff=True, groups=[SECRETARIAT]))
    # Both open R14.
    alice_form = form_data(alice.get(change_url(rec(14))))
    bob_form = form_data(bob.get(change_url(rec(14))))
    assert alice_form["version"] == bob_form["version"]
    # Alice saves first.
    alice_form.update(public_remarks="Alice's remark.", change_reason="Alice's reason")
    assert alice.post(change_url(rec(14)), alice_form).status_code == 302
    # Bob's save, from the form he opened before, is refused and changes nothing.
    bob_form.update(public_remarks="Bob's remark.", change_reason="Bob's reason")
    response = bob.post(change_url(rec(14)), bob_form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "was changed by someone else after you opened it" in page
    assert "alice" in page
    assert "Public remarks" in page
    assert rec(14).public_remarks == "Alice's remark."
    # Opened again, his form carries the new version and saves.
    bob_form = form_data(bob.get(change_url(rec(14))))
    bob_form.update(public_remarks="Bob's remark.", change_reason="Bob's reason")
    assert bob.post(change_url(rec(14)), bob_form).status_code == 302
    assert rec(14).public_remarks == "Bob's remark."


def test_the_service_refuses_a_stale_version(secretariat_user, rec):
    from django.core.exceptions import ValidationError as DjangoValidationError

    from recommendations.services import current_version

    opened = current_version(rec(14))
    recommendation_update(
        rec(14), changes={"public_remarks": "First."}, user=secretariat_user, reason="r",
        source=ChangeSource.ADMIN, expected_version=opened,
    )  # fmt: skip
    with pytest.raises(DjangoValidationError, match="changed by someone else"):
        recommendation_update(
            rec(14), changes={"public_remarks": "Second."}, user=secretariat_user, reason="r",
            source=ChangeSource.ADMIN, expected_version=opened,
        )  # fmt: skip
    assert rec(14).public_remarks == "First."


def test_the_history_revert_page_refuses_a_post_and_changes_nothing(admin_client, rec):
    """The probe's POST saved the old version (no reason, no source) and then answered 500."""
    topic = Topic.objects.create(key="probe", name="Probe topic")
    recommendation_update(
        rec(14), changes={"topics": [topic]}, user=None, reason="set-up", source="admin"
    )
    old = rec(14).history.last()  # the version before the topic was set
    url = reverse(
        "admin:recommendations_recommendation_simple_history", args=[rec(14).pk, old.history_id]
    )
    before = rec(14).history.count()
    assert admin_client.get(url).status_code == 200  # looking at a past version is fine
    response = admin_client.post(url, {"number": 14, "topics": [], "_save": "Save"})
    assert response.status_code == 405
    assert rec(14).history.count() == before
    assert list(rec(14).topics.all()) == [topic]


def test_an_admin_write_that_fails_part_way_leaves_nothing(secretariat_client, monkeypatch):
    """Django wraps its forms in a transaction, not the actions: the site wraps every POST."""
    from recommendations.admin import RecommendationAdmin

    def crash(*args, **kwargs):
        raise RuntimeError("after the write")

    monkeypatch.setattr(RecommendationAdmin, "message_user", crash)
    selected = list(Recommendation.objects.filter(number__in=[1, 2]))
    positively = AssessmentStatus.objects.get(key="positively_assessed")
    with pytest.raises(RuntimeError):
        bulk_set(secretariat_client, selected, assessment=positively, reason="Half a change")
    assert not Recommendation.objects.filter(
        number__in=[1, 2], assessment_status=positively
    ).exists()

"""Progress reporting: a focal point's updates, the Secretariat's review, the public timeline,
the reports for the Assembly, e-mails and the digest."""

import datetime
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from recommendations import reporting
from recommendations.models import (
    AssemblySession,
    AssessmentStatus,
    ChangeSource,
    ImplementationStatus,
    MandateHolder,
    ProgressUpdate,
    ProgressUpdateEvent,
    Recommendation,
)
from recommendations.roles import SECRETARIAT
from tests.conftest import assign, make_user

pytestmark = pytest.mark.django_db

NEW_R14 = "/reporting/R14/new/"
State = ProgressUpdate.State


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(**overrides):
    data = {
        "mandate_holder": MandateHolder.objects.get(slug="otp").pk,
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "action_taken": "Drafted the policy.",
        "impediments": "",
        "next_steps": "Consult the States Parties.",
        "proposed_implementation_status": "",
        "evidence": "ICC-ASP/24/20",
        "may_publish": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def opened(client, update) -> str:
    """The version a browser sends back with the update's form, as the page gives it."""
    return client.get(f"/reporting/updates/{update.pk}/").context["form"]["version"].value()


def status(model, key):
    return model.objects.get(key=key)


@pytest.fixture
def alice(secretariat_user):
    return secretariat_user


@pytest.fixture(autouse=True)
def _commit_callbacks_run_at_once(monkeypatch):
    """Each test runs in a transaction that is rolled back, so the e-mails the steps send
    "on commit" would never go: here they go at once (see the test right below)."""
    monkeypatch.setattr(
        "recommendations.reporting.transaction.on_commit",
        lambda callback, using=None, robust=False: callback(),
    )


def test_e_mails_wait_for_the_step_to_commit(dora, alice, monkeypatch):
    monkeypatch.undo()
    from django.db import transaction

    assert transaction.on_commit.__module__ == "django.db.transaction"

    def step_that_fails_after_submitting():
        with transaction.atomic():
            submitted_update(dora)
            raise RuntimeError("the step fails after the update was saved")

    with pytest.raises(RuntimeError):
        step_that_fails_after_submitting()
    assert ProgressUpdate.objects.count() == 0
    assert mail.outbox == []


def test_the_whole_workflow_draft_submit_return_resubmit_accept(dora, alice, rec):
    in_progress = status(ImplementationStatus, "in_progress")
    fp, sec = logged_in(dora), logged_in(alice)

    # Draft, then edit the draft.
    response = fp.post(NEW_R14, form_data(save="1"))
    update = ProgressUpdate.objects.get()
    assert response.status_code == 302
    assert response.url == f"/reporting/updates/{update.pk}/"
    assert update.state == State.DRAFT
    assert update.author == dora
    response = fp.post(
        response.url,
        form_data(
            save="1", proposed_implementation_status=in_progress.pk, version=opened(fp, update)
        ),
    )
    update.refresh_from_db()
    assert response.status_code == 302
    assert update.state == State.DRAFT
    assert update.proposed_implementation_status == in_progress

    # Submit: the Secretariat is told, the author can no longer change it.
    response = fp.post(
        f"/reporting/updates/{update.pk}/", form_data(submit="1", version=opened(fp, update))
    )
    assert response.status_code == 302
    assert response.url == "/reporting/"
    update.refresh_from_db()
    assert update.state == State.SUBMITTED
    assert update.submitted_at is not None
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert "R14" in mail.outbox[0].subject
    assert f"/reporting/review/{update.pk}/" in mail.outbox[0].body
    locked = fp.post(
        f"/reporting/updates/{update.pk}/", form_data(action_taken="Changed", save="1")
    )
    assert locked.status_code == 403
    update.refresh_from_db()
    assert update.action_taken == "Drafted the policy."
    assert b"locked" in fp.get(f"/reporting/updates/{update.pk}/").content

    # Return with a comment: the author is told and sees it.
    response = sec.post(
        f"/reporting/review/{update.pk}/", {"decision": "return", "comment": "Add the dates."}
    )
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.state == State.RETURNED
    assert update.review_comment == "Add the dates."
    assert mail.outbox[-1].to == [dora.email]
    assert "Add the dates." in mail.outbox[-1].body
    page = fp.get(f"/reporting/updates/{update.pk}/").content.decode()
    assert "Add the dates." in page
    assert 'name="submit"' in page

    # Resubmit, then accept and publish.
    fp.post(
        f"/reporting/updates/{update.pk}/",
        form_data(
            submit="1",
            action_taken="Drafted the policy (March-May 2026).",
            proposed_implementation_status=in_progress.pk,
            version=opened(fp, update),
        ),
    )
    update.refresh_from_db()
    assert update.state == State.SUBMITTED
    response = sec.post(f"/reporting/review/{update.pk}/", {"decision": "accept"})
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.state == State.ACCEPTED
    assert update.is_public
    assert update.reviewed_by == alice

    # The status changed through the one service, the update as the reason.
    r14 = rec(14)
    assert r14.implementation_status == in_progress
    record = r14.history.latest("history_date")
    assert record.history_source == ChangeSource.UPDATE
    assert record.history_user == alice
    assert record.history_progress_update_id == update.pk
    assert "OTP" in record.history_change_reason
    assert "2026-01-01" in record.history_change_reason
    assert "dora" not in record.history_change_reason.lower()

    # Every step dated and attributed.
    steps = list(update.events.values_list("action", "user__username"))
    assert steps == [
        ("created", "dora"),
        ("saved", "dora"),
        ("saved", "dora"),
        ("submitted", "dora"),
        ("returned", "alice"),
        ("saved", "dora"),
        ("submitted", "dora"),
        ("accepted", "alice"),
    ]
    assert mail.outbox[-1].to == [dora.email]
    assert "published" in mail.outbox[-1].subject

    # On the public page: text, date, mandate-holder; not the author's name.
    page = Client().get("/recommendations/R14/").content.decode()
    assert "Drafted the policy (March-May 2026)." in page
    assert "Update from OTP" in page
    assert "Dora" not in page
    assert "dora" not in page


def test_accepted_but_internal_stays_off_public_pages(dora, alice, rec):
    update = submitted_update(dora, action_taken="Confidential negotiation.")
    response = logged_in(alice).post(
        f"/reporting/review/{update.pk}/", {"decision": "accept_internal"}
    )
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.state == State.ACCEPTED
    assert not update.is_public
    assert "Confidential negotiation." not in Client().get("/recommendations/R14/").content.decode()
    report = "/mandate-holders/otp/report/"
    assert "Confidential negotiation." not in Client().get(report).content.decode()
    assert "Confidential negotiation." in logged_in(alice).get(report).content.decode()
    assert "Confidential negotiation." in logged_in(dora).get(report).content.decode()
    assert mail.outbox[-1].to == [dora.email]
    assert "internal" in mail.outbox[-1].body


def test_the_secretariat_may_show_the_author(dora, alice):
    update = submitted_update(dora)
    logged_in(alice).post(
        f"/reporting/review/{update.pk}/", {"decision": "accept", "show_author": "on"}
    )
    assert "Reported by Dora Maar" in Client().get("/recommendations/R14/").content.decode()


def test_an_update_the_author_keeps_unpublished_cannot_be_published(dora, alice):
    update = submitted_update(dora, may_publish=False)
    sec = logged_in(alice)
    page = sec.get(f"/reporting/review/{update.pk}/").content.decode()
    assert 'value="accept"' not in page
    assert 'value="accept_internal"' in page
    response = sec.post(f"/reporting/review/{update.pk}/", {"decision": "accept"})
    assert response.status_code == 400
    update.refresh_from_db()
    assert update.state == State.SUBMITTED
    assert not update.is_public


def test_returning_needs_a_comment(dora, alice):
    update = submitted_update(dora)
    response = logged_in(alice).post(f"/reporting/review/{update.pk}/", {"decision": "return"})
    assert response.status_code == 400
    assert "the author reads this comment" in response.content.decode()
    update.refresh_from_db()
    assert update.state == State.SUBMITTED


def test_a_decision_already_taken_is_not_taken_twice(dora, alice):
    update = submitted_update(dora)
    reporting.accept_update(update, user=alice, publish=True)
    response = logged_in(alice).post(
        f"/reporting/review/{update.pk}/", {"decision": "return", "comment": "x"}
    )
    assert response.status_code == 302
    assert response.url == f"/reporting/updates/{update.pk}/"
    update.refresh_from_db()
    assert update.state == State.ACCEPTED
    assert update.events.filter(action=ProgressUpdateEvent.Action.RETURNED).count() == 0


def test_the_review_page_shows_the_diff_against_the_record(dora, alice):
    implemented = status(ImplementationStatus, "implemented")
    update = submitted_update(dora, proposed_implementation_status=implemented)
    page = logged_in(alice).get(f"/reporting/review/{update.pk}/").content.decode()
    diff = page[page.index("What accepting changes") : page.index("The update")]
    assert "Implementation status" in diff
    assert "<ins>" in diff
    assert "Implemented" in diff
    assert "Not yet recorded" in diff  # the current record


def test_a_proposed_assessment_only_while_the_assessment_is_open(dora, rec):
    fp = logged_in(dora)
    assert 'name="proposed_assessment_status"' in fp.get(NEW_R14).content.decode()
    positive = status(AssessmentStatus, "positively_assessed")
    recommendation_set(14, assessment_status=positive)
    assert 'name="proposed_assessment_status"' not in fp.get(NEW_R14).content.decode()
    # A forged value for a closed assessment is ignored by the form, refused by the model.
    fp.post(NEW_R14, form_data(save="1", proposed_assessment_status=positive.pk))
    assert ProgressUpdate.objects.get().proposed_assessment_status is None
    update = ProgressUpdate(
        recommendation=rec(14),
        mandate_holder=MandateHolder.objects.get(slug="otp"),
        author=dora,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 2, 1),
        proposed_assessment_status=positive,
    )
    with pytest.raises(Exception, match="already assessed"):
        update.full_clean()


def recommendation_set(number, **changes):
    from recommendations.services import recommendation_update

    recommendation_update(
        Recommendation.objects.get(number=number),
        changes=changes,
        user=None,
        reason="test",
        source=ChangeSource.ADMIN,
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"action_taken": "", "next_steps": "", "impediments": "  "},
            "action_taken",
            "The update is empty",
        ),
        (
            {"period_start": "2026-06-30", "period_end": "2026-01-01"},
            "period_end",
            "The period ends (2026-01-01) before it starts (2026-06-30).",
        ),
        ({"period_start": "30/06/2026"}, "period_start", "Enter a date as YYYY-MM-DD"),
        ({"period_start": "2099-01-01", "period_end": "2099-02-01"}, "period_start", "future"),
        ({"evidence": "see the e-mail of Tuesday"}, "evidence", "is neither a link"),
        ({"evidence": "javascript:alert(1)"}, "evidence", "is neither a link"),
        ({"evidence": "https://"}, "evidence", "is neither a link"),
        (
            {"proposed_implementation_status": "999999"},
            "proposed_implementation_status",
            "“999999” is not a status of the vocabulary",
        ),
        (
            {"proposed_implementation_status": "finished"},
            "proposed_implementation_status",
            "is not a status of the vocabulary",
        ),
        ({"period_end": ""}, "period_end", "This field is required."),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(dora, overrides, field, message):
    for button in ("save", "submit"):
        response = logged_in(dora).post(NEW_R14, form_data(**overrides, **{button: "1"}))
        assert response.status_code == 400
        page = response.content.decode()
        assert message in page.replace("&#x27;", "'").replace("&quot;", '"')
        assert f'href="#id_{field}"' in page  # the summary links to the field
        assert ProgressUpdate.objects.count() == 0
        assert len(mail.outbox) == 0


@pytest.mark.parametrize(
    "evidence",
    [
        "https://asp.icc-cpi.int/sites/default/files/asp_docs/ICC-ASP-23-Res4-ENG.pdf",
        "ICC-ASP/23/Res.4",
        "ICC-ASP/22/20/Add.1",
        "ICC-01/04-01/06-3121",
        "A/RES/77/1",
        "ICC-ASP/23/20 Corr.1",
    ],
)
def test_evidence_takes_a_link_or_a_document_symbol(dora, evidence):
    response = logged_in(dora).post(NEW_R14, form_data(evidence=evidence, save="1"))
    assert response.status_code == 302
    assert ProgressUpdate.objects.get().evidence == evidence


def test_text_is_stored_as_typed_and_shown_escaped_with_its_line_breaks(dora, alice):
    text = '<script>alert("x")</script>\n<b>bold</b> & more'
    update = submitted_update(dora, action_taken=text)
    assert ProgressUpdate.objects.get().action_taken == text
    reporting.accept_update(update, user=alice, publish=True)
    page = Client().get("/recommendations/R14/").content.decode()
    assert "<script>alert" not in page
    assert "<b>bold</b>" not in page
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>&lt;b&gt;bold&lt;/b&gt; &amp; more"
        in page
    )


def test_a_focal_point_cannot_reach_another_mandate_holders_recommendation(dora, erik):
    # R20 is the Registry's: Dora (OTP) gets 403 by URL, and nothing is created.
    fp = logged_in(dora)
    assert fp.get("/reporting/R20/new/").status_code == 403
    data = form_data(submit="1", mandate_holder=MandateHolder.objects.get(slug="registry").pk)
    assert fp.post("/reporting/R20/new/", data).status_code == 403
    assert ProgressUpdate.objects.count() == 0


def test_a_forged_mandate_holder_gets_403(dora, erik):
    # R15: OTP leads, the Registry contributes. Dora may report for OTP only.
    fp = logged_in(dora)
    registry = MandateHolder.objects.get(slug="registry")
    page = fp.get("/reporting/R15/new/").content.decode()
    assert f'value="{registry.pk}"' not in page
    assert (
        fp.post(
            "/reporting/R15/new/", form_data(submit="1", mandate_holder=registry.pk)
        ).status_code
        == 403
    )
    assert ProgressUpdate.objects.count() == 0
    # Erik reports for the Registry on R15, not for OTP.
    otp = MandateHolder.objects.get(slug="otp").pk
    assert (
        logged_in(erik)
        .post("/reporting/R15/new/", form_data(submit="1", mandate_holder=otp))
        .status_code
        == 403
    )
    assert ProgressUpdate.objects.count() == 0


def test_a_procedural_mention_is_not_ownership(rec):
    # R27: the CBF is named in a procedural step only (reference data).
    cbf_focal_point = make_user("cora", groups=["Focal point"], holders=["cbf"])
    assert logged_in(cbf_focal_point).get("/reporting/R27/new/").status_code == 403
    assert list(reporting.reportable(cbf_focal_point)) == []


def test_a_focal_point_unlinked_from_its_mandate_holder_loses_its_drafts(dora):
    fp = logged_in(dora)
    fp.post(NEW_R14, form_data(save="1"))
    update = ProgressUpdate.objects.get()
    dora.focal_points.all().delete()
    assert fp.post(f"/reporting/updates/{update.pk}/", form_data(submit="1")).status_code == 403
    update.refresh_from_db()
    assert update.state == State.DRAFT


def test_writes_need_csrf(dora):
    client = Client(enforce_csrf_checks=True)
    client.force_login(dora)
    assert client.post(NEW_R14, form_data(submit="1")).status_code == 403
    assert ProgressUpdate.objects.count() == 0


def test_my_recommendations_flags_what_is_due(dora, alice, rec):
    AssemblySession.objects.filter(number=24).update(
        start_date=datetime.date(2025, 12, 1), end_date=datetime.date(2025, 12, 6)
    )
    old = submitted_update(dora)
    reporting.accept_update(old, user=alice, publish=True)
    recent = submitted_update(dora, number=15)
    reporting.accept_update(recent, user=alice, publish=True)
    # R14's update was accepted before the last session began: due again.
    ProgressUpdate.objects.filter(pk=old.pk).update(
        reviewed_at=datetime.datetime(2025, 11, 20, tzinfo=datetime.UTC)
    )
    due_since, session = reporting.due_since(datetime.date(2026, 3, 1))
    assert session.number == 24
    assert due_since == datetime.date(2025, 12, 1)
    rows = {
        row.number: row
        for row in reporting.with_last_accepted(
            reporting.reportable(dora), reporting.linked_holder_ids(dora)
        )
    }
    assert set(rows) == {14, 15}
    page = logged_in(dora).get("/reporting/").content.decode()
    r14 = page[
        page.index('href="/recommendations/R14/"') : page.index('href="/recommendations/R15/"')
    ]
    r15 = page[page.index('href="/recommendations/R15/"') :]
    assert "Update due" in r14
    assert "20 Nov 2025" in r14
    assert "Update due" not in r15.split("</tr>")[0]


def test_due_since_is_twelve_months_when_the_last_session_is_older():
    day, session = reporting.due_since(datetime.date(2026, 11, 28))
    assert session.number == 23
    assert day == datetime.date(2025, 11, 28)
    assert reporting.due_since(datetime.date(2028, 2, 29))[0] == datetime.date(2027, 2, 28)


def test_the_weekly_digest_writes_to_focal_points_with_updates_due(dora, erik, alice):
    reporting.accept_update(
        submitted_update(erik, number=20, holder="registry"), user=alice, publish=True
    )
    mail.outbox.clear()
    out = StringIO()
    call_command("send_overdue_digest", "--dry-run", stdout=out)
    assert mail.outbox == []
    assert "dora@example.org: 2 due" in out.getvalue()
    assert "2 focal point(s)" in out.getvalue()
    call_command("send_overdue_digest", stdout=StringIO())
    # Dora owes updates on R14 and R15; Erik's R20 was just accepted and R15's update from
    # OTP does not count for the Registry: Erik owes R15.
    by_user = {message.to[0]: message.body for message in mail.outbox}
    assert set(by_user) == {dora.email, erik.email}
    assert "R14" in by_user[dora.email]
    assert "R15" in by_user[dora.email]
    assert "R15" in by_user[erik.email]
    assert "R20:" not in by_user[erik.email]


def test_the_overview_counts_per_mandate_holder(dora, erik, alice):
    reporting.accept_update(submitted_update(dora), user=alice, publish=False)
    submitted_update(dora, number=15)
    page = logged_in(alice).get("/reporting/overview/").content.decode()
    otp = page[page.index("Office of the Prosecutor") :].split("</tr>")[0]
    cells = [cell.split(">")[-1] for cell in otp.split("</td>")[:-1]]
    # OTP: 2 recommendations, 1 with an accepted update, 1 due, 1 awaiting review, 1 focal point.
    assert cells[:2] == ["2", "1"]
    assert "1</span" in otp
    assert cells[3:5] == ["1", "1"]


def test_the_report_is_as_of_the_chosen_date(dora, alice):
    implemented = status(ImplementationStatus, "implemented")
    update = submitted_update(
        dora, proposed_implementation_status=implemented, action_taken="Adopted the policy."
    )
    reporting.accept_update(update, user=alice, publish=True)
    today = timezone.localdate()
    now_page = Client().get(f"/mandate-holders/otp/report/?as_of={today}").content.decode()
    r14 = now_page[now_page.index('id="rec-R14"') :].split("</section>")[0]
    assert "Adopted the policy." in r14
    assert "Implemented" in r14
    before = (today - datetime.timedelta(days=1)).isoformat()
    old_page = Client().get(f"/mandate-holders/otp/report/?as_of={before}").content.decode()
    r14 = old_page[old_page.index('id="rec-R14"') :].split("</section>")[0]
    assert "Adopted the policy." not in r14
    assert "Implemented" not in r14
    assert "No accepted update by this date." in r14


@pytest.mark.parametrize(
    ("value", "message"), [("yesterday", "is not a date"), ("2999-01-01", "is in the future")]
)
def test_a_bad_report_date_is_named_and_today_used(value, message):
    response = Client().get(f"/mandate-holders/otp/report/?as_of={value}")
    assert response.status_code == 200
    assert message in response.content.decode()


def test_the_report_downloads_as_xlsx(dora, alice):
    from io import BytesIO

    from openpyxl import load_workbook

    update = submitted_update(dora, action_taken="Adopted the policy.", impediments="Budget.")
    reporting.accept_update(update, user=alice, publish=True)
    response = Client().get("/mandate-holders/otp/report.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = rows.index(next(row for row in rows if row[0] == "No."))
    body = {row[0]: row for row in rows[header + 1 :]}
    assert set(body) == {"R14", "R15"}
    assert body["R14"][5:7] == ["Adopted the policy.", "Budget."]
    assert body["R15"][5] is None


def test_my_export_has_the_internal_columns_and_only_my_rows(dora, erik):
    from io import BytesIO

    from openpyxl import load_workbook

    response = logged_in(dora).get("/reporting/my-recommendations.xlsx")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    header_index = next(i for i, row in enumerate(rows) if row[0] == "No.")
    assert "Internal remarks" in rows[header_index]
    assert sorted(row[0] for row in rows[header_index + 1 :]) == ["R14", "R15"]


def test_a_reviewer_who_is_not_a_focal_point_is_sent_to_the_queue(alice):
    response = logged_in(alice).get("/reporting/")
    assert response.status_code == 302
    assert response.url == "/reporting/review/"


def test_roles_come_from_groups_and_the_link(dora, alice):
    assert reporting.is_focal_point(dora)
    assert not reporting.is_reviewer(dora)
    assert reporting.is_reviewer(alice)
    assert not reporting.is_focal_point(alice)
    # A user linked to a mandate-holder but without the group's permission reports nothing.
    linked_only = make_user("lena", holders=["otp"])
    assert logged_in(linked_only).get(NEW_R14).status_code == 403
    linked_only.user_permissions.add(Permission.objects.get(codename="add_progressupdate"))
    assert logged_in(linked_only).get(NEW_R14).status_code == 200


def test_e_mail_failures_do_not_undo_the_step(dora, alice, settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.test_reporting.BrokenBackend"}}
    update = submitted_update(dora)
    assert update.state == State.SUBMITTED
    reporting.accept_update(update, user=alice, publish=True)
    update.refresh_from_db()
    assert update.state == State.ACCEPTED


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP is down")


def test_accounts_log_in_and_password_reset(dora):
    client = Client()
    assert client.get("/reporting/").url.startswith("/accounts/login/?next=/reporting/")
    response = client.post("/accounts/login/", {"username": "dora", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username" in response.content.decode()
    response = client.post(
        "/accounts/login/", {"username": "dora", "password": "pw", "next": "/reporting/"}
    )
    assert response.status_code == 302
    assert response.url == "/reporting/"
    assert client.get("/reporting/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    response = client.post("/accounts/password_reset/", {"email": dora.email})
    assert response.status_code == 302
    assert mail.outbox[-1].to == [dora.email]
    assert "/accounts/reset/" in mail.outbox[-1].body


def submitted_update(author, *, number=14, holder="otp", **fields):
    """An update on R<number> submitted by ``author`` through the service."""
    update = ProgressUpdate(
        recommendation=Recommendation.objects.get(number=number),
        mandate_holder=MandateHolder.objects.get(slug=holder),
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 6, 30),
        action_taken=fields.pop("action_taken", "Drafted the policy."),
        **fields,
    )
    return reporting.save_update(update, user=author, submit=True)


def test_the_secretariat_group_is_what_the_notifications_use(alice, dora):
    other_staff = make_user("olga", is_staff=True)  # no role: not told
    assert reporting.reviewers_emails() == [alice.email]
    assert other_staff.email not in reporting.reviewers_emails()
    assert SECRETARIAT in set(alice.groups.values_list("name", flat=True))


# Queries per page. Signed in: the session, the user and its permissions (2 queries), and the
# check of the user's mandate-holders where the page needs it.
QUERY_COUNTS = [
    # Every signed-in page: + 1 for two-step verification (iertracker/mfa.py): Dora's account
    # is asked whether it has a device, Alice's session's device is read.
    # + the last session, the holders, 5 vocabularies, rows, owners, updates in progress
    ("dora", "/reporting/", 15),
    # + the holders' names, 6 vocabularies, rows, owners, topics
    ("dora", "/reporting/my-recommendations.xlsx", 13),
    # + the recommendation, the holders the user may report for, the last session, the last
    # accepted update, the form's choices (holders, 2 status vocabularies), the demo banner
    ("dora", "/reporting/R14/new/", 15),
    # + the update (with its recommendation, statuses, author), may_edit, its steps
    ("dora", "/reporting/updates/{pk}/", 8),
    # + the updates awaiting review, the last 20 reviewed, the demo banner
    ("alice", "/reporting/review/", 8),
    # + the update, the previous accepted one, its steps, the demo banner
    ("alice", "/reporting/review/{pk}/", 9),
    # + the last session, the counts per holder, updates awaiting review, the holders, banner
    ("alice", "/reporting/overview/", 10),
    # the mandate-holder, its rows with their latest accepted update's id, those updates, the
    # statuses as of the date, and the demo banner; signed in: + session, user, 2 permissions.
    # (With no accepted update at all, the updates' query is
    # not needed and the page takes one fewer.)
    (None, "/mandate-holders/otp/report/", 5),
    ("alice", "/mandate-holders/otp/report/", 10),
    (None, "/mandate-holders/otp/report.xlsx", 4),
]


@pytest.mark.parametrize(("who", "url", "queries"), QUERY_COUNTS)
def test_reporting_pages_take_a_fixed_number_of_queries(
    dora, alice, who, url, queries, django_assert_num_queries
):
    users = {"dora": dora, "alice": alice}
    # One accepted update from the start, so that both measures below see the same kinds of
    # rows and differ only in their number.
    assign(29, "otp")
    reporting.accept_update(submitted_update(dora, number=29), user=alice, publish=True)
    update = submitted_update(dora)
    url = url.format(pk=update.pk)

    def get():
        client = logged_in(users[who]) if who else Client()
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200

    get()
    # Thirty more recommendations with accepted updates, ten awaiting review: same count.
    for number in range(30, 70):
        assign(number, "otp")
        more = submitted_update(dora, number=number)
        if number < 60:
            reporting.accept_update(more, user=alice, publish=True)
    get()


def test_forged_workflow_fields_are_ignored(dora):
    response = logged_in(dora).post(
        NEW_R14,
        form_data(
            save="1", state="accepted", is_public="on", show_author="on", author=1, reviewed_by=1
        ),
    )
    assert response.status_code == 302
    update = ProgressUpdate.objects.get()
    assert update.state == State.DRAFT
    assert not update.is_public
    assert not update.show_author
    assert update.author == dora
    assert update.reviewed_by is None


def test_the_back_office_history_links_the_change_to_its_update(dora, alice, rec):
    implemented = status(ImplementationStatus, "implemented")
    update = submitted_update(dora, proposed_implementation_status=implemented)
    reporting.accept_update(update, user=alice, publish=False)
    page = logged_in(alice).get(f"/admin/recommendations/recommendation/{rec(14).pk}/history/")
    assert f'href="/reporting/updates/{update.pk}/"' in page.content.decode()


def test_the_reporting_pages_speak_french(dora, alice):
    update = submitted_update(dora)
    fp = logged_in(dora)
    fp.post("/i18n/setlang/", {"language": "fr", "next": "/reporting/"})
    page = fp.get("/reporting/").content.decode()
    assert "Mes recommandations" in page
    assert "Soumise, en attente d\u2019examen" in page
    form = fp.post(NEW_R14, form_data(period_end="", save="1")).content.decode()
    assert "Ce champ est obligatoire." in form
    sec = logged_in(alice)
    sec.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert "File d\u2019examen" in sec.get(f"/reporting/review/{update.pk}/").content.decode()


def test_a_draft_saved_from_two_tabs_refuses_the_stale_one_and_keeps_its_text(dora):
    """The probe's focal point lost the first tab's text: the last save won silently."""
    fp = logged_in(dora)
    fp.post(NEW_R14, form_data(save="1"))
    update = ProgressUpdate.objects.get()
    url = f"/reporting/updates/{update.pk}/"
    first_tab, second_tab = opened(fp, update), opened(fp, update)
    assert first_tab == second_tab
    saved = fp.post(url, form_data(save="1", action_taken="From tab one.", version=first_tab))
    assert saved.status_code == 302
    stale = fp.post(url, form_data(save="1", action_taken="From tab two.", version=second_tab))
    assert stale.status_code == 400
    page = stale.content.decode()
    assert "saved again" in page
    assert "after you opened this page" in page
    assert "From tab two." in page  # the text typed in tab two is still in its form
    update.refresh_from_db()
    assert update.action_taken == "From tab one."
    assert update.events.count() == 2  # created, saved: nothing for the refused save
    # Opened again, tab two saves.
    again = fp.post(
        url, form_data(save="1", action_taken="From tab two.", version=opened(fp, update))
    )
    assert again.status_code == 302
    update.refresh_from_db()
    assert update.action_taken == "From tab two."


def test_a_draft_form_without_its_version_is_refused(dora):
    fp = logged_in(dora)
    fp.post(NEW_R14, form_data(save="1"))
    update = ProgressUpdate.objects.get()
    response = fp.post(f"/reporting/updates/{update.pk}/", form_data(action_taken="x"))
    assert response.status_code == 400
    update.refresh_from_db()
    assert update.action_taken == "Drafted the policy."

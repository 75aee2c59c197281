"""Progress reporting in a real browser, through the real log-in form.

1. The workflow, end to end through the pages: Dora, focal point of the OTP, writes an update
   on R14 and submits it; Alice, of the ASP Secretariat, returns it with a comment; Dora edits
   it and submits it again; Alice accepts and publishes it; an anonymous visitor reads it on
   R14's public page, without Dora's name. Full-page screenshots of the review page and of
   "My recommendations" (once the update was accepted) are saved beside the public pages' ones.
2. axe-core on every reporting page, in each state an update goes through (the same rules as
   the public pages: any violation fails).

Each test is transactional (the live server runs in another thread and must see the data), so
it loads the reference data and makes its own users.
"""

import datetime
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone
from django.utils.dateformat import format as date_format
from playwright.sync_api import Page, expect

from recommendations import reporting
from recommendations.models import ProgressUpdate
from recommendations.reference import load_reference_data
from recommendations.roles import FOCAL_POINT, SECRETARIAT, ensure_groups
from tests.conftest import assign, make_user
from tests.e2e.test_public_pages import BLOCKING, SCREENSHOTS
from tests.e2e.two_step import give_the_code

pytestmark = pytest.mark.django_db(transaction=True)

FIRST_TEXT = "Drafted the policy on the selection of staff."
SECOND_TEXT = "Drafted the policy on the selection of staff (March to May)."
NEXT_STEPS = "Consult the States Parties on the draft."
EVIDENCE = "ICC-ASP/24/20"
COMMENT = "Please give the months in which the policy was drafted."
PNG = b"\x89PNG\r\n\x1a\n"
UPDATE_URL = re.compile(r"/reporting/updates/(\d+)/$")


@pytest.fixture
def reporting_site(live_server):
    """Reference data, R14 led by the OTP, Dora (its focal point) and Alice (Secretariat)."""
    load_reference_data()
    ensure_groups()  # the flush's post_migrate recreates them already; cheap and explicit
    assign(14, "otp")
    make_user("dora", first_name="Dora", last_name="Maar", groups=[FOCAL_POINT], holders=["otp"])
    make_user("alice", first_name="Alice", is_staff=True, groups=[SECRETARIAT])
    return live_server.url


def log_in(page: Page, site: str, username: str) -> None:
    """Through the log-in form; every user of these tests has the password "pw"."""
    page.goto(f"{site}/accounts/login/")
    expect(page.locator("h1")).to_have_text("Log in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    if "/accounts/two-step/" in page.url:  # the Secretariat's second step
        give_the_code(page, username)


def log_out(page: Page) -> None:
    """The header's "Log out" button (a POST form)."""
    page.get_by_role("button", name="Log out").click()
    expect(page.locator(".account").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def messages(page: Page):
    return page.locator("main .messages")


def in_progress_row(page: Page, code: str):
    """A row of "Updates in progress" on "My recommendations"."""
    section = page.locator("section[aria-labelledby=in-progress-heading]")
    return section.locator("tbody tr", has=page.get_by_role("link", name=code, exact=True))


def my_row(page: Page, code: str):
    """A row of the list of recommendations on "My recommendations"."""
    section = page.locator("section[aria-labelledby=mine-heading]")
    return section.locator("tbody tr", has=page.get_by_role("link", name=code, exact=True))


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=target, full_page=True)
    assert target.read_bytes()[:8] == PNG
    assert target.stat().st_size > 10_000, target


# 1. The workflow -------------------------------------------------------------------------------


def test_an_update_is_written_returned_resubmitted_accepted_and_published(
    reporting_site, page: Page
):
    site = reporting_site
    today = timezone.localdate()
    start = today - datetime.timedelta(days=120)

    # Dora writes an update on R14, saves it as a draft, then submits it.
    log_in(page, site, "dora")
    page.wait_for_url(f"{site}/reporting/")
    expect(page.locator("h1")).to_have_text("My recommendations")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My recommendations")).to_have_attribute(
        "aria-current", "page"
    )
    expect(nav.get_by_role("link", name="Review queue")).to_have_count(0)
    r14 = my_row(page, "R14")
    expect(r14).to_have_count(1)
    expect(r14).to_contain_text("None yet")
    expect(r14.locator(".due")).to_have_text("Update due")
    expect(page.get_by_text("No draft, returned or submitted update.")).to_be_visible()

    r14.get_by_role("link", name="Write an update on R14").click()
    page.wait_for_url(f"{site}/reporting/R14/new/")
    expect(page.locator("h1")).to_have_text("New update on R14")
    expect(page.get_by_label("Reporting for").locator("option:checked")).to_contain_text("OTP")
    page.get_by_label("Period from").fill(start.isoformat())
    page.get_by_label("Period to").fill(today.isoformat())
    page.get_by_label("Action taken").fill(FIRST_TEXT)
    page.get_by_label("Next steps").fill(NEXT_STEPS)
    page.get_by_label("Proposed implementation status").select_option(label="In progress")
    page.get_by_label("Evidence").fill(EVIDENCE)
    page.get_by_role("button", name="Save draft").click()

    page.wait_for_url(UPDATE_URL)
    pk = UPDATE_URL.search(page.url).group(1)
    expect(messages(page)).to_contain_text("Draft saved.")
    expect(page.locator("h1")).to_have_text("Your update on R14")
    expect(page.locator("main .state").first).to_have_text("Draft")
    expect(page.get_by_label("Action taken")).to_have_value(FIRST_TEXT)
    proposed = page.get_by_label("Proposed implementation status")
    expect(proposed.locator("option:checked")).to_have_text("In progress")
    expect(page.get_by_label("Evidence")).to_have_value(EVIDENCE)

    page.get_by_role("button", name="Submit to the ASP Secretariat").click()
    page.wait_for_url(f"{site}/reporting/")
    expect(messages(page)).to_contain_text("Your update on R14 was sent to the ASP Secretariat.")
    expect(in_progress_row(page, "R14")).to_contain_text("Submitted, awaiting review")
    # Locked while the Secretariat reviews it: its page shows the text, not the form.
    in_progress_row(page, "R14").get_by_role("link", name="R14").click()
    page.wait_for_url(f"{site}/reporting/updates/{pk}/")
    expect(page.get_by_text("Submitted updates are locked")).to_be_visible()
    expect(page.get_by_role("button", name="Submit to the ASP Secretariat")).to_have_count(0)
    expect(page.locator("article.update-card")).to_contain_text(FIRST_TEXT)
    assert [m.to for m in mail.outbox] == [["alice@example.org"]], "the Secretariat is told"
    log_out(page)

    # Alice opens it from the review queue and returns it with a comment.
    log_in(page, site, "alice")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    page.wait_for_url(f"{site}/reporting/review/")
    expect(page.locator("h1")).to_have_text("Review queue")
    expect(page.locator("#waiting-heading")).to_have_text("1 update awaits review")
    waiting = page.locator("section[aria-labelledby=waiting-heading] tbody tr")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("OTP")
    expect(waiting).to_contain_text("Dora Maar")
    expect(waiting).to_contain_text("In progress")

    waiting.get_by_role("link", name="Review R14").click()
    page.wait_for_url(f"{site}/reporting/review/{pk}/")
    expect(page.locator("h1")).to_have_text("Review the update on R14")
    diff = page.locator("section[aria-labelledby=diff-heading] tbody tr")
    implementation = diff.filter(has_text="Implementation status")
    expect(implementation).to_have_count(1)
    expect(implementation.locator("td").nth(0)).to_have_text("Not yet recorded")
    expect(implementation.locator("td").nth(1).locator("ins")).to_have_text("In progress")
    expect(page.locator("section[aria-labelledby=update-heading]")).to_contain_text(FIRST_TEXT)
    screenshot(page, "reporting-review")

    page.get_by_label("Return to the author with a comment").check()
    page.get_by_label("Comment:", exact=True).fill(COMMENT)
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(f"{site}/reporting/review/")
    expect(messages(page)).to_contain_text("Update returned to its author.")
    expect(page.get_by_text("Nothing awaits review.")).to_be_visible()
    expect(page.locator("section[aria-labelledby=reviewed-heading]")).to_contain_text(
        "R14, OTP: Returned for changes"
    )
    assert mail.outbox[-1].to == ["dora@example.org"]
    assert COMMENT in mail.outbox[-1].body
    log_out(page)

    # Dora reads the comment, changes the text and submits again.
    log_in(page, site, "dora")
    page.wait_for_url(f"{site}/reporting/")
    returned = in_progress_row(page, "R14")
    expect(returned).to_contain_text("Returned for changes")
    expect(returned.locator("q")).to_have_text(COMMENT)
    returned.get_by_role("link", name="R14").click()
    page.wait_for_url(f"{site}/reporting/updates/{pk}/")
    expect(page.get_by_text("Returned by the ASP Secretariat with this comment:")).to_be_visible()
    expect(messages(page)).to_contain_text(COMMENT)
    expect(page.get_by_label("Action taken")).to_have_value(FIRST_TEXT)
    page.get_by_label("Action taken").fill(SECOND_TEXT)
    page.get_by_role("button", name="Submit to the ASP Secretariat").click()
    page.wait_for_url(f"{site}/reporting/")
    expect(messages(page)).to_contain_text("Your update on R14 was sent to the ASP Secretariat.")
    expect(in_progress_row(page, "R14")).to_contain_text("Submitted, awaiting review")
    log_out(page)

    # Alice accepts it and publishes it.
    log_in(page, site, "alice")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    page.get_by_role("link", name="Review R14").click()
    page.wait_for_url(f"{site}/reporting/review/{pk}/")
    expect(page.locator("section[aria-labelledby=update-heading]")).to_contain_text(SECOND_TEXT)
    page.get_by_label("Accept and publish on the recommendation's page").check()
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(f"{site}/reporting/review/")
    expect(messages(page)).to_contain_text("Update accepted.")
    expect(page.get_by_text("Nothing awaits review.")).to_be_visible()
    expect(page.locator("section[aria-labelledby=reviewed-heading] li").first).to_contain_text(
        "R14, OTP: Accepted (published)"
    )
    log_out(page)

    # Dora's list shows the accepted update, and no update due on R14 any more.
    log_in(page, site, "dora")
    page.wait_for_url(f"{site}/reporting/")
    r14 = my_row(page, "R14")
    expect(r14.locator("time")).to_have_text(date_format(today, "j M Y"))
    expect(r14.locator(".due")).to_have_count(0)
    expect(r14).to_contain_text("In progress")
    expect(page.get_by_text("No draft, returned or submitted update.")).to_be_visible()
    screenshot(page, "reporting-my-recommendations")
    log_out(page)

    # Anyone reads it on R14's public page, without the author's name.
    page.context.clear_cookies()
    page.goto(f"{site}/recommendations/R14/")
    expect(page.locator(".account").get_by_role("link", name="Log in")).to_be_visible()
    facts = page.locator("section[aria-labelledby=facts-heading] dl.facts")
    expect(facts.locator("dt:has-text('Implementation status') + dd")).to_contain_text(
        "In progress"
    )
    card = page.locator("section[aria-labelledby=timeline-heading] article.update-card")
    expect(card).to_have_count(1)
    expect(card.locator("h3")).to_have_text(
        f"Update from OTP, {date_format(start, 'j M Y')} to {date_format(today, 'j M Y')}"
    )
    expect(card).to_contain_text(SECOND_TEXT)
    expect(card).to_contain_text(NEXT_STEPS)
    expect(card).to_contain_text(EVIDENCE)
    expect(page.get_by_text(FIRST_TEXT, exact=True)).to_have_count(0)
    html = page.content().lower()
    for name in ("dora", "maar", "alice"):
        assert name not in html, f"{name!r} is on the public page of R14"


# 2. Accessibility (axe-core) -------------------------------------------------------------------


class AxeChecks:
    """Runs axe-core on each page as the test goes; the verdict comes at the end, so that one
    finding does not hide the others."""

    def __init__(self, page: Page, site: str) -> None:
        self.axe, self.page, self.site = Axe(), page, site
        self.report: list[str] = []
        self.blocking: list[str] = []

    def check(self, path: str, name: str, status: int = 200) -> None:
        response = self.page.goto(f"{self.site}{path}")
        assert response is not None, path
        assert response.status == status, (name, path, response.status)
        self.run(name)

    def run(self, name: str) -> None:
        """axe on the page as it is now (e.g. a form just sent back with its errors)."""
        violations = self.axe.run(self.page).response["violations"]
        where = f"{name} ({self.page.url.removeprefix(self.site)})"
        self.report.append(f"axe {where}: {len(violations) or 'no'} violation(s)")
        failing = [v for v in violations if v["impact"] in BLOCKING]
        if failing:
            self.blocking.append(f"{where}\n{self.describe(failing)}")

    @staticmethod
    def describe(violations: list[dict]) -> str:
        """Rule, impact, help and each element (selector and HTML, shortened)."""
        lines = []
        for v in violations:
            lines.append(f"  - {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
            for node in v["nodes"][:5]:
                lines.append(f"      {node['target']}: {node['html'][:200]}")
        return "\n".join(lines)

    def assert_none(self) -> None:
        print("\n".join(self.report))  # shown with -rP or -s
        assert not self.blocking, "axe found violations:\n" + "\n".join(self.blocking)


def test_axe_finds_no_violation_on_the_reporting_pages(reporting_site, page: Page):
    """Every reporting page, in each state of an update. The forms are sent through the page
    where the state to check is theirs (errors); the other steps go through the services.

    It found the page of a submitted or reviewed update breaking ``heading-order`` (h1, h2, then
    the update's h4 sub-headings): ``includes/progress_update.html`` now puts its parts one
    level below the heading it is given.
    """
    site = reporting_site
    users = get_user_model().objects
    dora, alice = users.get(username="dora"), users.get(username="alice")
    today = timezone.localdate()
    axe = AxeChecks(page, site)

    log_in(page, site, "dora")
    axe.check("/reporting/", "My recommendations, an update due")
    axe.check("/reporting/R14/new/", "New update form")
    page.get_by_label("Period from").fill(today.isoformat())
    page.get_by_label("Period to").fill((today - datetime.timedelta(days=1)).isoformat())
    page.get_by_label("Action taken").fill(FIRST_TEXT)
    page.get_by_label("Proposed implementation status").select_option(label="In progress")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the error below.")
    axe.run("New update form, sent back with an error")
    page.get_by_label("Period from").fill((today - datetime.timedelta(days=30)).isoformat())
    page.get_by_label("Period to").fill(today.isoformat())
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(UPDATE_URL)
    pk = int(UPDATE_URL.search(page.url).group(1))
    axe.run("Draft update form")
    update = reporting.save_update(ProgressUpdate.objects.get(pk=pk), user=dora, submit=True)
    axe.check("/reporting/", "My recommendations, an update submitted")
    axe.check(f"/reporting/updates/{pk}/", "Submitted update, for its author (locked)")
    log_out(page)

    # Alice's first sign-in: the two-step enrolment, then its page once on.
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_have_text("Set up two-step verification")
    axe.run("Two-step verification, enrolment (QR code and key)")
    give_the_code(page, "alice")
    axe.check("/accounts/two-step/", "Two-step verification, on")
    axe.check("/reporting/review/", "Review queue, one update waiting")
    axe.check(f"/reporting/review/{pk}/", "Review page")
    page.get_by_label("Return to the author with a comment").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the error below.")
    axe.run("Review page, sent back with an error (return without a comment)")
    axe.check(f"/reporting/updates/{pk}/", "Submitted update, for the Secretariat")
    axe.check("/reporting/overview/", "Reporting overview")
    reporting.return_update(update, user=alice, comment=COMMENT)
    log_out(page)

    log_in(page, site, "dora")
    axe.check("/reporting/", "My recommendations, an update returned")
    axe.check(f"/reporting/updates/{pk}/", "Returned update form")
    update = reporting.save_update(ProgressUpdate.objects.get(pk=pk), user=dora, submit=True)
    reporting.accept_update(update, user=alice, publish=True)
    axe.check("/reporting/", "My recommendations, the update accepted")
    axe.check(f"/reporting/updates/{pk}/", "Accepted update, for its author")
    axe.check("/mandate-holders/otp/report/", "OTP's report, for its focal point")
    log_out(page)

    page.context.clear_cookies()
    axe.check("/mandate-holders/otp/report/", "OTP's report, public")
    axe.check("/recommendations/R14/", "R14's public page, with the published update")

    axe.assert_none()

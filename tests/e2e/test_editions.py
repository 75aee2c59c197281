"""Editions, the Matrix as of a day and comparisons in a real browser, and axe on their pages.

The reference and demonstration data are dated 30 days ago (simple-history's clock is
patched while they load), so the Matrix "as of" a past day has rows.
"""

import datetime
import re
from unittest import mock

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

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
from tests.e2e.test_public_pages import BLOCKING, describe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server):
    past = timezone.now() - datetime.timedelta(days=30)
    with mock.patch("simple_history.models.timezone.now", return_value=past):
        load_reference_data()
        demo_seed()
    editions.publish_edition(title="Matrix as of ASP24", user=None, slug="asp24")
    implemented = ImplementationStatus.objects.get(key="implemented")
    for number in (1, 2, 3):
        recommendation_update(
            Recommendation.objects.get(number=number),
            changes={"implementation_status": implemented},
            user=None,
            reason="test",
            source=ChangeSource.ADMIN,
        )
    editions.publish_edition(title="Matrix as of ASP25", user=None, slug="asp25")
    return live_server.url


def yesterday() -> str:
    return (timezone.localdate() - datetime.timedelta(days=1)).isoformat()


def test_the_matrix_as_of_a_day_keeps_its_filters(site, page: Page):
    page.goto(f"{site}/matrix/?cluster=I")
    page.get_by_label("Show the Matrix as it stood on").fill(yesterday())
    page.get_by_role("button", name="Show", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"as_of=.*cluster=I|cluster=I.*as_of="))
    expect(page.get_by_role("note")).to_contain_text("reconstructed from the tracker")
    # Filtering there keeps the date.
    page.locator("summary", has_text="Implementation status").click()
    page.locator("label", has_text="Implemented").first.click()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"as_of=.*implementation=|implementation=.*as_of="))


def test_two_editions_compare_through_the_form(site, page: Page):
    page.goto(f"{site}/editions/")
    page.get_by_role("link", name="What moved since “Matrix as of ASP24”").click()
    expect(page.get_by_role("heading", level=2).first).to_contain_text("moved")
    # R1, R2 and R3 were implemented in between: those not implemented in ASP24 moved.
    moved = EditionRow.objects.filter(edition__slug="asp24", number__in=(1, 2, 3)).exclude(
        implementation_status__key="implemented"
    )
    rows = page.locator("table.data").nth(2).locator("tbody tr")
    expect(rows).to_have_count(moved.count())
    page.get_by_label("To").fill("live")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"to=live"))


AXE_PAGES = [
    ("/editions/", "en"),
    ("/editions/asp24/", "en"),
    ("/editions/asp24/?implementation=none&sort=-assessment", "en"),
    ("/editions/asp25/progress/", "en"),
    ("/compare/?from=asp24&to=asp25", "en"),
    ("/compare/?from=asp24&to=live&cluster=I", "en"),
    ("/compare/", "en"),
    ("/open-data/", "en"),
    ("/", "en"),
    ("/editions/", "fr"),
    ("/compare/?from=asp24&to=asp25", "fr"),
]


def test_axe_finds_no_violation_on_the_edition_pages(site, page: Page):
    axe = Axe()
    day = yesterday()
    pages = [*AXE_PAGES, (f"/matrix/?as_of={day}", "en"), (f"/?as_of={day}", "en")]
    report, blocking = [], []
    for path, language in pages:
        page.context.clear_cookies()
        page.context.add_cookies([{"name": "django_language", "value": language, "url": site}])
        response = page.goto(f"{site}{path}")
        assert response is not None
        assert response.status == 200, (path, response.status)
        violations = axe.run(page).response["violations"]
        report.append(f"axe {language}:{path}: {len(violations)} violations")
        failing = [v for v in violations if v["impact"] in BLOCKING]
        if failing:
            blocking.append(f"{language}:{path}\n{describe(failing)}")
    print("\n".join(report))
    assert not blocking, "axe found violations:\n" + "\n".join(blocking)

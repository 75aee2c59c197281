"""The public pages in a real browser: chart links, filters, language, keyboard, phone, axe-core.

Each test is transactional (the live server runs in another thread and must see the data), so
the database is flushed after it: every test loads the reference data, and the demonstration
statuses, itself.
"""

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from recommendations.demo import demo_seed
from recommendations.reference import load_reference_data

pytestmark = pytest.mark.django_db(transaction=True)

GRAND_TOTAL = 384
DEFAULT_PER_PAGE = 100
SUMMARY = re.compile(rf"Showing (\d+) of {GRAND_TOTAL} recommendations?")
SEGMENT_LABEL = re.compile(r"^(?P<bar>.+), (?P<status>.+): (?P<count>\d+)$")
REPO_ROOT = Path(__file__).resolve().parents[2]
# Git-ignored; CI gives each of its two simultaneous runs its own directory.
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or REPO_ROOT / "screenshots")


@pytest.fixture
def site(live_server):
    """Reference data plus demonstration statuses; returns the live server's base URL."""
    load_reference_data()
    demo_seed()
    return live_server.url


def summary_count(page: Page) -> int:
    text = page.locator(".summary").inner_text()
    match = SUMMARY.search(text)
    assert match, f"no 'Showing N of {GRAND_TOTAL}' in the summary: {text!r}"
    return int(match.group(1))


def rows(page: Page):
    return page.locator("table.recommendations tbody tr")


def assert_rows_match_summary(page: Page, expected: int | None = None) -> int:
    """The summary's N (equal to ``expected`` if given) and, on one page, the rows shown."""
    shown = summary_count(page)
    if expected is not None:
        assert shown == expected, f"summary says {shown}, expected {expected} ({page.url})"
    if shown <= DEFAULT_PER_PAGE or "per_page=400" in page.url:
        expect(rows(page)).to_have_count(shown)
    else:
        expect(rows(page)).to_have_count(DEFAULT_PER_PAGE)
    return shown


def segments(page: Page, chart: str) -> list[tuple[str, int]]:
    """(aria-label, count) of every segment of a chart on the dashboard."""
    found = []
    for label in page.locator(f"#{chart} .bar a").evaluate_all(
        "links => links.map(a => a.getAttribute('aria-label'))"
    ):
        match = SEGMENT_LABEL.match(label)
        assert match, f"segment label not '<bar>, <status>: <count>': {label!r}"
        found.append((label, int(match["count"])))
    return found


# 1. Chart segment -> Matrix --------------------------------------------------------------------


def test_a_chart_segment_opens_the_matrix_with_exactly_its_recommendations(site, page: Page):
    page.goto(f"{site}/")
    found = segments(page, "assessment-by-cluster")
    assert found, "the assessment-by-cluster chart has no segment"
    assert sum(count for _, count in found) == GRAND_TOTAL
    # The biggest segment (more than one page of the Matrix, with the demo data) and the
    # biggest one that fits on one page.
    biggest = max(found, key=lambda s: s[1])
    small = max((s for s in found if s[1] <= DEFAULT_PER_PAGE), key=lambda s: s[1])
    for label, count in (biggest, small):
        page.goto(f"{site}/")
        page.locator(f'#assessment-by-cluster .bar a[aria-label="{label}"]').click()
        page.wait_for_url(re.compile(r"/matrix/\?"))
        assert_rows_match_summary(page, count)
        if count > DEFAULT_PER_PAGE:
            page.goto(f"{page.url}&per_page=400")
            assert_rows_match_summary(page, count)


# 2. Two filters through the form ---------------------------------------------------------------


def test_two_filters_combine_through_the_form(site, page: Page):
    page.goto(f"{site}/matrix/")
    assert summary_count(page) == GRAND_TOTAL
    form = page.locator("form.filters")
    for checkbox in ("f-cluster-I", "f-responsibility-court"):
        facet = form.locator("details.facet", has=page.locator(f"#{checkbox}"))
        facet.locator("summary").click()
        form.locator(f"#{checkbox}").check()
    form.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"/matrix/\?"))

    assert re.search(r"[?&]cluster=I(&|$)", page.url), page.url
    assert re.search(r"[?&]responsibility=court(&|$)", page.url), page.url
    shown = assert_rows_match_summary(page)
    assert 0 < shown < GRAND_TOTAL
    expect(page.locator(".active-filters .chip")).to_have_count(2)
    expect(page.locator("#f-cluster-I")).to_be_checked()
    expect(page.locator("#f-responsibility-court")).to_be_checked()


# 3. A recommendation, then in French -----------------------------------------------------------


def test_a_recommendation_opens_from_the_matrix_and_switches_to_french(site, page: Page):
    page.goto(f"{site}/matrix/")
    first = rows(page).first.locator("th a")
    code = first.inner_text().strip()
    assert re.fullmatch(r"R\d+", code), code
    first.click()
    page.wait_for_url(f"**/recommendations/{code}/")
    expect(page.locator("h1")).to_have_text(re.compile(rf"^Recommendation {code}\b"))
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("select#language").select_option("fr")
    page.locator("form.language-switcher button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert page.url.endswith(f"/recommendations/{code}/")
    # Needs the compiled French catalogue (locale/fr/LC_MESSAGES/django.mo).
    expect(page.locator("h1")).to_have_text(re.compile(rf"^Recommandation {code}\b"))


# 4. Keyboard -----------------------------------------------------------------------------------


def test_the_skip_link_comes_first_and_moves_focus_to_main(site, page: Page):
    page.goto(f"{site}/matrix/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    box = skip.bounding_box()
    assert box is not None
    assert box["x"] >= 0, box
    assert box["y"] >= 0, box
    assert box["width"] > 1, box

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    assert page.url.endswith("#main")
    # The next Tab goes on from the main content, not back to the header.
    page.keyboard.press("Tab")
    inside_main = page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert inside_main, "Tab after the skip link left the main content"


# 5. Phone width --------------------------------------------------------------------------------

PHONE_PAGES = [
    "/matrix/",
    "/",
    "/recommendations/R14/",
    "/recommendations/R227/",
    "/mandate-holders/",
    "/mandate-holders/registry/",
]


def test_no_horizontal_scrolling_at_phone_width(site, page: Page):
    page.set_viewport_size({"width": 375, "height": 740})
    too_wide = {}
    for path in PHONE_PAGES:
        page.goto(f"{site}{path}")
        widths = page.evaluate(
            "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        if widths["scroll"] > widths["inner"] + 1:
            too_wide[path] = widths
        if path == "/matrix/":
            # The table may be wider than the phone: it scrolls inside its own wrapper.
            wrap = page.locator(".table-wrap", has=page.locator("table.recommendations"))
            assert wrap.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    assert not too_wide, f"wider than a 375px phone (scrollWidth vs innerWidth): {too_wide}"


# 6. Accessibility (axe-core) -------------------------------------------------------------------

# (path, language, expected HTTP status). One test for all of them: each test reloads the data.
AXE_PAGES = [
    ("/", "en", 200),
    ("/matrix/", "en", 200),
    ("/matrix/?cluster=II&assessment=none", "en", 200),
    ("/recommendations/R227/", "en", 200),
    ("/recommendations/R14/", "en", 200),
    ("/mandate-holders/", "en", 200),
    ("/mandate-holders/registry/", "en", 200),
    ("/no-such-page/", "en", 404),
    ("/", "fr", 200),
    ("/matrix/", "fr", 200),
]
# The issue asks for no serious or critical violation; the pages have none of any impact, so
# any new finding fails the test.
BLOCKING = ("critical", "serious", "moderate", "minor")


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = [node["target"] for node in v["nodes"][:3]]
        more = f" (+{len(v['nodes']) - 3} more)" if len(v["nodes"]) > 3 else ""
        lines.append(f"  - {v['id']} [{v['impact']}] {v['help']}: {targets}{more}")
    return "\n".join(lines)


def test_axe_finds_no_violation_on_any_public_page(site, page: Page):
    axe = Axe()
    report, blocking = [], []
    for path, language, status in AXE_PAGES:
        page.context.clear_cookies()
        page.context.add_cookies([{"name": "django_language", "value": language, "url": site}])
        response = page.goto(f"{site}{path}")
        assert response is not None, path
        assert response.status == status, (path, response.status)
        expect(page.locator("html")).to_have_attribute("lang", language)

        violations = axe.run(page).response["violations"]
        by_impact: dict[str, int] = {}
        for v in violations:
            by_impact[v["impact"]] = by_impact.get(v["impact"], 0) + 1
        report.append(f"axe {language}:{path}: {by_impact or 'no violations'}")
        if violations:
            report.append(describe(violations))
        failing = [v for v in violations if v["impact"] in BLOCKING]
        if failing:
            blocking.append(f"{language}:{path}\n{describe(failing)}")
    print("\n".join(report))  # shown with -rP or -s: the moderate and minor findings too
    assert not blocking, "axe found violations:\n" + "\n".join(blocking)


# 7. Screenshots --------------------------------------------------------------------------------


def test_full_page_screenshots_of_the_dashboard_and_the_matrix(site, page: Page):
    SCREENSHOTS.mkdir(exist_ok=True)
    for path, name in (("/", "dashboard"), ("/matrix/", "matrix")):
        target = SCREENSHOTS / f"{name}.png"
        page.goto(f"{site}{path}")
        page.screenshot(path=target, full_page=True)
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert target.stat().st_size > 10_000

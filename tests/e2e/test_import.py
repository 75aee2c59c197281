"""The import page in a real browser: a Secretariat officer uploads a two-sheet Matrix with a
merged two-row header, maps a value the import does not know, and applies it; screenshots of
the preview at 1366 px and on a 390 px phone; axe-core on the preview."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from recommendations.models import Recommendation
from recommendations.reference import load_reference_data
from recommendations.roles import SECRETARIAT, ensure_groups
from tests.conftest import make_user
from tests.e2e.test_public_pages import BLOCKING
from tests.e2e.test_reporting import log_in, screenshot
from tests.matrix_files import Sheet, write

pytestmark = pytest.mark.django_db(transaction=True)

IMPORT = "/admin/recommendations/recommendation/import/"


@pytest.fixture
def matrix(tmp_path, live_server):
    load_reference_data()
    ensure_groups()
    make_user("alice", first_name="Alice", is_staff=True, groups=[SECRETARIAT])
    part_one = Sheet(
        "Part I",
        [
            ["Progress in the assessment of the IER recommendations", None, None, None],
            ["No.", "Assessment", None, "Implementation"],
            [None, "Status", "Date", None],
            ["R.60", "Positively assessed (Bureau decision, 2022)", "30/11/2022", "Ongoing"],
            ["62.", "Évalué positivement avec modifications", "30 Nov 2022", "Closed"],
        ],
        merges=["A1:D1", "A2:A3", "B2:C2", "D2:D3"],
    )
    part_two = Sheet("Part II", [["N°", "Statut de l'évaluation"], ["014", "Pas encore évaluée"]])
    path = tmp_path / "Matrix ASP24.xlsx"
    path.write_bytes(write("xlsx", [part_one, part_two, Sheet("Legend", [["Colour", "Meaning"]])]))
    return live_server.url, path


@pytest.mark.parametrize("width", [1366, 390])
def test_an_officer_previews_maps_and_applies_a_matrix(matrix, page: Page, width):
    site, path = matrix
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, site, "alice")
    page.goto(f"{site}{IMPORT}")
    page.get_by_label("The Matrix").set_input_files(str(path))
    page.get_by_role("button", name="Preview the import").click()

    expect(page.get_by_role("heading", name="Preview of “Matrix ASP24.xlsx”")).to_be_visible()
    tables = page.locator("table.import-tables tbody tr")
    expect(tables).to_have_count(2)
    expect(tables.nth(0)).to_contain_text("Part I")
    expect(page.locator(".import-skipped")).to_contain_text("“Legend”")
    expect(page.locator("table.import-changes")).to_contain_text("note kept: Bureau decision")
    axe = Axe().run(page).response["violations"]
    assert not [v["id"] for v in axe if v["impact"] in BLOCKING]
    screenshot(page, f"import-preview-{width}")

    page.get_by_label("Read “Closed” as").select_option(label="Implemented")
    page.get_by_role("button", name="Preview again with these choices").click()
    expect(page.locator("table.import-values")).to_contain_text("Closed")
    page.get_by_role("button", name="Apply the import").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Imported from Matrix ASP24.xlsx: 3 recommendations changed."
    )
    r62 = Recommendation.objects.select_related("implementation_status").get(number=62)
    assert r62.implementation_status.key == "implemented"
    assert r62.assessment_status.key == "positively_assessed_with_modifications"


@pytest.mark.parametrize("width", [1366, 390])
def test_the_preview_in_french(matrix, page: Page, width):
    site, path = matrix
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, site, "alice")
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": site}])
    page.goto(f"{site}{IMPORT}")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Aperçu de l\u2019importation").click()
    expect(page.locator("h2")).to_contain_text("Aperçu de")
    expect(page.locator("table.import-tables")).to_contain_text("lue comme")
    assert not [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in BLOCKING]
    screenshot(page, f"import-preview-fr-{width}")

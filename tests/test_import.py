"""The Secretariat's spreadsheet import: reading, recognising, previewing, applying."""

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.test import Client

from recommendations.demo import demo_seed
from recommendations.importer import (
    MAX_ROWS,
    ImportFileError,
    apply_import,
    plan_import,
    read_sheet,
)
from recommendations.models import (
    AssessmentStatus,
    ChangeSource,
    ImportColumnMapping,
    MandateAssignment,
    Recommendation,
    SpreadsheetUpload,
)

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/recommendations/recommendation/import/"


def plan_of(name: str, content: bytes):
    return plan_import(name, read_sheet(name, content))


def xlsx(rows: list[list], *, hidden_first: bool = False, merge: str = "") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if hidden_first:
        sheet.title = "Old"
        sheet.append(["No.", "Assessment status"])
        sheet.append(["R1", "Negatively assessed"])
        sheet.sheet_state = "hidden"
        sheet = workbook.create_sheet("Current")
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], *, delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def fail_on(monkeypatch, number: int, error: Exception) -> None:
    """Make the status service raise ``error`` when the import writes recommendation ``number``."""
    from recommendations import importer

    real, target = importer.recommendation_update, Recommendation.objects.get(number=number).pk

    def failing(pk, **kwargs):
        if pk == target:
            raise error
        return real(pk, **kwargs)

    monkeypatch.setattr(importer, "recommendation_update", failing)


@pytest.mark.parametrize("extension", ["xlsx", "ods", "csv"])
def test_an_exported_file_imported_back_changes_nothing(client, extension):
    demo_seed()
    content = client.get(f"/matrix.{extension}").content
    plan = plan_of(f"matrix.{extension}", content)
    assert plan.problems == []
    assert plan.rows == []
    assert plan.unchanged == 384


def test_a_french_export_imported_back_changes_nothing(client):
    demo_seed()
    client.cookies["django_language"] = "fr"
    plan = plan_of("matrice.xlsx", client.get("/matrix.xlsx").content)
    assert (plan.problems, plan.rows, plan.unchanged) == ([], [], 384)


def test_a_realistic_sheet_with_its_own_headers(secretariat_user):
    content = csv_bytes(
        [
            ["N°", "Statut de l'évaluation", "Titulaires de mandat", "Responsabilité", "Notes"],
            ["Rec. 14", "evaluee POSITIVEMENT", "Registry; OTP", "Cour", "x"],
            ["r015", "Assessed positively with modifications", "", "", ""],
            ["16", "", "CBF", "Assembly & Court", ""],
            ["", "", "", "", ""],
            ["R17", "Not yet assessed", "", "", ""],
        ],
        delimiter=";",
        encoding="cp1252",
    )
    plan = plan_of("Matrice ASP.csv", content)
    assert plan.problems == []
    columns = {column.header: column.field for column in plan.columns}
    assert columns == {
        "N°": "number",
        "Statut de l'évaluation": "assessment_status",
        "Titulaires de mandat": "lead",
        "Responsabilité": "responsibility",
        "Notes": None,  # not recognised: listed as ignored
    }
    changed = {row.recommendation.number: row.changes for row in plan.rows}
    assert set(changed) == {14, 15, 16, 17}
    assert changed[14]["assessment_status"].key == "positively_assessed"
    assert "responsibility" not in changed[14]  # R14 is already Court: no change
    assert [(a.mandate_holder.slug, a.role) for a in changed[14]["assignments"]] == [
        ("registry", 1),
        ("otp", 1),
    ]
    assert changed[16]["responsibility"] == "assembly_court"

    assert apply_import(plan, user=secretariat_user) == 4
    r14 = Recommendation.objects.get(number=14)
    assert r14.assessment_status.key == "positively_assessed"
    assert set(r14.assignments.values_list("mandate_holder__slug", flat=True)) == {
        "registry",
        "otp",
    }
    record = r14.history.first()
    assert record.history_user == secretariat_user
    assert record.history_change_reason == "Imported from Matrice ASP.csv"
    assert record.history_source == ChangeSource.IMPORT


def test_every_problem_is_listed_at_once_with_row_column_and_value():
    content = csv_bytes(
        [
            ["No.", "Assessment status", "Lead mandate-holders"],
            ["R14", "Brilliantly assessed", ""],
            ["R999", "", ""],
            ["R15", "", "Ministry of Magic"],
            ["R16", "", ""],
            ["R16", "", ""],
            ["", "Positively assessed", ""],
            ["abc", "", ""],
        ]
    )
    plan = plan_of("bad.csv", content)
    found = {(p.row, p.column, p.value) for p in plan.problems}
    assert found == {
        (2, "B (Assessment status)", "Brilliantly assessed"),
        (3, "A (No.)", "R999"),
        (4, "C (Lead mandate-holders)", "Ministry of Magic"),
        (6, "A (No.)", "R16"),
        (7, "A (No.)", "Not yet recorded"),
        (8, "A (No.)", "abc"),
    }
    assert plan.rows_in_error == {2, 3, 4, 5, 6, 7, 8}  # both R16 rows
    with pytest.raises(ValueError, match="problems"):
        apply_import(plan, user=None)


def test_all_or_nothing_when_the_last_row_fails(secretariat_user, monkeypatch):
    positive = AssessmentStatus.objects.get(key="positively_assessed")
    content = csv_bytes(
        [["No.", "Assessment status"]] + [[f"R{n}", positive.label_en] for n in (1, 2, 3)]
    )
    plan = plan_of("m.csv", content)
    fail_on(monkeypatch, 3, RuntimeError("the database went away"))
    with pytest.raises(RuntimeError):
        apply_import(plan, user=secretariat_user)
    assert not Recommendation.objects.filter(assessment_status=positive, number__lte=3).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("m.xlsx", b"", "The file is empty."),
        ("m.xlsx", b"No.,Status\nR1,x\n", "is not a valid XLSX file"),
        ("m.ods", b"PK\x03\x04broken", "is not a valid ODS file"),
        ("m.xlsx", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "password-protected"),
        ("m.xlsx", b"x" * (10 * 2**20 + 1), "the limit is 10 MB"),
        ("m.pdf", b"%PDF", "is not an XLSX, ODS or CSV file"),
        ("m.csv", b"\n\n\n", "is empty"),
        ("m.csv", b"Status,Text\nx,y\n", "No header row found"),
    ],
)
def test_bad_files_get_a_clear_message(name, content, message):
    with pytest.raises(ImportFileError, match=message):
        plan_of(name, content)


def test_a_damaged_xlsx_says_so():
    good = xlsx([["No.", "Assessment status"], ["R1", "Positively assessed"]])
    with pytest.raises(ImportFileError, match=r"could not be read|is not a valid XLSX"):
        plan_of("m.xlsx", good[: len(good) // 2])


def test_too_many_rows():
    content = csv_bytes([["No."]] + [["R1"]] * (MAX_ROWS + 1))
    with pytest.raises(ImportFileError, match="the limit is 5000"):
        plan_of("m.csv", content)


def test_merged_header_cells_are_refused():
    content = xlsx(
        [["No.", "Assessment status", ""], ["R1", "Positively assessed", ""]], merge="B1:C1"
    )
    with pytest.raises(ImportFileError, match="merged cells"):
        plan_of("m.xlsx", content)


def test_formulas_are_never_imported_as_text():
    content = xlsx([["No.", "Public remarks"], ["R1", '=CONCAT("a","b")']])
    plan = plan_of("m.xlsx", content)
    assert plan.problems == []
    assert plan.rows == []  # no computed value stored: the cell counts as empty


def test_hidden_sheets_are_skipped():
    content = xlsx([["No.", "Assessment status"], ["R2", "Positively assessed"]], hidden_first=True)
    plan = plan_of("m.xlsx", content)
    assert plan.sheet == "Current"
    assert [row.recommendation.number for row in plan.rows] == [2]


def test_the_plan_reads_everything_in_a_fixed_number_of_queries(django_assert_num_queries):
    # R27 has an assignment (procedural), like the large file's rows: same prefetches.
    small = csv_bytes([["No.", "Assessment status"], ["R27", "Positively assessed"]])
    large = csv_bytes(
        [["No.", "Assessment status", "Lead mandate-holders"]]
        + [[f"R{n}", "Positively assessed", "OTP"] for n in range(1, 385)]
    )
    # saved column choices, both status lists, sections, mandate-holders, the recommendations
    # the file names, their assignments and those assignments' mandate-holders.
    with django_assert_num_queries(8):
        plan_of("small.csv", small)
    with django_assert_num_queries(8):
        plan = plan_of("large.csv", large)
    assert len(plan.rows) == 384


#
# The back-office page
#


def test_preview_then_apply_in_the_back_office(secretariat_client):
    content = csv_bytes([["No.", "Assessment status"], ["R30", "Negatively assessed"]])
    upload = io.BytesIO(content)
    upload.name = "matrix.csv"
    preview = secretariat_client.post(IMPORT_URL, {"file": upload})
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "1 recommendation would change." in page
    assert "Negatively assessed" in page
    assert Recommendation.objects.get(number=30).assessment_status is None  # nothing written

    stored = SpreadsheetUpload.objects.get()
    again = secretariat_client.post(IMPORT_URL, {"upload": stored.pk, "action": "preview"})
    assert "1 recommendation would change." in again.content.decode()
    assert Recommendation.objects.get(number=30).assessment_status is None  # still a preview
    done = secretariat_client.post(
        IMPORT_URL, {"upload": stored.pk, "action": "apply"}, follow=True
    )
    assert "Imported from matrix.csv: 1 recommendation changed." in done.content.decode()
    assert Recommendation.objects.get(number=30).assessment_status.key == "negatively_assessed"
    assert not SpreadsheetUpload.objects.exists()


def test_rows_in_error_block_the_import_unless_skipped(secretariat_client):
    content = csv_bytes(
        [["No.", "Assessment status"], ["R30", "Negatively assessed"], ["R31", "Nonsense"]]
    )
    upload = io.BytesIO(content)
    upload.name = "matrix.csv"
    secretariat_client.post(IMPORT_URL, {"file": upload})
    stored = SpreadsheetUpload.objects.get()
    refused = secretariat_client.post(IMPORT_URL, {"upload": stored.pk, "action": "apply"})
    assert "fix them, or choose to skip those rows" in refused.content.decode()
    assert Recommendation.objects.get(number=30).assessment_status is None
    secretariat_client.post(
        IMPORT_URL, {"upload": stored.pk, "action": "apply", "skip_rows_in_error": "on"}
    )
    assert Recommendation.objects.get(number=30).assessment_status.key == "negatively_assessed"
    assert Recommendation.objects.get(number=31).assessment_status is None


def test_a_bad_upload_gets_a_message_on_the_form(secretariat_client):
    upload = io.BytesIO(b"not a spreadsheet")
    upload.name = "matrix.xlsx"
    response = secretariat_client.post(IMPORT_URL, {"file": upload})
    assert response.status_code == 200
    assert "is not a valid XLSX file" in response.content.decode()
    assert not SpreadsheetUpload.objects.exists()


def test_only_the_secretariat_imports(staff_without_group_client):
    assert Client().get(IMPORT_URL).status_code == 302  # to the login page
    assert staff_without_group_client.get(IMPORT_URL).status_code == 403


def test_the_template_download_is_an_export_that_imports_back_unchanged(secretariat_client):
    response = secretariat_client.get(IMPORT_URL + "template/")
    assert response.status_code == 200
    plan = plan_of("template.xlsx", response.content)
    assert (plan.problems, plan.rows, plan.unchanged) == ([], [], 384)


def test_assignments_keep_procedural_mentions():
    content = csv_bytes([["No.", "Lead mandate-holders"], ["R27", "Bureau"]])
    plan = plan_of("m.csv", content)
    new = plan.rows[0].changes["assignments"]
    assert {(a.mandate_holder.slug, a.role) for a in new} == {
        ("bureau", MandateAssignment.Role.LEAD),
        ("cbf", MandateAssignment.Role.PROCEDURAL),
    }


def test_an_unknown_column_can_be_assigned_and_remembered(secretariat_client):
    content = csv_bytes([["No.", "Etat d'avancement (DG)"], ["R40", "Negatively assessed"]])
    upload = io.BytesIO(content)
    upload.name = "matrix.csv"
    preview = secretariat_client.post(IMPORT_URL, {"file": upload})
    assert preview.context["plan"].ignored_columns[0].header == "Etat d'avancement (DG)"
    assert '<select name="column_1"' in preview.content.decode()
    stored = SpreadsheetUpload.objects.get()

    mapped = secretariat_client.post(
        IMPORT_URL,
        {"upload": stored.pk, "action": "preview", "column_1": "assessment_status"},
    )
    plan = mapped.context["plan"]
    assert [row.recommendation.number for row in plan.rows] == [40]
    assert not ImportColumnMapping.objects.exists()  # not remembered unless asked

    secretariat_client.post(
        IMPORT_URL,
        {
            "upload": stored.pk,
            "action": "preview",
            "column_1": "assessment_status",
            "remember": "on",
        },
    )
    saved = ImportColumnMapping.objects.get()
    assert (saved.header, saved.field) == ("etat d avancement dg", "assessment_status")
    # The next file with that header is recognised without asking.
    later = plan_of(
        "next.csv", csv_bytes([["No.", "ÉTAT D'AVANCEMENT (DG)"], ["R41", "Not yet assessed"]])
    )
    assert later.columns[1].field == "assessment_status"
    assert [row.recommendation.number for row in later.rows] == [41]


def test_a_chosen_field_must_be_importable():
    content = csv_bytes([["No.", "Mystery"], ["R40", "x"]])
    plan = plan_import("m.csv", read_sheet("m.csv", content), {1: "number"})
    assert plan.columns[1].field is None  # the number column is found by its header only
    plan = plan_import("m.csv", read_sheet("m.csv", content), {1: "internal_remarks"})
    assert plan.rows[0].changes == {"internal_remarks": "x"}


def test_a_row_the_service_refuses_leaves_everything_unchanged(secretariat_client, monkeypatch):
    from django.core.exceptions import ValidationError

    content = csv_bytes(
        [["No.", "Assessment status"], ["R30", "Negatively assessed"], ["R31", "Not yet assessed"]]
    )
    upload = io.BytesIO(content)
    upload.name = "matrix.csv"
    secretariat_client.post(IMPORT_URL, {"file": upload})
    stored = SpreadsheetUpload.objects.get()
    fail_on(monkeypatch, 31, ValidationError("Section I.A is not in cluster II."))
    response = secretariat_client.post(IMPORT_URL, {"upload": stored.pk, "action": "apply"})
    assert response.status_code == 200
    assert (
        "Row 3 (R31) was refused: Section I.A is not in cluster II. Nothing was imported."
        in response.content.decode()
    )
    assert Recommendation.objects.get(number=30).assessment_status is None
    assert SpreadsheetUpload.objects.exists()  # the preview can be tried again


@pytest.mark.parametrize("upload_id", ["abc", "999999", ""])
def test_a_bad_upload_reference_is_a_message(secretariat_client, upload_id):
    response = secretariat_client.post(IMPORT_URL, {"upload": upload_id, "action": "apply"})
    assert response.status_code == 302
    follow = secretariat_client.get(response["Location"])
    assert "This preview has expired: upload the file again." in follow.content.decode()


def _entity_bomb(root: str, body: str) -> str:
    """An XML document whose entities expand to about 3 GB if a parser expands them."""
    entities = ['<!ENTITY a0 "lollollollollollollollollollol">']
    entities += [f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10)]
    return f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE {root} [{"".join(entities)}]>{body}'


@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_a_crafted_xml_bomb_is_refused_with_a_message(kind):
    """defusedxml: entity expansion in an uploaded workbook is refused, not expanded."""
    import zipfile

    buffer = io.BytesIO()
    if kind == "xlsx":
        buffer.write(xlsx([["No.", "Implementation status"], ["R14", "x"]]))
        source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = _entity_bomb(
                        "worksheet",
                        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                        'main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&a9;</t>'
                        "</is></c></row></sheetData></worksheet>",
                    ).encode()
                target.writestr(item, data)
        content = out.getvalue()
    else:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            target.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
            target.writestr(
                "content.xml",
                _entity_bomb(
                    "office:document-content",
                    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:'
                    'xmlns:office:1.0"><office:body>&a9;</office:body></office:document-content>',
                ),
            )
            target.writestr(
                "META-INF/manifest.xml",
                '<?xml version="1.0"?><manifest:manifest xmlns:manifest='
                '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
            )
        content = out.getvalue()
    with pytest.raises(ImportFileError) as raised:
        read_sheet(f"bomb.{kind}", content)
    assert str(raised.value).startswith("“bomb.")


def test_the_spreadsheet_readers_parse_xml_with_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML  # openpyxl uses defusedxml when it is installed
    from odf import opendocument

    assert "from defusedxml.sax import make_parser" in Path(opendocument.__file__).read_text()


@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_an_archive_that_unpacks_to_more_than_100_mb_is_refused_unread(kind):
    """A "zip bomb": 101 MB of zeros compress to about 100 KB."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        member = "xl/worksheets/sheet1.xml" if kind == "xlsx" else "content.xml"
        with archive.open(member, "w") as stream:
            for _ in range(101):
                stream.write(b"\0" * 2**20)
    assert len(out.getvalue()) < 1_000_000
    with pytest.raises(ImportFileError, match=r"“bomb\..*” unpacks to 101 MB; the limit is 100 MB"):
        read_sheet(f"bomb.{kind}", out.getvalue())


def test_an_upload_over_the_limit_is_cut_off_while_it_arrives(secretariat_client):
    upload = io.BytesIO(b"x" * (10 * 2**20 + 1))
    upload.name = "huge.xlsx"
    response = secretariat_client.post(IMPORT_URL, {"file": upload})
    assert response.status_code == 200
    assert response.wsgi_request.refused_uploads == {"file": "huge.xlsx"}
    assert "file" not in response.wsgi_request.FILES  # never kept, in memory or on disk
    content = response.content.decode()
    assert "“huge.xlsx” is larger than 10 MB, the limit: it was not read." in content
    assert "This field is required" not in content
    assert not SpreadsheetUpload.objects.exists()


def test_an_upload_at_the_limit_is_read(secretariat_client):
    upload = io.BytesIO(b"x" * (10 * 2**20))
    upload.name = "full.xlsx"
    response = secretariat_client.post(IMPORT_URL, {"file": upload})
    assert not hasattr(response.wsgi_request, "refused_uploads")
    assert "is not a valid XLSX file" in response.content.decode()

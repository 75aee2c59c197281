"""The Secretariat's spreadsheet import: reading, recognising, previewing, applying."""

import csv
import datetime
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.test import Client

from recommendations.demo import demo_seed
from recommendations.importer import (
    Choices,
    ImportFileError,
    apply_import,
    plan_import,
    read_document,
)
from recommendations.models import (
    AssessmentStatus,
    ChangeSource,
    ImportColumnMapping,
    MandateAssignment,
    Recommendation,
    SpreadsheetUpload,
    ValueAlias,
)
from tests.matrix_files import apply_file, changes_of, plan_of

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/recommendations/recommendation/import/"


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
    """Make the bulk write raise ``error`` when it reaches recommendation ``number``."""
    from recommendations import services

    real, target = services._bulk_history, Recommendation.objects.get(number=number).pk

    def failing(snapshots, *args):
        if any(s.recommendation.pk == target for s in snapshots):
            raise error
        return real(snapshots, *args)

    monkeypatch.setattr(services, "_bulk_history", failing)


@pytest.mark.parametrize("extension", ["xlsx", "ods", "csv"])
def test_an_exported_file_imported_back_changes_nothing(client, extension):
    demo_seed()
    content = client.get(f"/matrix.{extension}").content
    plan = plan_of(f"matrix.{extension}", content)
    assert plan.problems == []
    assert plan.items == []
    assert plan.unchanged == 384


def test_a_french_export_imported_back_changes_nothing(client):
    demo_seed()
    client.cookies["django_language"] = "fr"
    plan = plan_of("matrice.xlsx", client.get("/matrix.xlsx").content)
    assert (plan.problems, plan.items, plan.unchanged) == ([], [], 384)


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
    columns = {column.header: column.field for column in plan.tables[0].columns}
    assert columns == {
        "N°": "number",
        "Statut de l'évaluation": "assessment_status",
        "Titulaires de mandat": "lead",
        "Responsabilité": "responsibility",
        "Notes": "internal_remarks",  # only a column said public is published
    }
    changed = {
        item.recommendation.number: {c.field: c.value for c in item.changes} for item in plan.items
    }
    assert set(changed) == {14, 15, 16, 17}
    assert changed[14]["assessment_status"].key == "positively_assessed"
    assert "responsibility" not in changed[14]  # R14 is already Court: no change
    assert [(a.mandate_holder.slug, a.role) for a in changed[14]["assignments"]] == [
        ("registry", 1),
        ("otp", 1),
    ]
    assert changed[14]["internal_remarks"] == "x"
    assert changed[16]["responsibility"] == "assembly_court"

    assert apply_file("Matrice ASP.csv", content, user=secretariat_user).changed == 4
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


def test_every_problem_is_listed_at_once_with_its_cell_column_and_value(secretariat_user):
    content = csv_bytes(
        [
            ["No.", "Assessment status", "Lead mandate-holders", "Short title"],
            ["R14", "Brilliantly assessed", "", ""],
            ["R999", "", "", ""],
            ["R15", "", "Ministry of Magic", "A title"],
            ["R16", "", "", ""],
            ["R16", "", "", ""],
            ["", "Positively assessed", "OTP", ""],
            ["abc", "Positively assessed", "", ""],
            ["R17", "", "", "x" * 201],
        ]
    )
    plan = plan_of("bad.csv", content)
    found = {(p.where, p.column, p.value, p.message) for p in plan.problems}
    assert found == {
        ("A3", "A (No.)", "R999", "Recommendation numbers run from R1 to R384."),
        (
            "A6",
            "A (No.)",
            "R16",
            "R16 is in two places: “CSV” row 5 and “CSV” row 6. Neither is read.",
        ),
        (
            "A7",
            "A (No.)",
            "Not yet recorded",
            "No recommendation number in this row: its cells are not read.",
        ),
        ("A8", "A (No.)", "abc", "Not a recommendation number: its row is not read."),
        (
            "D9",
            "D (Short title)",
            "x" * 80 + "…",
            "201 characters; this field holds at most 200.",
        ),
    }
    assert [(v.kind, v.value, v.places) for v in plan.unknown] == [
        ("assessment_status", "Brilliantly assessed", ["CSV, B2"]),
        ("mandate_holder", "Ministry of Magic", ["CSV, C4"]),
    ]
    # R15's good cell is still read.
    assert changes_of(plan) == {15: {"short_title": "A title"}}
    assert apply_file("bad.csv", content, user=secretariat_user).changed == 1


def test_all_or_nothing_when_the_write_fails_part_way(secretariat_user, monkeypatch):
    positive = AssessmentStatus.objects.get(key="positively_assessed")
    content = csv_bytes(
        [["No.", "Assessment status"]] + [[f"R{n}", positive.label_en] for n in (1, 2, 3)]
    )
    fail_on(monkeypatch, 3, RuntimeError("the database went away"))
    with pytest.raises(RuntimeError):
        apply_file("m.csv", content, user=secretariat_user)
    assert not Recommendation.objects.filter(assessment_status=positive, number__lte=3).exists()
    assert not Recommendation.history.filter(history_source=ChangeSource.IMPORT).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("m.xlsx", b"", "The file is empty."),
        ("m.xlsx", b"No.,Status\nR1,x\n", "is not a valid XLSX file"),
        ("m.ods", b"PK\x03\x04broken", "is not a valid ODS file"),
        ("m.xlsx", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "password-protected"),
        ("m.xlsx", b"x" * (10 * 2**20 + 1), "the limit is 10 MB"),
        ("m.pdf", b"PDF", "is not a valid PDF file"),
        ("m.txt", b"No.\nR1", "is not an XLSX, ODS, CSV, Word"),
        ("m.csv", b"\n\n\n", "no table with anything in it"),
        ("m.csv", b"Status,Text\nx,y\n", "No table in “m.csv” has a column"),
        ("m.csv", b"No.,Text\nR1,\x00\n", "it holds NUL bytes"),
        ("m.csv", b'No.,Text\nR1,"' + b"x" * 140_000 + b'"\n', "Line 2 of “m.csv” has a cell"),
        ("m.docx", b"PK\x03\x04broken", "is not a valid DOCX file"),
    ],
)
def test_bad_files_get_a_clear_message(name, content, message):
    with pytest.raises(ImportFileError, match=message) as raised:
        plan_of(name, content)
    assert "Error" not in str(raised.value)  # never an exception's class name


def test_a_damaged_xlsx_says_so():
    good = xlsx([["No.", "Assessment status"], ["R1", "Positively assessed"]])
    with pytest.raises(ImportFileError, match=r"could not be read|is not a valid XLSX"):
        plan_of("m.xlsx", good[: len(good) // 2])


def test_too_many_rows_are_counted_exactly():
    content = csv_bytes([["Matrix"], ["No."]] + [[f"R{n % 384 + 1}"] for n in range(6000)])
    with pytest.raises(
        ImportFileError,
        match=re.escape("The file has 6,000 rows of recommendations; the limit is 5,000."),
    ):
        plan_of("m.csv", content)


def test_a_cell_over_the_limit_is_named():
    from tests.matrix_files import Sheet, write

    content = write("ods", [Sheet("Matrix", [["No.", "Text"], ["R1", "x" * 140_000]])])
    with pytest.raises(
        ImportFileError,
        match=re.escape("Cell B2 of “Matrix” has 140,000 characters; the limit is 131,072."),
    ):
        plan_of("m.ods", content)


def test_a_merged_header_is_read():
    content = xlsx(
        [["No.", "Assessment status", ""], ["R1", "Positively assessed", ""]], merge="B1:C1"
    )
    plan = plan_of("m.xlsx", content)
    assert [(c.header, c.field) for c in plan.tables[0].columns] == [
        ("No.", "number"),
        ("Assessment status", "assessment_status"),
        ("Assessment status", ""),
    ]
    assert (
        plan.tables[0].columns[2].note == "ignored: column B (Assessment status) already gives this"
    )
    assert changes_of(plan) == {1: {"assessment_status": "Positively assessed"}}


def test_formulas_are_never_imported_as_text():
    content = xlsx([["No.", "Public remarks"], ["R1", '=CONCAT("a","b")']])
    plan = plan_of("m.xlsx", content)
    assert plan.problems == []
    assert plan.items == []  # no computed value stored: the cell counts as empty


def test_hidden_sheets_are_skipped():
    content = xlsx([["No.", "Assessment status"], ["R2", "Positively assessed"]], hidden_first=True)
    plan = plan_of("m.xlsx", content)
    assert [table.name for table in plan.tables] == ["Current"]
    assert plan.skipped == [("Old", "hidden sheet")]
    assert [item.recommendation.number for item in plan.items] == [2]


@pytest.mark.parametrize("rows", [10, 384])
def test_preview_and_apply_take_the_same_queries_at_10_and_384_rows(
    rows, secretariat_user, django_assert_num_queries
):
    user = secretariat_user
    demo_seed()  # every row has statuses and assignments to replace
    content = csv_bytes(
        [["No.", "Assessment status", "Lead mandate-holders", "Public remarks"]]
        + [[f"R{n}", "Positively assessed", "OTP", f"Remark {n}"] for n in range(1, rows + 1)]
    )
    # Saved column choices, value aliases, both status lists, mandate-holders, parts, sections, the
    # recommendations the file names, their assignments and those assignments'
    # mandate-holders, then their history after the file's date and its mandate-holder
    # snapshots (the stale check).
    document = read_document("m.csv", content)
    # Dated before the demonstration history, so that the stale check reads it.
    choices = Choices(file_date=datetime.date(2020, 1, 1))
    with django_assert_num_queries(12):
        plan = plan_import(document, choices)
    assert len(plan.items) == rows
    # The lock, the rows locked, the plan again (12), then: the rows, their assignments, one bulk
    # update, assignments replaced (delete, insert), history records, their snapshots
    # (topics read, mandate-holders written), which of them are public changes (the records
    # with the ones before, their compared columns and snapshots, the flags set), in two
    # savepoints, and the audit log's entry.
    with django_assert_num_queries(32):
        outcome = apply_import(document, choices, token=plan.token, user=user)
    assert outcome.changed == rows


#
# The back-office page
#


def upload_file(client, name: str, content: bytes):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(IMPORT_URL, {"file": upload})


def form_of(response, **extra) -> dict:
    """What the preview's form sends back: its upload, the plan's token, choices."""
    return {
        "upload": response.context["upload"].pk,
        "token": response.context["plan"].token,
        **extra,
    }


def test_preview_then_apply_in_the_back_office(secretariat_client):
    content = csv_bytes([["No.", "Assessment status"], ["R30", "Negatively assessed"]])
    preview = upload_file(secretariat_client, "matrix.csv", content)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "1 recommendation would change" in page
    assert "Negatively assessed" in page
    assert Recommendation.objects.get(number=30).assessment_status is None  # nothing written

    again = secretariat_client.post(IMPORT_URL, form_of(preview, action="preview"))
    assert "1 recommendation would change" in again.content.decode()
    assert Recommendation.objects.get(number=30).assessment_status is None  # still a preview
    done = secretariat_client.post(IMPORT_URL, form_of(again, action="apply"), follow=True)
    assert "Imported from matrix.csv: 1 recommendation changed." in done.content.decode()
    assert Recommendation.objects.get(number=30).assessment_status.key == "negatively_assessed"
    assert not SpreadsheetUpload.objects.exists()


def test_the_preview_shows_every_sheet_problem_and_value_to_map(secretariat_client):
    from tests.matrix_files import Sheet, write

    content = write(
        "xlsx",
        [
            Sheet("Part I", [["No.", "Assessment status"], ["R30", "Weird"], ["R31", "Done"]]),
            Sheet("Legend", [["Colour", "Meaning"]]),
        ],
    )
    preview = upload_file(secretariat_client, "m.xlsx", content)
    page = preview.content.decode()
    assert "<td>Part I</td><td>row 1</td><td>2</td>" in page
    assert "“Legend”: no column of recommendation numbers in its first 30 rows" in page
    assert "Weird" in page
    assert "Part I, B2" in page
    # "Done" is an implementation word: as an assessment it is a value to map too.
    unknown = {value.value: value.key for value in preview.context["plan"].unknown}
    assert set(unknown) == {"Weird", "Done"}
    mapped = secretariat_client.post(
        IMPORT_URL,
        form_of(
            preview,
            action="preview",
            remember="on",
            **{unknown["Weird"]: "negatively_assessed", unknown["Done"]: ""},
        ),
    )
    assert changes_of(mapped.context["plan"]) == {30: {"assessment_status": "Negatively assessed"}}
    saved = ValueAlias.objects.get(value="weird")
    assert (saved.kind, saved.target, saved.from_reference_data) == (
        "assessment_status",
        "negatively_assessed",
        False,
    )
    # Remembered: the next file reads it without asking.
    later = plan_of("n.xlsx", content)
    assert [value.value for value in later.unknown] == []
    assert sorted(changes_of(later)) == [30]


def test_the_cells_that_are_fine_are_applied_and_the_others_listed(secretariat_client):
    content = csv_bytes(
        [["No.", "Assessment status"], ["R30", "Negatively assessed"], ["R31", "Nonsense"]]
    )
    preview = upload_file(secretariat_client, "matrix.csv", content)
    assert "Apply the cells that are fine" in preview.content.decode()
    secretariat_client.post(IMPORT_URL, form_of(preview, action="apply"))
    assert Recommendation.objects.get(number=30).assessment_status.key == "negatively_assessed"
    assert Recommendation.objects.get(number=31).assessment_status is None


def test_a_bad_upload_gets_a_message_on_the_form(secretariat_client):
    response = upload_file(secretariat_client, "matrix.xlsx", b"not a spreadsheet")
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
    assert (plan.problems, plan.items, plan.unchanged) == ([], [], 384)


def test_assignments_keep_procedural_mentions():
    content = csv_bytes([["No.", "Lead mandate-holders"], ["R27", "Bureau"]])
    plan = plan_of("m.csv", content)
    new = plan.items[0].assignments
    assert {(a.mandate_holder.slug, a.role) for a in new} == {
        ("bureau", MandateAssignment.Role.LEAD),
        ("cbf", MandateAssignment.Role.PROCEDURAL),
    }


def test_an_unknown_column_can_be_assigned_and_remembered(secretariat_client):
    content = csv_bytes([["No.", "Colonne du DG"], ["R40", "Negatively assessed"]])
    preview = upload_file(secretariat_client, "matrix.csv", content)
    unread = [c for c in preview.context["plan"].tables[0].columns if c.field is None]
    assert [c.header for c in unread] == ["Colonne du DG"]
    assert '<select name="column_0_1"' in preview.content.decode()

    mapped = secretariat_client.post(
        IMPORT_URL, form_of(preview, action="preview", column_0_1="assessment_status")
    )
    assert sorted(changes_of(mapped.context["plan"])) == [40]
    assert not ImportColumnMapping.objects.exists()  # not remembered unless asked

    secretariat_client.post(
        IMPORT_URL,
        form_of(preview, action="preview", column_0_1="assessment_status", remember="on"),
    )
    saved = ImportColumnMapping.objects.get()
    assert (saved.header, saved.field) == ("colonne du dg", "assessment_status")
    # The next file with that header is recognised without asking.
    later = plan_of("next.csv", csv_bytes([["No.", "COLONNE DU DG"], ["R41", "Not yet assessed"]]))
    assert later.tables[0].columns[1].field == "assessment_status"
    assert sorted(changes_of(later)) == [41]


def test_a_chosen_field_must_be_importable():
    content = csv_bytes([["No.", "Mystery"], ["R40", "x"]])
    plan = plan_of("m.csv", content, Choices(columns={("CSV", 1): "number"}))
    assert plan.tables[0].columns[1].field is None  # the number column is found by its header
    plan = plan_of("m.csv", content, Choices(columns={("CSV", 1): "internal_remarks"}))
    assert changes_of(plan) == {40: {"internal_remarks": "x"}}


def test_a_value_the_model_refuses_leaves_everything_unchanged(secretariat_client, monkeypatch):
    from django.core.exceptions import ValidationError

    content = csv_bytes(
        [["No.", "Assessment status"], ["R30", "Negatively assessed"], ["R31", "Not yet assessed"]]
    )
    preview = upload_file(secretariat_client, "matrix.csv", content)
    fail_on(monkeypatch, 31, ValidationError("Section I.A is not in cluster II."))
    response = secretariat_client.post(IMPORT_URL, form_of(preview, action="apply"))
    assert response.status_code == 200
    assert (
        "The import was refused, and nothing was written: Section I.A is not in cluster II."
        in response.content.decode()
    )
    assert Recommendation.objects.get(number=30).assessment_status is None
    assert SpreadsheetUpload.objects.exists()  # the preview can be tried again


def test_an_apply_after_the_records_changed_shows_the_new_preview(
    secretariat_client, secretariat_user
):
    from recommendations.services import recommendation_update

    content = csv_bytes([["No.", "Assessment status"], ["R30", "Negatively assessed"]])
    preview = upload_file(secretariat_client, "matrix.csv", content)
    before = Recommendation.objects.get(number=30).history.count()
    recommendation_update(
        Recommendation.objects.get(number=30).pk,
        changes={"assessment_status": AssessmentStatus.objects.get(key="negatively_assessed")},
        user=secretariat_user,
        reason="Bureau decision",
        source=ChangeSource.ADMIN,
    )
    response = secretariat_client.post(IMPORT_URL, form_of(preview, action="apply"))
    assert response.status_code == 409
    assert "Nothing was written: the records changed since your preview" in (
        response.content.decode()
    )
    assert response.context["plan"].items == []  # the new preview: nothing left to change
    assert Recommendation.objects.get(number=30).history.count() == before + 1  # the edit only


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
        read_document(f"bomb.{kind}", content)
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
        read_document(f"bomb.{kind}", out.getvalue())


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

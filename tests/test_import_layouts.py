"""Matrix files shaped as people make them, in every format the import reads.

Each test builds its file here (tests/matrix_files.py), imports it, and checks the records and
history that result against values written out by hand.
"""

import datetime

import pytest
from django.test import Client
from django.utils.formats import date_format

from recommendations.importer import Choices, ImportFileError
from recommendations.models import (
    AssessmentStatus,
    ChangeSource,
    ImplementationStatus,
    MandateHolder,
    Recommendation,
    ValueAlias,
    parse_recommendation_reference,
)
from tests.matrix_files import FORMATS, Sheet, apply_file, changes_of, plan_of, write

pytestmark = pytest.mark.django_db

TITLE = "Progress in the assessment of the IER recommendations"


def part_one() -> Sheet:
    """A title block, a lone footnote mark, a two-row header with merged group cells."""
    return Sheet(
        "Part I",
        [
            [TITLE, None, None, None, None, None],
            ["As circulated before the twenty-fourth session", None, None, None, None, None],
            [None, None, None, None, None, "*"],
            ["No.", "Recommendation", "Assessment", None, "Mise en œuvre", "Responsible*"],
            [None, None, "Status", "Date", None, None],
            [
                "R.60",
                None,
                "Positively assessed (Bureau decision, 2022)",
                "30/11/2022",
                "Ongoing",
                "OTP/Registry",
            ],
            [
                "62.",
                None,
                "Évalué positivement avec modifications",
                "30 Nov 2022",
                "Completed",
                "Greffe",
            ],
            [
                "R-65",
                None,
                "Negatively assessed",
                None,
                "Implemented \u2013 see ICC-ASP/23/20",
                "Bureau du Procureur",
            ],
            ["R63 (a)", None, "Positively assessed", None, None, "Présidence"],
            ["R63 (b)", None, "Positively assessed", None, None, "Présidence"],
        ],
        merges=["A1:F1", "A4:A5", "B4:B5", "C4:D4", "E4:E5", "F4:F5"],
    )


def part_two() -> Sheet:
    """French headers, a number in the text cell, a note column."""
    return Sheet(
        "Part II",
        [
            ["Partie II : Ressources humaines", None, None],
            ["N°", "Statut de l'évaluation", "Observations publiques"],
            ["014", "Pas encore évaluée", "Examen prévu en 2027"],
            ["Recommandation 15", "évaluées positivement", None],
        ],
        merges=["A1:C1"],
    )


def status(model, key):
    return model.objects.get(key=key)


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "docx", "pdf"])
def test_a_workbook_with_one_sheet_per_part_imports_every_sheet(fmt, secretariat_user):
    sheets = [part_one(), part_two()]
    if fmt in ("xlsx", "ods"):
        sheets.append(Sheet("Old", [["No."], ["R1"]], hidden=True))
    content = write(fmt, sheets)
    plan = plan_of(f"matrix.{fmt}", content)

    assert [(table.rows) for table in plan.tables] == [5, 2]
    if fmt in ("xlsx", "ods"):
        assert [name for name, _why in plan.skipped] == ["Old"]
    headers = {c.header: c.field for c in plan.tables[0].columns}
    assert headers == {
        "No.": "number",
        "Recommendation": "text",
        "Assessment / Status": "assessment_status",
        "Assessment / Date": "assessment_date",
        "Mise en œuvre": "implementation_status",
        "Responsible*": "lead",
    }
    assert plan.problems == []
    assert plan.unknown == []
    assert plan.conflicts == []
    changes = changes_of(plan)
    assert changes == {
        14: {"assessment_status": "Not yet assessed", "public_remarks": "Examen prévu en 2027"},
        15: {"assessment_status": "Positively assessed"},
        60: {
            "assessment_status": "Positively assessed",
            "implementation_status": "In progress",
            "assignments": "OTP (lead), Registry (lead)",
        },
        62: {
            "assessment_status": "Assessed positively with modifications",
            "implementation_status": "Implemented",
            "assignments": "Registry (lead)",
        },
        63: {"assessment_status": "Positively assessed", "assignments": "Presidency (lead)"},
        65: {
            "assessment_status": "Negatively assessed",
            "implementation_status": "Implemented",
            "assignments": "OTP (lead)",
        },
    }
    notes = {(c.number, c.field): c.note for c in plan.changes if c.note}
    assert notes == {
        (60, "assessment_status"): "Bureau decision, 2022",
        (65, "implementation_status"): "see ICC-ASP/23/20",
    }

    outcome = apply_file(f"matrix.{fmt}", content, user=secretariat_user)
    assert outcome.changed == 6
    r60 = Recommendation.objects.get(number=60)
    assert r60.assessment_status == status(AssessmentStatus, "positively_assessed")
    assert r60.implementation_status == status(ImplementationStatus, "in_progress")
    assert r60.assessment_status_changed_at.date() == datetime.date(2022, 11, 30)
    assert sorted(r60.assignments.values_list("mandate_holder__slug", flat=True)) == [
        "otp",
        "registry",
    ]
    # Two records: the dated assessment on its own (as of 30 November 2022 nothing else of
    # this file shows), then everything, entered today.
    dated, whole = r60.history.filter(history_source=ChangeSource.IMPORT).order_by("history_id")
    reason = (
        f"Imported from matrix.{fmt}; notes in the file: Assessment status: Bureau decision, 2022"
    )
    for record in (dated, whole):
        assert (record.history_user, record.history_change_reason) == (secretariat_user, reason)
    assert dated.history_effective_date == datetime.date(2022, 11, 30)
    assert (dated.assessment_status.key, dated.implementation_status) == (
        "positively_assessed",
        None,
    )
    assert list(dated.mandate_holders.all()) == []
    assert whole.history_effective_date is None
    assert whole.implementation_status.key == "in_progress"
    assert {row.mandate_holder.slug for row in whole.mandate_holders.all()} == {"otp", "registry"}
    assert Recommendation.objects.get(number=62).assessment_status_changed_at.date() == (
        datetime.date(2022, 11, 30)
    )
    # Nothing else changed: the other 378 have no import in their history.
    imported = Recommendation.history.filter(history_source=ChangeSource.IMPORT)
    assert sorted(set(imported.values_list("number", flat=True))) == [14, 15, 60, 62, 63, 65]
    # The same file again changes nothing.
    assert changes_of(plan_of(f"matrix.{fmt}", content)) == {}


def test_the_csv_of_the_first_sheet_reads_the_same(secretariat_user):
    content = write("csv", [part_one()])
    plan = plan_of("matrix.csv", content)
    assert plan.problems == []
    assert sorted(changes_of(plan)) == [60, 62, 63, 65]


@pytest.mark.parametrize(
    ("written", "number", "part", "rest"),
    [
        ("R14", 14, "", ""),
        ("R 14", 14, "", ""),
        ("R.14", 14, "", ""),
        ("R-14", 14, "", ""),
        ("14", 14, "", ""),
        ("14.", 14, "", ""),
        ("014", 14, "", ""),
        ("Rec. 14", 14, "", ""),
        ("Recommendation 14", 14, "", ""),
        ("Recommandation 14", 14, "", ""),
        (14.0, 14, "", ""),
        ("R63 (a)", 63, "a", ""),
        ("R14(b)", 14, "b", ""),
        ("14.a", 14, "a", ""),
        ("R14 - The Court should act.", 14, "", "The Court should act."),
        ("14. The Court should act.", 14, "", "The Court should act."),
    ],
)
def test_every_way_of_writing_a_number(written, number, part, rest):
    reference = parse_recommendation_reference(written)
    assert (reference.number, reference.part, reference.rest) == (number, part, rest)


@pytest.mark.parametrize("written", ["14.5", "14abc", "Recommendation", "", "R", 14.5, True])
def test_what_is_not_a_number(written):
    assert parse_recommendation_reference(written) is None


def test_parts_that_disagree_are_one_problem_to_settle(secretariat_user):
    sheet = Sheet(
        "M",
        [
            ["No.", "Assessment status"],
            ["R63 (a)", "Positively assessed"],
            ["R63 (b)", "Negatively assessed"],
            ["R64", "Negatively assessed"],
        ],
    )
    content = write("xlsx", [sheet])
    plan = plan_of("m.xlsx", content)
    [conflict] = plan.conflicts
    assert (conflict.number, conflict.field) == (63, "assessment_status")
    assert conflict.options == [
        ("a", "Positively assessed", "M, B2"),
        ("b", "Negatively assessed", "M, B3"),
    ]
    assert changes_of(plan) == {64: {"assessment_status": "Negatively assessed"}}
    settled = plan_of("m.xlsx", content, Choices(settle={conflict.key: "b"}))
    assert changes_of(settled)[63] == {"assessment_status": "Negatively assessed"}


def test_one_recommendation_in_two_sheets_is_a_problem_naming_both():
    first = Sheet("Part I", [["No.", "Assessment status"], ["R5", "Positively assessed"]])
    second = Sheet(
        "Part II", [["No.", "Assessment status"], ["", ""], ["R5", "Negatively assessed"]]
    )
    plan = plan_of("m.xlsx", write("xlsx", [first, second]))
    [problem] = plan.problems
    assert problem.message == (
        "R5 is in two places: “Part I” row 2 and “Part II” row 3. Neither is read."
    )
    assert changes_of(plan) == {}


def test_one_bad_cell_never_drops_its_row(secretariat_user):
    sheet = Sheet(
        "M",
        [
            ["No.", "Assessment status", "Implementation status", "Lead mandate-holders"],
            ["R20", "Brilliantly assessed", "Ongoing", "Ministry of Magic"],
        ],
    )
    content = write("xlsx", [sheet])
    plan = plan_of("m.xlsx", content)
    assert changes_of(plan) == {20: {"implementation_status": "In progress"}}
    assert [(v.kind, v.value, v.places) for v in plan.unknown] == [
        ("assessment_status", "Brilliantly assessed", ["M, B2"]),
        ("mandate_holder", "Ministry of Magic", ["M, D2"]),
    ]
    assert apply_file("m.xlsx", content, user=secretariat_user).changed == 1
    r20 = Recommendation.objects.get(number=20)
    assert r20.implementation_status.key == "in_progress"
    assert r20.assessment_status is None


def test_a_value_mapped_in_the_preview_is_read_and_can_be_remembered(secretariat_user):
    sheet = Sheet("M", [["No.", "Implementation status"], ["R21", "Closed"], ["R22", "N/A"]])
    content = write("xlsx", [sheet])
    plan = plan_of("m.xlsx", content)
    keys = {value.value: value.key for value in plan.unknown}
    choices = Choices(values={keys["Closed"]: "implemented", keys["N/A"]: ""})
    mapped = plan_of("m.xlsx", content, choices)
    assert mapped.unknown == []
    assert changes_of(mapped) == {21: {"implementation_status": "Implemented"}}
    assert not ValueAlias.objects.filter(value="closed").exists()


def test_french_names_and_separators_of_mandate_holders():
    otp, registry = (
        MandateHolder.objects.get(slug="otp"),
        MandateHolder.objects.get(slug="registry"),
    )
    cbf = MandateHolder.objects.get(slug="cbf")
    sheet = Sheet(
        "M",
        [
            ["No.", "Titulaires de mandat"],
            ["R101", "Bureau du Procureur et Greffe"],
            ["R102", "OTP + Registry"],
            ["R103", "Committee on Budget and Finance; Registry"],
            ["R104", "Greffe\nOTP"],
        ],
    )
    plan = plan_of("m.xlsx", write("xlsx", [sheet]))
    found = {
        item.recommendation.number: [a.mandate_holder for a in item.assignments]
        for item in plan.items
    }
    assert found == {
        101: [otp, registry],
        102: [otp, registry],
        103: [cbf, registry],
        104: [registry, otp],
    }


@pytest.mark.parametrize(
    ("written", "day"),
    [
        (datetime.datetime(2022, 11, 30), datetime.date(2022, 11, 30)),
        ("30/11/2022", datetime.date(2022, 11, 30)),
        ("30 Nov 2022", datetime.date(2022, 11, 30)),
        ("30 novembre 2022", datetime.date(2022, 11, 30)),
        ("1er décembre 2022", datetime.date(2022, 12, 1)),
        ("2022-11-30", datetime.date(2022, 11, 30)),
        ("Nov. 2022", datetime.date(2022, 11, 1)),
        ("November 30, 2022", datetime.date(2022, 11, 30)),
    ],
)
def test_dates_in_any_form(written, day):
    from recommendations.importer.values import read_date

    assert read_date(written) == day


def test_a_stale_export_does_not_undo_a_later_change(secretariat_user, client):
    from django.utils import timezone

    from recommendations.services import recommendation_update

    def set_implementation(number, key, reason):
        recommendation_update(
            Recommendation.objects.get(number=number).pk,
            changes={"implementation_status": status(ImplementationStatus, key)},
            user=secretariat_user,
            reason=reason,
            source=ChangeSource.ADMIN,
        )

    set_implementation(2, "not_started", "First report")
    export = client.get("/matrix.csv")
    name = export["Content-Disposition"].split('filename="')[1].rstrip('"')
    # After the export, R2 moves on in the back-office.
    set_implementation(2, "in_progress", "Told by the Registry")
    # The officer edits the old export: R1 gets a status; R2's cell still says Not started.
    lines = export.content.decode("utf-8-sig").splitlines()
    column = lines[0].split(",").index("Implementation status")
    rows = [line.split(",") for line in lines[1:3]]
    rows[0][column] = "Not started"
    edited = "\r\n".join([lines[0], *[",".join(row) for row in rows]]).encode()

    plan = plan_of(name, edited)
    [stale] = plan.stale
    assert stale.key == "2_implementation_status"
    today = date_format(timezone.localdate(), "j F Y")
    assert stale.stale == (
        f"R2: changed on {today} by {secretariat_user.username} in the back-office, after this "
        "file's date; this file would set it back to Not started."
    )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert plan_of(name, edited, Choices(file_date=tomorrow)).stale == []  # the officer's date
    outcome = apply_file(name, edited, user=secretariat_user)
    assert outcome.changed == 1  # R1 only
    assert Recommendation.objects.get(number=1).implementation_status.key == "not_started"
    assert Recommendation.objects.get(number=2).implementation_status.key == "in_progress"
    ticked = apply_file(
        name, edited, user=secretariat_user, choices=Choices(include_stale={stale.key})
    )
    assert ticked.changed == 1
    assert Recommendation.objects.get(number=2).implementation_status.key == "not_started"


def test_a_number_column_is_needed_somewhere():
    content = write("xlsx", [Sheet("Notes", [["Status", "Text"], ["x", "y"]])])
    with pytest.raises(ImportFileError, match=r"No table in “m\.xlsx” has a column"):
        plan_of("m.xlsx", content)


def test_a_sheet_without_numbers_is_named_as_not_read():
    content = write(
        "xlsx",
        [
            Sheet("Matrix", [["No.", "Assessment status"], ["R1", "Positively assessed"]]),
            Sheet("Legend", [["Colour", "Meaning"], ["green", "done"]]),
        ],
    )
    plan = plan_of("m.xlsx", content)
    assert plan.skipped == [("Legend", "no column of recommendation numbers in its first 30 rows")]


def test_structure_columns_place_recommendations_and_create_the_missing_sections(
    secretariat_user,
):
    sheet = Sheet(
        "Part II",
        [
            ["No.", "Part", "Section", "Subsection"],
            ["R87", "II. Human Resources", "A. General", None],
            ["R88", "II. Human Resources", "B. Working environment", "1. Staff engagement"],
            ["R89", "II", "B", "1"],
            ["R90", None, "I.A.4", None],
            ["R91", "II", "C", None],
            ["R92", "IV", "A. Something", None],
        ],
    )
    content = write("xlsx", [sheet])
    plan = plan_of("matrix.xlsx", content)
    assert [(s.key, s.title, s.parent_key) for s in plan.new_sections] == [
        ("II.A", "General", ""),
        ("II.B", "Working environment", ""),
        ("II.B.1", "Staff engagement", "II.B"),
    ]
    assert plan.new_parts == []  # part II is known
    assert changes_of(plan) == {
        87: {"section": "II.A General (new section)"},
        88: {"section": "II.B.1 Staff engagement (new section)"},
        89: {"section": "II.B.1 Staff engagement (new section)"},
        90: {"section": "I.A.4"},
    }
    assert [(p.where, p.message) for p in plan.problems] == [
        (
            "C6",
            "Section II.C is not in the tracker and the file gives no title for it: add its "
            "title (“C. Title”).",
        ),
        (
            "C7",
            "Part IV is not in the tracker and the file gives no title for it: write it as "
            "“IV. Title” in a part column.",
        ),
    ]
    outcome = apply_file("matrix.xlsx", content, user=secretariat_user)
    assert (outcome.changed, outcome.new_sections) == (4, 3)
    from recommendations.models import Section

    staff = Section.objects.get(key="II.B.1")
    assert (staff.title, staff.parent.key, staff.cluster.code) == ("Staff engagement", "II.B", "II")
    assert staff.note == "From the imported Matrix “matrix.xlsx” (Part II, D3)."
    r88 = Recommendation.objects.select_related("section", "cluster").get(number=88)
    assert (r88.section.key, r88.cluster.code) == ("II.B.1", "II")
    assert r88.placement == [
        "II. Human Resources",
        "B. Working environment",
        "1. Staff engagement",
    ]
    assert Recommendation.objects.get(number=90).section.key == "I.A.4"


def test_a_status_date_counts_as_of_that_day_in_the_matrix_as_of_and_comparisons(
    secretariat_user,
):
    from recommendations import editions

    sheet = Sheet(
        "M",
        [
            ["No.", "Implementation status", "Date of implementation", "Short title"],
            ["R40", "Implemented", "30 November 2022", "A title given today"],
        ],
    )
    apply_file("m.xlsx", write("xlsx", [sheet]), user=secretariat_user)
    # As of 2024 the status shows (it took effect in 2022), the title entered today does not.
    as_of_2024 = editions.source_for_day("2024-01-01").rows()
    assert as_of_2024.get(number=40).short_title == ""
    today = editions.source_for_day(None).rows()
    assert today.get(number=40).short_title == "A title given today"

    def implementation(day):
        source = editions.source_for_day(day.isoformat())
        return dict(source.rows().values_list("number", "implementation_status__key")).get(40)

    assert implementation(datetime.date(2022, 11, 29)) is None
    assert implementation(datetime.date(2022, 11, 30)) == "implemented"
    assert implementation(datetime.date(2024, 1, 1)) == "implemented"
    r40 = Recommendation.objects.get(number=40)
    assert r40.implementation_status_changed_at.date() == datetime.date(2022, 11, 30)

    # Between the two days nothing moved for R40: the import is not news of 2024.
    def moved(start, end):
        page = Client().get(f"/compare/?from={start}&to={end}")
        assert page.status_code == 200
        return [row["code"] for row in page.context["changed_rows"]]

    assert "R40" not in moved("2023-01-01", "2024-01-01")
    assert "R40" in moved("2022-06-01", "2024-01-01")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_whole_384_row_matrix_in_each_format(fmt, secretariat_user):
    from tests.matrix_files import full_matrix

    sheet, expected = full_matrix()
    content = write(fmt, [sheet])
    history_before = Recommendation.history.count()
    plan = plan_of(f"matrix.{fmt}", content)
    assert plan.rows == 384
    assert (plan.problems, plan.unknown, plan.conflicts) == ([], [], [])
    outcome = apply_file(f"matrix.{fmt}", content, user=secretariat_user)
    assert outcome.changed == 384
    found = {
        r.number: (
            r.assessment_status.key,
            r.implementation_status.key,
            sorted(r.assignments.filter(role=1).values_list("mandate_holder__slug", flat=True)),
        )
        for r in Recommendation.objects.select_related("assessment_status", "implementation_status")
    }
    assert found == expected
    # Each row has a dated assessment and undated changes: two records each.
    assert Recommendation.history.count() == history_before + 2 * 384
    imported = Recommendation.history.filter(history_source=ChangeSource.IMPORT)
    assert set(imported.values_list("history_user", flat=True)) == {secretariat_user.pk}
    dated = imported.filter(history_effective_date__isnull=False)
    assert dated.count() == 384
    assert {d.day for d in dated.values_list("history_effective_date", flat=True)} == set(
        range(1, 29)
    )
    assert changes_of(plan_of(f"matrix.{fmt}", content)) == {}  # once is enough


def test_the_review_mechanisms_categorization_table_agrees_with_the_reference_placements():
    """Rows of a file we did not write (fixtures/sources/ier-categorization.csv, the Review
    Mechanism's table): a cell naming two subsections, and a subsection with its own
    sub-level, must not move R38, R46 or R49 away from the places the reference gives them."""
    import csv as csv_module
    from pathlib import Path

    source = Path(__file__).resolve().parent.parent / "fixtures/sources/ier-categorization.csv"
    with source.open(encoding="utf-8") as handle:
        rows = {row["number"]: row for row in csv_module.DictReader(handle)}
    picked = [rows[code] for code in ("R38", "R46", "R49", "R1")]
    header = ["number", "cluster", "section", "subsection"]
    sheet = Sheet("Categorization", [header] + [[row[h] for h in header] for row in picked])
    plan = plan_of("categorization.csv", write("csv", [sheet]))
    assert plan.problems == []
    assert changes_of(plan) == {}
    places = {
        r.number: r.section.key
        for r in Recommendation.objects.select_related("section").filter(number__in=[1, 38, 46, 49])
    }
    assert places == {1: "I.A.1", 38: "I.C", 46: "I.C.3.1", 49: "I.C.3.2"}


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("3. (2) Executive Committee (ExCom)", [("3", ""), ("(2)", "Executive Committee (ExCom)")]),
        ("3. OTP Management: (1) Prosecutor", [("3", "OTP Management"), ("(1)", "Prosecutor")]),
        ("1. The OTP Structure; 2. The OTP Regulatory Framework", []),
        ("1. Structure: (1) Court Governance, (2) IO Governance",
         [("1", "Structure: (1) Court Governance, (2) IO Governance")]),
        ("General", None),
    ],
)  # fmt: skip
def test_levels_named_in_one_cell(cell, expected):
    from recommendations.importer.structure import levels

    assert levels(cell) == expected

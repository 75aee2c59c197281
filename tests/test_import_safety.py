"""The import against files and forms it was not built for: each case found by a review, with
the message it must give and the proof that nothing else changed."""

import datetime
import io
import time

import pytest

from recommendations.demo import demo_seed
from recommendations.importer import Choices
from recommendations.importer.values import read_date
from recommendations.models import (
    ChangeSource,
    MandateAssignment,
    MandateHolder,
    Recommendation,
    SpreadsheetUpload,
    ValueAlias,
)
from tests.matrix_files import Sheet, apply_file, changes_of, plan_of, write
from tests.test_import import IMPORT_URL, upload_file

pytestmark = pytest.mark.django_db


def one_sheet(*rows, merges=()):
    return write("xlsx", [Sheet("M", [list(row) for row in rows], merges=list(merges))])


def test_a_choice_made_with_apply_shows_the_new_preview_and_writes_nothing(secretariat_client):
    content = one_sheet(["No.", "Implementation status"], ["R21", "Closed"])
    preview = upload_file(secretariat_client, "m.xlsx", content)
    [value] = preview.context["plan"].unknown
    response = secretariat_client.post(
        IMPORT_URL,
        {
            "upload": preview.context["upload"].pk,
            "token": preview.context["plan"].token,
            "action": "apply",
            value.key: "implemented",
        },
    )
    assert response.status_code == 200
    assert "your choices change what the import would write" in response.content.decode()
    assert Recommendation.objects.get(number=21).implementation_status is None
    # Applied from that preview, it writes.
    secretariat_client.post(
        IMPORT_URL,
        {
            "upload": preview.context["upload"].pk,
            "token": response.context["plan"].token,
            "action": "apply",
            value.key: "implemented",
        },
    )
    assert Recommendation.objects.get(number=21).implementation_status.key == "implemented"
    assert not SpreadsheetUpload.objects.exists()


def test_a_crafted_target_is_a_value_still_to_map(secretariat_client):
    content = one_sheet(["No.", "Implementation status"], ["R21", "Closed"])
    preview = upload_file(secretariat_client, "m.xlsx", content)
    [value] = preview.context["plan"].unknown
    response = secretariat_client.post(
        IMPORT_URL,
        {
            "upload": preview.context["upload"].pk,
            "action": "preview",
            "remember": "on",
            value.key: "x" * 500,
        },
    )
    assert response.status_code == 200
    assert [v.value for v in response.context["plan"].unknown] == ["Closed"]
    assert not ValueAlias.objects.filter(value="closed").exists()


def test_numbered_headings_ranges_and_huge_numbers_are_not_recommendations():
    content = one_sheet(
        ["No.", "Assessment status", "Text"],
        ["3. Recruitment", "3. Recruitment", "3. Recruitment"],
        ["R3", "Positively assessed", None],
        ["R14-R16", "Negatively assessed", None],
        [10**30, "Negatively assessed", None],
        merges=["A2:C2"],
    )
    plan = plan_of("m.xlsx", content)
    assert changes_of(plan) == {3: {"assessment_status": "Positively assessed"}}
    assert [(p.where, p.message) for p in plan.problems] == [
        ("A4", "Several recommendations in one cell: give each its own row."),
        ("A5", "Not a recommendation number: its row is not read."),
    ]
    assert plan.tables[0].notes == ["1 heading or note row with a single value was passed over."]


def test_a_long_cell_is_read_quickly():
    long_note = "Implemented - " + "see the report " * 2000
    many = ", ".join(["OTP"] * 400)
    content = one_sheet(
        ["No.", "Implementation status", "Lead mandate-holders"],
        ["R20", long_note, many],
        ["R21", "Done", "x" * 30_000],
    )
    start = time.perf_counter()
    plan = plan_of("m.xlsx", content)
    assert time.perf_counter() - start < 5  # was minutes: a guard against quadratic reading
    assert changes_of(plan)[20]["implementation_status"] == "Implemented"
    assert changes_of(plan)[20]["assignments"] == "OTP (lead)"
    [problem] = plan.problems
    assert problem.where == "C3"
    assert problem.message == (
        "30,000 characters: too long for a list of mandate-holders (at most 2,000)."
    )


def test_no_value_for_mandate_holders_keeps_them_and_demo_holders_give_way(secretariat_user):
    demo_seed()
    ValueAlias.objects.create(kind=ValueAlias.Kind.MANDATE_HOLDER, value="n a", target="")
    demo_rows = MandateAssignment.objects.filter(is_demo=True)
    with_demo = demo_rows.values_list("recommendation__number", flat=True).first()
    before = set(
        Recommendation.objects.get(number=with_demo).assignments.values_list(
            "mandate_holder__slug", "role"
        )
    )
    content = one_sheet(
        ["No.", "Lead mandate-holders"], [f"R{with_demo}", "N/A"], ["R300", "Registry"]
    )
    plan = plan_of("m.xlsx", content)
    assert with_demo not in changes_of(plan)  # "N/A" says nothing: the holders stay
    assert (
        set(
            Recommendation.objects.get(number=with_demo).assignments.values_list(
                "mandate_holder__slug", "role"
            )
        )
        == before
    )
    apply_file("m.xlsx", content, user=secretariat_user)
    r300 = Recommendation.objects.get(number=300)
    assert [(a.mandate_holder.slug, a.role, a.is_demo) for a in r300.assignments.all()] == [
        ("registry", MandateAssignment.Role.LEAD, False)
    ]


def test_lead_and_contributing_at_once_and_a_part_against_its_section_are_problems():
    content = one_sheet(
        ["No.", "Lead mandate-holders", "Contributing mandate-holders", "Part"],
        ["R20", "OTP", "OTP; Registry", None],
        ["R14", None, None, "II. Human Resources"],
    )
    plan = plan_of("m.xlsx", content)
    assert changes_of(plan) == {}
    messages = sorted(p.message for p in plan.problems)
    assert messages == [
        "R14 is in section I.A.4; the file gives another part and no section: give its "
        "section (or correct the part).",
        "R20: named both as lead and as contributing: the mandate-holder cells are not read.",
    ]


def test_a_workbook_formatted_far_below_its_rows_is_read():
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["No.", "Implementation status"])
    sheet.append(["R20", "Done"])
    for row in range(3, 20_001):
        sheet.cell(row=row, column=1).font = Font(bold=True)  # formatted, empty
    out = io.BytesIO()
    workbook.save(out)
    plan = plan_of("m.xlsx", out.getvalue())
    assert changes_of(plan) == {20: {"implementation_status": "Implemented"}}


def test_ods_rows_are_named_as_the_spreadsheet_numbers_them():
    content = write(
        "ods",
        [Sheet("M", [["No.", "Assessment status"], [None], [None], ["R5", "Brilliant"]])],
    )
    plan = plan_of("m.ods", content)
    assert [v.places for v in plan.unknown] == [["M, B4"]]


@pytest.mark.parametrize("word", ["Decided 2022", "Marked 2023", "Mayor 2022", "Junior 2021"])
def test_words_that_start_like_a_month_are_not_dates(word):
    assert read_date(word) is None


def test_two_digit_years():
    assert read_date("30/11/22") == datetime.date(2022, 11, 30)
    assert read_date("30/11/99") == datetime.date(1999, 11, 30)


def test_a_group_row_above_the_number_header_names_its_columns():
    content = one_sheet(
        [None, "Assessment", "Assessment"],
        ["No.", "Status", "Date"],
        ["R30", "Negatively assessed", "30/11/2022"],
        merges=["B1:C1"],
    )
    plan = plan_of("m.xlsx", content)
    assert [(c.header, c.field) for c in plan.tables[0].columns] == [
        ("No.", "number"),
        ("Assessment / Status", "assessment_status"),
        ("Assessment / Date", "assessment_date"),
    ]
    [change] = plan.changes
    assert change.since == datetime.date(2022, 11, 30)


def test_a_value_alias_is_saved_normalised_in_the_back_office(secretariat_client):
    ValueAlias.objects.create(kind="implementation_status", value="ongoing2", target="in_progress")
    response = secretariat_client.post(
        "/admin/recommendations/valuealias/add/",
        {"kind": "implementation_status", "value": "ONGOING2", "target": "in_progress"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "already exists" in response.content.decode()
    response = secretariat_client.post(
        "/admin/recommendations/valuealias/add/",
        {"kind": "implementation_status", "value": "En Cours  (DG)", "target": "nope"},
    )
    assert "is not a key of" in response.content.decode()
    secretariat_client.post(
        "/admin/recommendations/valuealias/add/",
        {"kind": "mandate_holder", "value": "Le Greffier", "target": "registry"},
    )
    alias = ValueAlias.objects.get(kind="mandate_holder", value="le greffier")
    assert alias.updated_by.username == "alice"
    holder = MandateHolder.objects.get(slug="registry")
    plan = plan_of("m.xlsx", one_sheet(["No.", "Lead mandate-holders"], ["R300", "LE GREFFIER"]))
    assert [a.mandate_holder for a in plan.items[0].assignments] == [holder]


def test_a_date_the_officer_gives_is_the_files(secretariat_user):
    from recommendations.services import recommendation_update

    recommendation_update(
        Recommendation.objects.get(number=30).pk,
        changes={"public_remarks": "Later remark"},
        user=secretariat_user,
        reason="Bureau",
        source=ChangeSource.ADMIN,
    )
    content = write("csv", [Sheet("M", [["No.", "Public remarks"], ["R30", "Old remark"]])])
    plan = plan_of("matrix.csv", content)
    assert plan.file_date is None  # a CSV says nothing of its date: the preview asks for it
    assert plan.stale == []
    dated = plan_of("matrix.csv", content, Choices(file_date=datetime.date(2020, 1, 1)))
    assert [c.key for c in dated.stale] == ["30_public_remarks"]


def test_a_text_from_the_file_cites_the_file(secretariat_user):
    from recommendations.models import Source

    content = one_sheet(
        ["No.", "Assessment status"],
        ["R100 - The Court should adopt a policy.", "Positively assessed"],
        ["R101", "Positively assessed"],
    )
    plan = plan_of("matrix.xlsx", content)
    assert changes_of(plan)[100] == {
        "text": "The Court should adopt a policy.",
        "assessment_status": "Positively assessed",
    }
    apply_file("matrix.xlsx", content, user=secretariat_user)
    source = Source.objects.get(recommendation__number=100, fact=Source.Fact.TEXT)
    assert (source.value, source.document, source.note, source.from_reference_data) == (
        "The Court should adopt a policy.",
        "Imported Matrix “matrix.xlsx”",
        "M, A2",
        False,
    )
    record = source.history.get()
    assert (record.history_user, record.history_source) == (secretariat_user, ChangeSource.IMPORT)
    assert not Source.objects.filter(recommendation__number=101, fact=Source.Fact.TEXT).exists()


def test_an_old_file_does_not_undo_a_later_change_of_mandate_holders(secretariat_user):
    from recommendations.services import Assignment, recommendation_update

    otp = MandateHolder.objects.get(slug="otp")
    registry = MandateHolder.objects.get(slug="registry")

    def assign(holder, reason):
        recommendation_update(
            Recommendation.objects.get(number=40).pk,
            changes={"assignments": [Assignment(holder)]},
            user=secretariat_user,
            reason=reason,
            source=ChangeSource.ADMIN,
        )

    assign(otp, "First")
    content = one_sheet(["No.", "Lead mandate-holders"], ["R40", "OTP"])
    assign(registry, "Moved to the Registry")  # after the file was written
    plan = plan_of("m.xlsx", content, Choices(file_date=datetime.date(2020, 1, 1)))
    [change] = plan.changes
    assert change.field == "assignments"
    assert change.stale.endswith("this file would set it back to OTP (lead).")
    apply_file("m.xlsx", content, user=secretariat_user)
    assert [a.mandate_holder for a in Recommendation.objects.get(number=40).assignments.all()] == [
        registry
    ]


def test_a_chart_sheet_is_named_as_not_read():
    import openpyxl
    from openpyxl.chart import BarChart

    workbook = openpyxl.Workbook()
    workbook.active.append(["No.", "Implementation status"])
    workbook.active.append(["R20", "Done"])
    chart = workbook.create_chartsheet("Progress chart")
    chart.add_chart(BarChart())
    out = io.BytesIO()
    workbook.save(out)
    plan = plan_of("m.xlsx", out.getvalue())
    assert plan.skipped == [("Progress chart", "a chart, not a table")]


def test_odd_choices_in_the_form_are_ignored_not_a_500(secretariat_client):
    content = one_sheet(["No.", "Implementation status", "—"], ["R21", "—", "x"])
    preview = upload_file(secretariat_client, "m.xlsx", content)
    [value] = preview.context["plan"].unknown
    response = secretariat_client.post(
        IMPORT_URL,
        {
            "upload": preview.context["upload"].pk,
            "action": "preview",
            "remember": "on",
            value.key: "implemented",
            "column_0_2": "public_remarks",
            "column_99_1": "text",
            "file_date": "01/01/0001",
            "settle_1_text": "zz",
            "stale_nonsense": "on",
        },
    )
    assert response.status_code == 200
    assert response.context["choices"].file_date is None
    assert not ValueAlias.objects.filter(value="").exists()


def test_remembering_then_applying_is_not_taken_for_someone_elses_change(secretariat_client):
    content = one_sheet(["No.", "Implementation status"], ["R21", "Closed"])
    preview = upload_file(secretariat_client, "m.xlsx", content)
    [value] = preview.context["plan"].unknown
    form = {"upload": preview.context["upload"].pk, value.key: "implemented"}
    remembered = secretariat_client.post(
        IMPORT_URL, {**form, "action": "preview", "remember": "on"}
    )
    assert ValueAlias.objects.filter(value="closed", target="implemented").exists()
    done = secretariat_client.post(
        IMPORT_URL, {**form, "action": "apply", "token": remembered.context["plan"].token}
    )
    assert done.status_code == 302
    assert Recommendation.objects.get(number=21).implementation_status.key == "implemented"


@pytest.mark.parametrize(
    ("written", "several"),
    [
        ("R-14, R-15", True),
        ("R14 à R16", True),
        ("R14 (a), R15", True),
        ("R14 - 2 years on", False),
    ],
)
def test_several_numbers_or_a_text_that_starts_with_one(written, several):
    from recommendations.models import names_several_recommendations

    assert names_several_recommendations(written) is several


def test_a_status_date_before_the_report_is_a_problem():
    content = one_sheet(
        ["No.", "Assessment", "Assessment"],
        [None, "Status", "Date"],
        ["R30", "Negatively assessed", "30/11/0022"],
        merges=["B1:C1"],
    )
    plan = plan_of("m.xlsx", content)
    [change] = plan.changes
    assert change.since is None
    [problem] = plan.problems
    assert problem.message == (
        "A date before the final report (30 September 2020): the status is read without its date."
    )


def test_the_dated_record_keeps_the_demonstration_flag_of_what_came_later(secretariat_user):
    demo_seed()
    r = Recommendation.objects.filter(implementation_status_demo=True).first()
    other = "In progress" if r.implementation_status.key == "implemented" else "Implemented"
    content = one_sheet(
        ["No.", "Assessment", "Assessment", "Implementation status"],
        [None, "Status", "Date", None],
        [f"R{r.number}", "Negatively assessed", "30/11/2022", other],
        merges=["B1:C1", "D1:D2"],
    )
    apply_file("m.xlsx", content, user=secretariat_user)
    dated, whole = r.history.filter(history_source=ChangeSource.IMPORT).order_by("history_id")
    assert dated.history_effective_date == datetime.date(2022, 11, 30)
    assert (dated.implementation_status_id, dated.implementation_status_demo) == (
        r.implementation_status_id,
        True,
    )
    assert whole.implementation_status_demo is False

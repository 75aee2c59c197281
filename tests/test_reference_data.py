"""The reference loader: what the public sources say, loaded once, never clobbering edits.

Expected values are read from the verbatim copies in fixtures/sources/ (not from
recommendation_facts.csv, which the loader itself reads), so a wrong derivation shows up here.
"""

import csv
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from recommendations.models import (
    AssessmentStatus,
    ChangeSource,
    Cluster,
    MandateAssignment,
    Recommendation,
    Source,
    parse_recommendation_number,
)
from recommendations.reference import load_reference_data
from recommendations.services import recommendation_update

pytestmark = pytest.mark.django_db

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SOURCES = FIXTURES / "sources"
ALL_NUMBERS = set(range(1, 385))


def read_source(name: str) -> list[dict[str, str]]:
    with (SOURCES / name).open(newline="", encoding="utf-8") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def by_number(rows: list[dict[str, str]], column: str = "number") -> dict[int, dict[str, str]]:
    return {parse_recommendation_number(row[column]): row for row in rows if row[column]}


CATEGORIZATION = by_number(read_source("ier-categorization.csv"))
# R226 and R227 are not rows of the categorization table: a research note added them with the
# experts' cluster 3, which is not a part of the report, so the reference gives no place for
# them, only the sources' statement (fact "other").
NOT_PLACED = {226, 227}
PLACED = {n: row for n, row in CATEGORIZATION.items() if n not in NOT_PLACED}
TEXTS = by_number(read_source("ier-recommendations.csv"))
MANDATE_HOLDERS = by_number(read_source("ier-mandate-holders.csv"))
STATUS_SNAPSHOTS = by_number(read_source("ier-status-snapshots.csv"), "recommendation")


def kept_mentions(report, pattern: str) -> list[str]:
    return [line for line in report.kept if re.search(pattern, line)]


def copy_fixtures(tmp_path: Path) -> Path:
    target = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, target)
    return target


def edit_facts(fixtures_dir: Path, edit) -> None:
    """Rewrite the copied recommendation_facts.csv with ``edit(rows) -> rows``."""
    path = fixtures_dir / "recommendation_facts.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fieldnames = reader.fieldnames
        rows = list(reader)
    rows = edit(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)


def is_fact(row: dict, code: str, fact: str) -> bool:
    return row["number"] == code and row["fact"] == fact


def reference_source(number: int, fact: str) -> Source:
    return Source.objects.get(recommendation__number=number, fact=fact, from_reference_data=True)


def edit_as_person(number: int, user, **changes) -> None:
    changed = recommendation_update(
        Recommendation.objects.get(number=number),
        changes=changes,
        user=user,
        reason="Corrected by the Secretariat after checking the Matrix",
        source=ChangeSource.ADMIN,
    )
    assert changed == list(changes)


#
# What is loaded
#


def test_it_loads_exactly_384_recommendations_numbered_1_to_384():
    numbers = list(Recommendation.objects.values_list("number", flat=True))
    assert len(numbers) == 384
    assert set(numbers) == ALL_NUMBERS


def test_the_source_lists_the_placements_the_notes_count():
    # Guard on the parsing below: NOTES.md counts R1-R86 plus R226 and R227.
    assert set(CATEGORIZATION) == set(range(1, 87)) | {226, 227}


def _level_appears(section, child, text: str) -> bool:
    """By its title, or by its number written just before the child's ("3. (2) ExCom")."""
    if section.title.lower() in text.lower():
        return True
    return child is not None and f"{section.code}. {child.code}" in text


def test_it_places_every_recommendation_the_categorization_table_places():
    recommendations = {
        rec.number: rec
        for rec in Recommendation.objects.select_related("cluster", "section__parent__parent")
    }
    for number, row in PLACED.items():
        rec = recommendations[number]
        code, name = row["cluster"].split(". ", 1)
        assert rec.cluster is not None, rec.code
        assert (rec.cluster.code, rec.cluster.name) == (code, name), rec.code
        if not row["section"]:
            assert rec.section is None, rec.code
            continue
        assert rec.section is not None, rec.code
        text = f"{row['section']} {row['subsection']}"
        lineage = rec.section.lineage
        assert lineage[0].parent is None
        for level, child in zip(lineage, [*lineage[1:], None], strict=True):
            assert level.cluster_id == rec.cluster_id, rec.code
            assert _level_appears(level, child, text), (rec.code, level.key, text)


def test_r226_and_r227_keep_their_sources_statement_without_a_place():
    for number in NOT_PLACED:
        rec = Recommendation.objects.get(number=number)
        assert (rec.cluster, rec.section) == (None, None)
        source = reference_source(number, Source.Fact.OTHER)
        assert "preliminary examinations" in source.value
        assert "not recorded" in source.value
        assert set(source.urls) & _source_urls(CATEGORIZATION[number])


def test_the_top_level_is_the_reports_parts_as_the_french_version_names_them():
    parts = {c.code: (c.name, c.name_fr) for c in Cluster.objects.all()}
    assert parts == {
        "I": ("Governance", "Gouvernance"),
        "II": ("Human Resources", "Ressources humaines"),
    }


def test_recommendations_the_sources_do_not_place_have_no_cluster_and_no_section():
    unplaced = Recommendation.objects.exclude(number__in=PLACED)
    assert unplaced.count() == 384 - len(PLACED)
    assert not unplaced.filter(cluster__isnull=False).exists()
    assert not unplaced.filter(section__isnull=False).exists()


def test_only_the_responsibilities_the_source_states_are_recorded():
    expected = {
        number: row["responsibility"].lower()
        for number, row in CATEGORIZATION.items()
        if row["responsibility"]
    }
    assert set(expected) == {6, 7, 14, 16, 17, 18, 19, 20}
    recorded = dict(
        Recommendation.objects.exclude(responsibility="").values_list("number", "responsibility")
    )
    assert recorded == expected
    assert set(recorded.values()) == {Recommendation.Responsibility.COURT}


def test_it_records_no_text_the_sources_lack():
    texts = dict(Recommendation.objects.exclude(text="").values_list("number", "text"))
    assert texts == {227: TEXTS[227]["full_text"]}
    assert TEXTS[363]["full_text"] == ""
    assert Recommendation.objects.get(number=363).text == ""
    assert not any(row["short_title"] for row in TEXTS.values())
    assert not Recommendation.objects.exclude(short_title="").exists()
    assert not Recommendation.objects.exclude(short_title_fr="").exists()
    assert not Recommendation.objects.exclude(text_fr="").exists()


def test_only_r27_r30_r33_have_a_mandate_holder_the_cbf_in_a_procedural_role():
    assert set(MANDATE_HOLDERS) == {27, 30, 33}
    assignments = list(MandateAssignment.objects.select_related("recommendation", "mandate_holder"))
    assert sorted(a.recommendation.number for a in assignments) == sorted(MANDATE_HOLDERS)
    for assignment in assignments:
        row = MANDATE_HOLDERS[assignment.recommendation.number]
        holder = assignment.mandate_holder
        assert row["mandate_holder"] == f"{holder.name} ({holder.abbreviation})"
        assert holder.abbreviation == "CBF"
        assert assignment.role == MandateAssignment.Role.PROCEDURAL
        assert assignment.is_owner is False
        assert assignment.is_demo is False


def test_only_r363_has_an_assessment_status_and_it_is_real():
    assert set(STATUS_SNAPSHOTS) == {363}
    assessed = Recommendation.objects.exclude(assessment_status=None).select_related(
        "assessment_status"
    )
    assert [rec.number for rec in assessed] == [363]
    r363 = assessed[0]
    assert r363.assessment_status.key == "positively_assessed"
    assert r363.assessment_status.label_en.lower() == STATUS_SNAPSHOTS[363]["status"]
    assert r363.assessment_status_demo is False
    assert r363.assessment_status_changed_at is not None


def test_no_recommendation_has_an_implementation_status():
    assert not Recommendation.objects.exclude(implementation_status=None).exists()
    assert not Recommendation.objects.filter(implementation_status_demo=True).exists()


def test_every_priority_is_unknown():
    assert {row["priority"] for row in CATEGORIZATION.values()} == {"unknown"}
    assert Recommendation.objects.filter(priority=Recommendation.Priority.UNKNOWN).count() == 384


#
# Where each fact comes from
#


def _source_urls(row: dict[str, str]) -> set[str]:
    return {url.strip() for url in row["source_url"].split(";") if url.strip()}


def test_every_recorded_fact_has_a_reference_source_with_a_url_or_document():
    sources = {}
    for source in Source.objects.select_related("recommendation"):
        sources.setdefault((source.recommendation.number, source.fact), []).append(source)
    for source_list in sources.values():
        for source in source_list:
            assert source.from_reference_data, source
            assert source.url.strip() or source.document.strip(), source

    def the_source(number, fact):
        found = sources.get((number, fact), [])
        assert found, f"R{number} {fact}: no source"
        return found

    for rec in Recommendation.objects.for_list():
        if rec.cluster_id:
            expected = rec.section.key if rec.section_id else rec.cluster.code
            assert [s.value for s in the_source(rec.number, Source.Fact.PLACEMENT)] == [expected]
        if rec.responsibility:
            (source,) = the_source(rec.number, Source.Fact.RESPONSIBILITY)
            assert source.value == rec.responsibility
        if rec.text:
            (source,) = the_source(rec.number, Source.Fact.TEXT)
            assert source.value == rec.text
        if rec.assessment_status_id:
            (source,) = the_source(rec.number, Source.Fact.ASSESSMENT_STATUS)
            assert source.value == rec.assessment_status.key
        assignments = rec.assignments.all()
        holders = the_source(rec.number, Source.Fact.MANDATE_HOLDER) if assignments else []
        assert sorted(s.value.split(":")[0] for s in holders) == sorted(
            a.mandate_holder.slug for a in rec.assignments.all()
        )


def test_each_reference_source_cites_the_url_of_the_verbatim_source():
    cases = [
        *((n, Source.Fact.PLACEMENT, row) for n, row in PLACED.items()),
        *(
            (n, Source.Fact.RESPONSIBILITY, row)
            for n, row in CATEGORIZATION.items()
            if row["responsibility"]
        ),
        *((n, Source.Fact.TEXT, row) for n, row in TEXTS.items()),
        *((n, Source.Fact.MANDATE_HOLDER, row) for n, row in MANDATE_HOLDERS.items()),
        *((n, Source.Fact.ASSESSMENT_STATUS, row) for n, row in STATUS_SNAPSHOTS.items()),
    ]
    for number, fact, row in cases:
        source = reference_source(number, fact)
        assert set(source.urls) & _source_urls(row), (number, fact)


def test_r363_records_that_no_official_text_was_found():
    source = reference_source(363, Source.Fact.TEXT)
    assert source.value == ""
    assert source.note == TEXTS[363]["note"]
    assert source.note.startswith("No official text found")


#
# Running it again
#


def test_a_second_run_changes_nothing():
    history_before = Recommendation.history.count()
    sources_before = Source.objects.count()
    source_history_before = Source.history.count()

    report = load_reference_data()

    lines = report.lines()
    assert len(lines) == 1
    assert lines[0].startswith("nothing to change")
    assert report.kept == []
    assert not any(report.created.values())
    assert not any(report.changed.values())
    assert Recommendation.history.count() == history_before
    assert Source.objects.count() == sources_before
    assert Source.history.count() == source_history_before


def test_a_reload_keeps_a_responsibility_someone_edited_and_says_so(secretariat_user):
    edit_as_person(14, secretariat_user, responsibility="assembly")

    report = load_reference_data()

    assert Recommendation.objects.get(number=14).responsibility == "assembly"
    assert kept_mentions(report, r"\bR14\b.*responsibility")
    assert any(line.startswith("kept: R14") for line in report.lines())


def test_a_reload_keeps_an_edited_vocabulary_label_and_says_so():
    status = AssessmentStatus.objects.get(key="positively_assessed")
    status.label_en = "Accepted"
    status.save()

    report = load_reference_data()

    status.refresh_from_db()
    assert status.label_en == "Accepted"
    assert kept_mentions(report, r"positively_assessed\b.*label_en")


def test_a_reference_correction_applies_when_nobody_touched_the_field(tmp_path):
    fixtures_dir = copy_fixtures(tmp_path)

    def correct_r14(rows):
        for row in rows:
            if is_fact(row, "R14", "responsibility"):
                row["value"] = "assembly_court"
        return rows

    edit_facts(fixtures_dir, correct_r14)
    history_before = Recommendation.objects.get(number=14).history.count()

    report = load_reference_data(fixtures_dir=fixtures_dir)

    r14 = Recommendation.objects.get(number=14)
    assert r14.responsibility == "assembly_court"
    assert reference_source(14, Source.Fact.RESPONSIBILITY).value == "assembly_court"
    assert not kept_mentions(report, r"\bR14\b")
    assert r14.history.count() == history_before + 1
    assert r14.history.first().history_source == ChangeSource.REFERENCE


def test_a_reference_correction_does_not_override_a_persons_edit(tmp_path, secretariat_user):
    edit_as_person(14, secretariat_user, responsibility="assembly")
    fixtures_dir = copy_fixtures(tmp_path)

    def correct_r14(rows):
        for row in rows:
            if is_fact(row, "R14", "responsibility"):
                row["value"] = "assembly_court"
        return rows

    edit_facts(fixtures_dir, correct_r14)

    report = load_reference_data(fixtures_dir=fixtures_dir)

    assert Recommendation.objects.get(number=14).responsibility == "assembly"
    (line,) = kept_mentions(report, r"\bR14\b")
    assert "assembly_court" in line


def test_a_retracted_fact_is_cleared_when_untouched_and_its_source_deleted(tmp_path):
    fixtures_dir = copy_fixtures(tmp_path)
    edit_facts(
        fixtures_dir,
        lambda rows: [row for row in rows if not is_fact(row, "R6", "responsibility")],
    )
    assert reference_source(6, Source.Fact.RESPONSIBILITY).value == "court"

    load_reference_data(fixtures_dir=fixtures_dir)

    assert Recommendation.objects.get(number=6).responsibility == ""
    assert not Source.objects.filter(
        recommendation__number=6, fact=Source.Fact.RESPONSIBILITY, from_reference_data=True
    ).exists()
    # Only R6 was retracted: R7 keeps what the same source said.
    assert Recommendation.objects.get(number=7).responsibility == "court"


def test_a_retracted_fact_someone_edited_is_kept(tmp_path, secretariat_user):
    edit_as_person(6, secretariat_user, responsibility="assembly")
    fixtures_dir = copy_fixtures(tmp_path)
    edit_facts(
        fixtures_dir,
        lambda rows: [row for row in rows if not is_fact(row, "R6", "responsibility")],
    )

    load_reference_data(fixtures_dir=fixtures_dir)

    assert Recommendation.objects.get(number=6).responsibility == "assembly"


def test_a_new_reference_fact_replaces_a_demonstration_value(tmp_path):
    # Demo data is not "entered by someone": a real fact from the sources must win over it.
    recommendation_update(
        Recommendation.objects.get(number=1),
        changes={"assessment_status": AssessmentStatus.objects.get(key="not_yet_assessed")},
        user=None,
        reason="Demonstration data (manage.py seed_demo): not official",
        source=ChangeSource.DEMO,
    )
    assert Recommendation.objects.get(number=1).assessment_status_demo is True
    fixtures_dir = copy_fixtures(tmp_path)

    def r1_assessed_like_r363(rows):
        (r363,) = [row for row in rows if is_fact(row, "R363", "assessment_status")]
        return [*rows, {**r363, "number": "R1"}]

    edit_facts(fixtures_dir, r1_assessed_like_r363)

    report = load_reference_data(fixtures_dir=fixtures_dir)

    r1 = Recommendation.objects.select_related("assessment_status").get(number=1)
    assert r1.assessment_status.key == "positively_assessed"
    assert r1.assessment_status_demo is False
    assert not kept_mentions(report, r"\bR1\b")


#
# History
#


def test_each_recommendation_was_created_by_the_reference_data():
    creations = Recommendation.history.filter(history_type="+")
    assert sorted(creations.values_list("number", flat=True)) == sorted(ALL_NUMBERS)
    assert set(creations.values_list("history_source", flat=True)) == {ChangeSource.REFERENCE}


def test_r363s_status_change_is_in_the_history_with_its_source_and_reason():
    positively_assessed = AssessmentStatus.objects.get(key="positively_assessed")
    records = Recommendation.history.filter(number=363).order_by("history_date", "history_id")
    first_with_status = records.filter(assessment_status=positively_assessed).first()
    assert first_with_status is not None
    assert first_with_status.history_type == "~"
    assert first_with_status.prev_record is not None
    assert first_with_status.prev_record.assessment_status_id is None
    assert first_with_status.history_source == ChangeSource.REFERENCE
    assert first_with_status.history_change_reason.strip()

"""Demonstration data: flagged, deterministic, removable, and never in place of a real fact."""

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from recommendations.demo import database_is_fresh, demo_remove, demo_seed
from recommendations.models import (
    AssessmentStatus,
    ChangeSource,
    ImplementationStatus,
    MandateAssignment,
    MandateHolder,
    Recommendation,
    parse_recommendation_number,
)
from recommendations.services import Assignment, recommendation_update

pytestmark = pytest.mark.django_db

SOURCES = Path(settings.BASE_DIR) / "fixtures" / "sources"
BANNER = "Demonstration data, not official"


def read_source(name: str) -> list[dict[str, str]]:
    with (SOURCES / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# The real facts the sources give (fixtures/sources/), which demo data must never replace.
REAL_MANDATE_HOLDERS = {
    parse_recommendation_number(row["number"]) for row in read_source("ier-mandate-holders.csv")
}
REAL_STATUSES = {
    parse_recommendation_number(row["recommendation"]): row["status"]
    for row in read_source("ier-status-snapshots.csv")
    if row["recommendation"]
}


def snapshot() -> dict[int, tuple]:
    """Number -> (assessment key, implementation key, sorted (holder slug, role, demo))."""
    return {
        rec.number: (
            rec.assessment_status.key if rec.assessment_status else None,
            rec.implementation_status.key if rec.implementation_status else None,
            sorted((a.mandate_holder.slug, a.role, a.is_demo) for a in rec.assignments.all()),
        )
        for rec in Recommendation.objects.for_list()
    }


def assert_reference_state() -> None:
    """What the reference data alone holds: R363's status, the CBF's three procedural steps."""
    assessed = Recommendation.objects.exclude(assessment_status=None)
    assert [rec.number for rec in assessed] == [363]
    assert assessed[0].assessment_status.label_en.lower() == REAL_STATUSES[363]
    assert assessed[0].assessment_status_demo is False
    assert not Recommendation.objects.exclude(implementation_status=None).exists()
    assignments = MandateAssignment.objects.select_related("recommendation", "mandate_holder")
    assert sorted(
        (a.recommendation.number, a.mandate_holder.abbreviation, a.role, a.is_demo)
        for a in assignments
    ) == [(n, "CBF", MandateAssignment.Role.PROCEDURAL, False) for n in (27, 30, 33)]


def test_the_tests_start_from_the_reference_state():
    # The sources give mandate-holders for R27, R30, R33 and a status for R363 only.
    assert sorted(REAL_MANDATE_HOLDERS) == [27, 30, 33]
    assert sorted(REAL_STATUSES) == [363]
    assert_reference_state()
    assert not Recommendation.objects.with_demo_values().exists()


def test_seeding_flags_every_demo_value():
    empty_before = set(
        Recommendation.objects.filter(assessment_status=None).values_list("number", flat=True)
    )
    assert len(empty_before) == 383

    assert demo_seed() > 0

    recs = {rec.number: rec for rec in Recommendation.objects.for_list()}
    for number in empty_before:
        rec = recs[number]
        assert rec.assessment_status is not None, rec.code
        assert rec.assessment_status_demo is True, rec.code
    for rec in recs.values():
        if rec.implementation_status is not None:
            assert rec.implementation_status_demo is True, rec.code
            assert rec.assessment_status.counts_as_positive, rec.code
        for assignment in rec.assignments.all():
            assert assignment.is_demo is (rec.number not in REAL_MANDATE_HOLDERS), (
                rec.code,
                assignment,
            )
        if rec.number not in REAL_MANDATE_HOLDERS:
            roles = [a.role for a in rec.assignments.all()]
            assert roles.count(MandateAssignment.Role.LEAD) == 1, rec.code


def test_seeding_never_replaces_a_real_fact():
    demo_seed()

    r363 = Recommendation.objects.select_related("assessment_status").get(number=363)
    assert r363.assessment_status.key == "positively_assessed"
    assert r363.assessment_status_demo is False
    for number in sorted(REAL_MANDATE_HOLDERS):
        rec = Recommendation.objects.get(number=number)
        assignments = list(rec.assignments.select_related("mandate_holder"))
        assert [(a.mandate_holder.slug, a.role, a.is_demo) for a in assignments] == [
            ("cbf", MandateAssignment.Role.PROCEDURAL, False)
        ], rec.code


def test_seeding_never_replaces_values_a_person_recorded(secretariat_user):
    # Real values that a random draw could not all reproduce: a status on ten recommendations,
    # and a lead (the ACN) that is not among the demo candidates.
    assessment = AssessmentStatus.objects.get(key="positively_assessed_with_modifications")
    implementation = ImplementationStatus.objects.get(key="not_started")
    acn = MandateHolder.objects.get(slug="acn")
    numbers = range(1, 11)
    for number in numbers:
        recommendation_update(
            Recommendation.objects.get(number=number),
            changes={
                "assessment_status": assessment,
                "implementation_status": implementation,
                "assignments": [Assignment(acn, MandateAssignment.Role.LEAD)],
            },
            user=secretariat_user,
            reason="Recorded from the Matrix",
            source=ChangeSource.ADMIN,
        )

    demo_seed()

    for rec in Recommendation.objects.for_list().filter(number__in=numbers):
        assert rec.assessment_status == assessment, rec.code
        assert rec.assessment_status_demo is False, rec.code
        assert rec.implementation_status == implementation, rec.code
        assert rec.implementation_status_demo is False, rec.code
        assert [(a.mandate_holder.slug, a.role, a.is_demo) for a in rec.assignments.all()] == [
            ("acn", MandateAssignment.Role.LEAD, False)
        ], rec.code


def test_seeding_writes_history_records_marked_demo():
    before = Recommendation.history.filter(history_source=ChangeSource.DEMO).count()

    changed = demo_seed()

    after = Recommendation.history.filter(history_source=ChangeSource.DEMO)
    assert after.count() - before == changed
    assert all(reason.strip() for reason in after.values_list("history_change_reason", flat=True))


def test_seeding_is_deterministic():
    demo_seed()
    first = snapshot()
    demo_remove()
    assert_reference_state()

    demo_seed()

    assert snapshot() == first


def test_a_second_seed_changes_nothing():
    demo_seed()
    first = snapshot()

    assert demo_seed() == 0
    assert snapshot() == first


def test_removal_leaves_no_demo_value_and_restores_the_reference_state():
    demo_seed()
    assert Recommendation.objects.with_demo_values().exists()

    assert demo_remove() > 0

    assert not Recommendation.objects.with_demo_values().exists()
    assert not Recommendation.objects.filter(assessment_status_demo=True).exists()
    assert not Recommendation.objects.filter(implementation_status_demo=True).exists()
    assert not MandateAssignment.objects.filter(is_demo=True).exists()
    assert_reference_state()


def test_removal_keeps_a_real_status_set_over_a_demo_one(secretariat_user):
    demo_seed()
    rec = Recommendation.objects.select_related("assessment_status").get(number=1)
    demo_status = rec.assessment_status
    assert rec.assessment_status_demo is True
    real = AssessmentStatus.objects.exclude(pk=demo_status.pk).first()
    recommendation_update(
        rec,
        changes={"assessment_status": real},
        user=secretariat_user,
        reason="Recorded from the Matrix",
        source=ChangeSource.ADMIN,
    )

    demo_remove()

    rec = Recommendation.objects.get(number=1)
    assert rec.assessment_status == real
    assert rec.assessment_status_demo is False


def test_the_database_is_fresh_on_the_reference_data_only():
    assert database_is_fresh() is True

    demo_seed()

    assert database_is_fresh() is False


def test_seed_demo_if_fresh_seeds_a_fresh_database():
    call_command("seed_demo", if_fresh=True, stdout=StringIO())

    assert Recommendation.objects.with_demo_values().exists()


def test_seed_demo_if_fresh_does_nothing_once_a_person_changed_a_record(secretariat_user):
    recommendation_update(
        Recommendation.objects.get(number=14),
        changes={"responsibility": "assembly"},
        user=secretariat_user,
        reason="Corrected after checking the Matrix",
        source=ChangeSource.ADMIN,
    )
    assert database_is_fresh() is False
    history_before = Recommendation.history.count()

    call_command("seed_demo", if_fresh=True, stdout=StringIO())

    assert not Recommendation.objects.with_demo_values().exists()
    assert Recommendation.history.count() == history_before
    assert_reference_state()


def test_seed_demo_remove_takes_the_demo_data_out():
    call_command("seed_demo", stdout=StringIO())
    assert Recommendation.objects.with_demo_values().exists()

    call_command("seed_demo", remove=True, stdout=StringIO())

    assert not Recommendation.objects.with_demo_values().exists()
    assert_reference_state()


def test_the_banner_shows_on_the_home_page_only_while_demo_data_exists(client):
    assert BANNER not in client.get("/").content.decode()

    demo_seed()
    response = client.get("/")
    assert response.status_code == 200
    assert BANNER in response.content.decode()

    demo_remove()
    assert BANNER not in client.get("/").content.decode()


def test_the_banner_shows_on_the_admin_index_only_while_demo_data_exists(secretariat_client):
    assert BANNER not in secretariat_client.get("/admin/").content.decode()

    demo_seed()
    response = secretariat_client.get("/admin/")
    assert response.status_code == 200
    assert BANNER in response.content.decode()

    demo_remove()
    assert BANNER not in secretariat_client.get("/admin/").content.decode()

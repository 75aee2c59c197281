import pytest
from django.core.exceptions import ValidationError

from recommendations.models import (
    AssessmentStatus,
    ChangeSource,
    Cluster,
    ImplementationStatus,
    MandateAssignment,
    MandateHolder,
    Recommendation,
    Section,
    Topic,
)
from recommendations.services import Assignment, recommendation_update, recommendations_bulk_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def positively():
    return AssessmentStatus.objects.get(key="positively_assessed")


def test_a_status_change_leaves_one_history_record_with_who_when_what_and_why(
    rec, secretariat_user, positively
):
    before = rec(14).history.count()
    changed = recommendation_update(
        rec(14),
        changes={"assessment_status": positively},
        user=secretariat_user,
        reason="Matrix of 1 November 2026",
        source=ChangeSource.ADMIN,
    )
    assert changed == ["assessment_status"]
    record = rec(14).history.first()
    assert rec(14).history.count() == before + 1
    assert record.history_user == secretariat_user
    assert record.history_change_reason == "Matrix of 1 November 2026"
    assert record.history_source == ChangeSource.ADMIN
    delta = record.diff_against(record.prev_record)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [
        ("assessment_status", None, positively.pk)
    ]
    assert rec(14).assessment_status_changed_at is not None


def test_it_requires_a_reason_and_then_changes_nothing(rec, secretariat_user, positively):
    before = rec(14).history.count()
    with pytest.raises(ValidationError) as excinfo:
        recommendation_update(
            rec(14),
            changes={"assessment_status": positively},
            user=secretariat_user,
            reason="  ",
            source=ChangeSource.ADMIN,
        )
    assert "reason" in excinfo.value.message_dict
    assert rec(14).assessment_status is None
    assert rec(14).history.count() == before


def test_an_unchanged_value_writes_nothing(rec, secretariat_user):
    before = rec(6).history.count()
    changed = recommendation_update(
        rec(6),
        changes={"responsibility": Recommendation.Responsibility.COURT},
        user=secretariat_user,
        reason="Confirmed",
        source=ChangeSource.ADMIN,
    )
    assert changed == []
    assert rec(6).history.count() == before


def test_it_refuses_fields_outside_the_service(rec, secretariat_user):
    with pytest.raises(ValueError, match="number"):
        recommendation_update(
            rec(14), changes={"number": 15}, user=secretariat_user, reason="x", source="admin"
        )


def test_a_section_brings_its_cluster(rec, secretariat_user):
    recommendation_update(
        rec(300),
        changes={"section": Section.objects.get(key="I.D.3")},
        user=secretariat_user,
        reason="Placed from the report",
        source=ChangeSource.ADMIN,
    )
    assert rec(300).cluster == Cluster.objects.get(code="I")


def test_an_invalid_change_is_refused_whole(rec, secretariat_user, positively):
    with pytest.raises(ValidationError):
        recommendation_update(
            rec(300),
            changes={
                "assessment_status": positively,
                "cluster": Cluster.objects.get(code="II"),
                "section": Section.objects.get(key="I.A.4"),
            },
            user=secretariat_user,
            reason="Mistake",
            source=ChangeSource.ADMIN,
        )
    assert rec(300).assessment_status is None
    assert rec(300).section is None


def test_assignments_and_topics_are_recorded_with_their_roles(rec, secretariat_user):
    otp = MandateHolder.objects.get(slug="otp")
    registry = MandateHolder.objects.get(slug="registry")
    culture = Topic.objects.get(key="working-culture")
    changed = recommendation_update(
        rec(14),
        changes={
            "assignments": [
                Assignment(otp, MandateAssignment.Role.LEAD),
                Assignment(registry, MandateAssignment.Role.CONTRIBUTING, "staff rules"),
            ],
            "topics": [culture],
        },
        user=secretariat_user,
        reason="Action plan",
        source=ChangeSource.ADMIN,
    )
    assert sorted(changed) == ["mandate_holders", "topics"]
    assert [(a.mandate_holder.slug, a.role, a.note) for a in rec(14).assignments.all()] == [
        ("otp", MandateAssignment.Role.LEAD, ""),
        ("registry", MandateAssignment.Role.CONTRIBUTING, "staff rules"),
    ]
    assert list(rec(14).topics.all()) == [culture]
    # The history record holds the assignments as they were after the change, roles included.
    snapshot = rec(14).history.first().mandate_holders.order_by("role")
    assert [(row.mandate_holder_id, row.role) for row in snapshot] == [
        (otp.pk, MandateAssignment.Role.LEAD),
        (registry.pk, MandateAssignment.Role.CONTRIBUTING),
    ]

    # Changing only a role is a change too.
    recommendation_update(
        rec(14),
        changes={
            "assignments": [
                Assignment(otp, MandateAssignment.Role.CONTRIBUTING),
                Assignment(registry, MandateAssignment.Role.CONTRIBUTING, "staff rules"),
            ]
        },
        user=secretariat_user,
        reason="OTP contributes only",
        source=ChangeSource.ADMIN,
    )
    record = rec(14).history.first()
    assert [c.field for c in record.diff_against(record.prev_record).changes] == ["mandate_holders"]


def test_the_same_mandate_holder_twice_is_refused(rec, secretariat_user):
    otp = MandateHolder.objects.get(slug="otp")
    with pytest.raises(ValidationError):
        recommendation_update(
            rec(14),
            changes={
                "assignments": [
                    Assignment(otp),
                    Assignment(otp, MandateAssignment.Role.CONTRIBUTING),
                ]
            },
            user=secretariat_user,
            reason="x",
            source=ChangeSource.ADMIN,
        )
    assert not rec(14).assignments.exists()


def test_a_real_status_replaces_the_demo_flag(rec, secretariat_user, positively):
    recommendation_update(
        rec(14),
        changes={"assessment_status": positively},
        user=None,
        reason="demo",
        source=ChangeSource.DEMO,
    )
    assert rec(14).assessment_status_demo is True
    negatively = AssessmentStatus.objects.get(key="negatively_assessed")
    recommendation_update(
        rec(14),
        changes={"assessment_status": negatively},
        user=secretariat_user,
        reason="Real record",
        source=ChangeSource.ADMIN,
    )
    assert rec(14).assessment_status_demo is False


def test_bulk_update_counts_only_the_rows_that_changed(rec, secretariat_user):
    in_progress = ImplementationStatus.objects.get(key="in_progress")
    recommendation_update(
        rec(16),
        changes={"implementation_status": in_progress},
        user=secretariat_user,
        reason="x",
        source="admin",
    )
    changed = recommendations_bulk_update(
        Recommendation.objects.filter(number__in=[14, 15, 16]),
        changes={"implementation_status": in_progress},
        user=secretariat_user,
        reason="Bureau decision",
        source=ChangeSource.BULK,
    )
    assert changed == 2
    assert {
        r.implementation_status for r in Recommendation.objects.filter(number__in=[14, 15, 16])
    } == {in_progress}
    assert rec(15).history.first().history_source == ChangeSource.BULK

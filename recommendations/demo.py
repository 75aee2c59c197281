"""Demonstration statuses and mandate-holders, so the pages have something to show.

Deterministic (a fixed random seed), written through the status service with the source
``demo`` (so each value is flagged as demonstration data and a banner says so on every page),
and only where nothing is recorded: a real fact is never replaced by a demo value.
"""

import random

from django.db import transaction

from recommendations.models import (
    AssessmentStatus,
    ChangeSource,
    ImplementationStatus,
    MandateAssignment,
    MandateHolder,
    Recommendation,
)
from recommendations.services import Assignment, recommendation_update

SEED = 20200930  # the date of the final report
SEED_REASON = "Demonstration data (manage.py seed_demo): not official"
REMOVE_REASON = "Demonstration data removed (manage.py seed_demo --remove)"

# Relative weights by vocabulary key; keys the Secretariat has removed are skipped.
ASSESSMENT_WEIGHTS = {
    "positively_assessed": 55,
    "positively_assessed_with_modifications": 30,
    "negatively_assessed": 10,
    "not_yet_assessed": 5,
}
IMPLEMENTATION_WEIGHTS = {
    "not_started": 15,
    "in_progress": 35,
    "partially_implemented": 20,
    "implemented": 20,
    "no_further_action": 10,
}
LEAD_CANDIDATES = [
    "otp",
    "registry",
    "presidency",
    "chambers",
    "bureau",
    "hwg",
    "nywg",
    "cbf",
    "sgg",
]


def _weighted(rng: random.Random, vocabulary: dict, weights: dict):
    keys = [key for key in weights if key in vocabulary]
    if not keys:
        return None
    return vocabulary[rng.choices(keys, weights=[weights[k] for k in keys])[0]]


def demo_seed(*, user=None) -> int:
    """Fill empty statuses and mandate-holder lists with demo values; return how many changed."""
    rng = random.Random(SEED)
    assessments = {s.key: s for s in AssessmentStatus.objects.all()}
    implementations = {s.key: s for s in ImplementationStatus.objects.all()}
    holders = {h.slug: h for h in MandateHolder.objects.filter(slug__in=LEAD_CANDIDATES)}
    lead_slugs = [slug for slug in LEAD_CANDIDATES if slug in holders]
    changed = 0
    with transaction.atomic():
        for rec in Recommendation.objects.select_related("assessment_status").prefetch_related(
            "assignments"
        ):
            # Draw every value for every row, used or not, so that each recommendation's demo
            # values do not depend on which other rows already hold real data.
            assessment = _weighted(rng, assessments, ASSESSMENT_WEIGHTS)
            implementation = _weighted(rng, implementations, IMPLEMENTATION_WEIGHTS)
            lead, contributor = rng.sample(lead_slugs, 2) if len(lead_slugs) > 1 else (None, None)
            with_contributor = rng.random() < 0.3

            changes = {}
            if rec.assessment_status_id is None and assessment is not None:
                changes["assessment_status"] = assessment
            effective = changes.get("assessment_status", rec.assessment_status)
            if (
                rec.implementation_status_id is None
                and implementation is not None
                and effective is not None
                and effective.counts_as_positive
            ):
                changes["implementation_status"] = implementation
            if not rec.assignments.all() and lead:
                changes["assignments"] = [Assignment(holders[lead], MandateAssignment.Role.LEAD)]
                if with_contributor:
                    changes["assignments"].append(
                        Assignment(holders[contributor], MandateAssignment.Role.CONTRIBUTING)
                    )
            if changes and recommendation_update(
                rec, changes=changes, user=user, reason=SEED_REASON, source=ChangeSource.DEMO
            ):
                changed += 1
    return changed


def demo_remove(*, user=None) -> int:
    """Clear every demonstration value (statuses back to not recorded); return how many changed."""
    changed = 0
    with transaction.atomic():
        for rec in Recommendation.objects.with_demo_values().prefetch_related(
            "assignments__mandate_holder"
        ):
            changes = {}
            if rec.assessment_status_demo:
                changes["assessment_status"] = None
            if rec.implementation_status_demo:
                changes["implementation_status"] = None
            if any(a.is_demo for a in rec.assignments.all()):
                changes["assignments"] = [
                    Assignment(a.mandate_holder, a.role, a.note)
                    for a in rec.assignments.all()
                    if not a.is_demo
                ]
            if recommendation_update(
                rec, changes=changes, user=user, reason=REMOVE_REASON, source=ChangeSource.DEMO
            ):
                changed += 1
    return changed


def database_is_fresh() -> bool:
    """True when only the reference loader has ever written (no demo, no human edit)."""
    return not Recommendation.history.exclude(history_source=ChangeSource.REFERENCE).exists()

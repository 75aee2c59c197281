"""Grow the database to what years of use would leave: history records, editions, published
progress updates. For the benchmarks (bench/history.py) and the tests that check a page's
queries do not grow with the history (tests/test_history_scale.py).

Each year, from ``years`` ago to last year:
- ``changes_per_year`` changes through the status service's bulk path
  (``recommendation_update_many``), in rounds dated through the year: implementation and
  assessment statuses, public remarks, and one change in five to the internal remarks only
  (a history record the public timeline does not show);
- ``updates_per_year`` accepted progress updates, published, from the recommendation's
  mandate-holders (written in bulk: the workflow's events are not what is measured);
- an edition published at the year's end, if ``editions``.

The history records are dated after they are written (the service dates them now); the records
already there are dated before the first grown year. Randomness comes from ``seed``: the same
arguments grow the same history.

    .venv/bin/python bench/grow_history.py --years 10     # into the database settings name
"""

import datetime
import random
import sys
from pathlib import Path

if __name__ == "__main__":  # run as a script: Django first
    import os

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iertracker.settings")
    import django

    django.setup()

from django.db import transaction
from django.utils import timezone

from recommendations.models import (
    AssessmentStatus,
    ChangeSource,
    Edition,
    ImplementationStatus,
    MandateAssignment,
    ProgressUpdate,
    Recommendation,
)
from recommendations.services import Update, recommendation_update_many

ROUND = 384  # at most one change per recommendation in a round (one bulk call)


def grow_history(
    years: int = 10,
    *,
    changes_per_year: int = 6000,
    updates_per_year: int = 300,
    editions: bool = True,
    seed: int = 2026,
) -> dict[str, int]:
    """Add ``years`` of history to the database as it is; return what was added."""
    rng = random.Random(seed)
    implementation = list(ImplementationStatus.objects.all())
    assessment = list(AssessmentStatus.objects.all())
    pks = list(Recommendation.objects.order_by("number").values_list("pk", flat=True))
    holders: dict[int, list[int]] = {}
    for rec_id, holder_id in MandateAssignment.objects.values_list(
        "recommendation_id", "mandate_holder_id"
    ):
        holders.setdefault(rec_id, []).append(holder_id)
    with_holders = [pk for pk in pks if pk in holders]
    today = timezone.localdate()
    added = {"history": 0, "updates": 0, "editions": 0}
    history = Recommendation.history
    # What is there already (the reference data's records) was there first: dated before the
    # grown years, in the order it was written.
    first = timezone.make_aware(datetime.datetime(today.year - years - 1, 12, 1, 10))
    history.filter(history_date__gt=first).update(history_date=first)
    for year in range(today.year - years, today.year):
        rounds = max(1, -(-changes_per_year // ROUND))
        for number in range(rounds):
            size = min(ROUND, changes_per_year - number * ROUND)
            day = datetime.date(year, 1, 1) + datetime.timedelta(days=number * 365 // rounds)
            chosen = rng.sample(pks, min(size, len(pks)))
            updates = [_change(pk, rng, implementation, assessment, year, number) for pk in chosen]
            with transaction.atomic():
                last = history.order_by("-history_id").values_list("history_id", flat=True)[:1]
                last_id = last[0] if last else 0
                recommendation_update_many(updates, user=None, source=ChangeSource.IMPORT)
                moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
                added["history"] += history.filter(history_id__gt=last_id).update(
                    history_date=moment
                )
        if with_holders and updates_per_year:
            added["updates"] += len(_published_updates(year, updates_per_year, rng, holders))
        if editions:
            from recommendations.editions import publish_edition

            if not Edition.objects.filter(slug=f"history-{year}").exists():
                publish_edition(title=f"Matrix {year} (bench)", user=None, slug=f"history-{year}")
                added["editions"] += 1
    return added


def _change(pk, rng, implementation, assessment, year, number) -> Update:
    kind = rng.random()
    if kind < 0.2:
        changes = {"internal_remarks": f"Internal note {year}-{number}: checked with the Court."}
    elif kind < 0.5:
        changes = {"implementation_status": rng.choice(implementation)}
    elif kind < 0.7:
        changes = {"assessment_status": rng.choice(assessment)}
    else:
        changes = {"public_remarks": f"Reported to the Assembly in {year} (round {number + 1})."}
    return Update(pk=pk, changes=changes, reason=f"Matrix of {year}, round {number + 1}")


def _published_updates(year, count, rng, holders) -> list[ProgressUpdate]:
    from django.contrib.auth import get_user_model

    author, _created = get_user_model().objects.get_or_create(
        username="bench-focal-point", defaults={"email": "bench@example.org"}
    )
    recommendations = list(holders)
    updates = []
    for index in range(count):
        rec_id = rng.choice(recommendations)
        reviewed = timezone.make_aware(
            datetime.datetime(year, 1, 1, 12) + datetime.timedelta(days=index * 365 // count)
        )
        updates.append(
            ProgressUpdate(
                recommendation_id=rec_id,
                mandate_holder_id=rng.choice(holders[rec_id]),
                author=author,
                period_start=datetime.date(year, 1, 1),
                period_end=datetime.date(year, 12, 31),
                action_taken=f"Action taken in {year}: step {index + 1} of the plan.",
                next_steps="Report at the next session.",
                state=ProgressUpdate.State.ACCEPTED,
                is_public=True,
                may_publish=True,
                submitted_at=reviewed,
                reviewed_at=reviewed,
            )
        )
    return ProgressUpdate.objects.bulk_create(updates)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--changes-per-year", type=int, default=6000)
    parser.add_argument("--updates-per-year", type=int, default=300)
    parser.add_argument("--no-editions", action="store_true")
    arguments = parser.parse_args()
    print(
        grow_history(
            arguments.years,
            changes_per_year=arguments.changes_per_year,
            updates_per_year=arguments.updates_per_year,
            editions=not arguments.no_editions,
        )
    )

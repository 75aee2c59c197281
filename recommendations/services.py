"""The write path: every change to a recommendation goes through ``recommendation_update``.

The admin form, the bulk action, the reference loader, the demo seeder (and later the import
and the focal points' updates) all call it, so each change is validated the same way, saved in
one transaction and leaves one history record with who, when, what changed, why and through
which path (``ChangeSource``).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recommendations import caching
from recommendations.history import mark_public_changes
from recommendations.models import (
    ChangeSource,
    MandateAssignment,
    MandateHolder,
    Recommendation,
)

# Plain fields and foreign keys that a change may set.
UPDATABLE_FIELDS = (
    "short_title",
    "short_title_fr",
    "text",
    "text_fr",
    "cluster",
    "section",
    "responsibility",
    "priority",
    "assessment_status",
    "implementation_status",
    "public_remarks",
    "internal_remarks",
)
# Status fields, with the columns that say when each last changed and whether it is demo data.
STATUS_FIELDS = {
    "assessment_status": ("assessment_status_changed_at", "assessment_status_demo"),
    "implementation_status": ("implementation_status_changed_at", "implementation_status_demo"),
}


@dataclass(frozen=True)
class Assignment:
    """A mandate-holder's place on a recommendation, as callers describe it."""

    mandate_holder: MandateHolder
    role: int = MandateAssignment.Role.LEAD
    note: str = ""


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Give a reason for the change: it is kept in the history.")}
        )
    return reason


def _stamp(
    recommendation: Recommendation, *, user, reason: str, source: str, progress_update=None
) -> None:
    """What the next history record of this instance will carry (see apps.py)."""
    recommendation._history_user = user
    recommendation._change_reason = reason
    recommendation._history_source = source
    recommendation._history_progress_update = progress_update


def recommendation_create(
    *, number: int, user: AbstractBaseUser | None, reason: str, source: str
) -> Recommendation:
    """Create the (empty) record of a recommendation number; facts are added by updates."""
    recommendation = Recommendation(number=number)
    recommendation.full_clean()
    _stamp(recommendation, user=user, reason=_require_reason(reason), source=source)
    recommendation.save()
    return recommendation


def recommendation_update(
    recommendation: Recommendation | int,
    *,
    changes: Mapping[str, Any],
    user: AbstractBaseUser | None,
    reason: str,
    source: str,
    progress_update=None,
    expected_version: int | None = None,
) -> list[str]:
    """Apply ``changes`` to one recommendation and record them; return the changed field names.

    ``changes`` maps field names from UPDATABLE_FIELDS to new values (model instances or None
    for foreign keys), plus optionally ``topics`` (an iterable of Topic) and ``assignments``
    (an iterable of Assignment: the complete new list). Values equal to the current ones are
    ignored; if nothing changes, nothing is written and no history record is made.

    Setting a section sets the cluster to the section's cluster. A status named through any
    path but the demo seeder is real data: naming the current demonstration value confirms it
    (its flag is cleared), so callers pass only what the person or the source asserts.

    ``progress_update``: the focal point's update the change applies, kept on the history
    record (``ChangeSource.UPDATE``).

    ``expected_version``: the record's version (``current_version``) when the person opened
    it. If someone changed it since, nothing is written and a ValidationError says what
    changed: two people can never silently overwrite each other.
    """
    reason = _require_reason(reason)
    unknown = set(changes) - set(UPDATABLE_FIELDS) - {"topics", "assignments"}
    if unknown:
        raise ValueError(f"Not an updatable field: {', '.join(sorted(unknown))}")
    changes = _with_cluster(changes)

    pk = recommendation.pk if isinstance(recommendation, Recommendation) else recommendation
    with transaction.atomic():
        current = Recommendation.objects.select_for_update().get(pk=pk)
        if expected_version is not None:
            refuse_if_changed_since(current, expected_version)
        changed = _changed_fields(current, changes, source)
        for name in changed:
            setattr(current, name, changes[name])
        now = timezone.now()
        for name in changed:
            if name in STATUS_FIELDS:
                changed_at, demo_flag = STATUS_FIELDS[name]
                setattr(current, changed_at, now)
                setattr(
                    current, demo_flag, source == ChangeSource.DEMO and changes[name] is not None
                )

        new_topics = None
        if "topics" in changes:
            new_topics = {topic.pk for topic in changes["topics"]}
            if new_topics != set(current.topics.values_list("pk", flat=True)):
                changed.append("topics")
        new_assignments = None
        if "assignments" in changes:
            new_assignments = _assignment_rows(current, changes["assignments"], source)
            if new_assignments is not None:
                changed.append("mandate_holders")

        if not changed:
            return []
        # Validate what changed (clean() checks the placement as a whole); the number, its
        # uniqueness and its range cannot change here.
        unchanged = [f.name for f in Recommendation._meta.fields if f.name not in changed]
        current.full_clean(exclude=unchanged, validate_unique=False, validate_constraints=False)
        # The m2m rows are written before the save so that the history record made by the
        # save holds their new state (simple-history snapshots m2m rows on each record).
        if new_topics is not None and "topics" in changed:
            through = Recommendation.topics.through
            through.objects.filter(recommendation=current).delete()
            through.objects.bulk_create(
                through(recommendation=current, topic_id=topic_id) for topic_id in new_topics
            )
        if new_assignments is not None:
            MandateAssignment.objects.filter(recommendation=current).delete()
            MandateAssignment.objects.bulk_create(new_assignments)
        _stamp(current, user=user, reason=reason, source=source, progress_update=progress_update)
        current.save()

    if isinstance(recommendation, Recommendation):
        recommendation.refresh_from_db()
    return changed


def recommendations_bulk_update(
    recommendations: Iterable[Recommendation],
    *,
    changes: Mapping[str, Any],
    user: AbstractBaseUser | None,
    reason: str,
    source: str,
) -> int:
    """Apply the same changes to several recommendations, all or none; return how many changed."""
    _require_reason(reason)
    with transaction.atomic():
        return sum(
            1
            for recommendation in recommendations
            if recommendation_update(
                recommendation, changes=changes, user=user, reason=reason, source=source
            )
        )


@dataclass(frozen=True)
class Update:
    """One recommendation's changes in ``recommendation_update_many``."""

    pk: int
    changes: Mapping[str, Any]
    reason: str
    # The day each status took effect, when the source says (an imported date column).
    since: Mapping[str, datetime.date] = field(default_factory=dict)


def recommendation_update_many(
    updates: Iterable[Update], *, user: AbstractBaseUser | None, source: str
) -> list[int]:
    """``recommendation_update`` for many recommendations at once, in a fixed number of queries
    whatever their number; return the pks that changed. All or nothing.

    The same rules as one by one (equal values ignored, a named demonstration status
    confirmed, setting a section sets its cluster, a history record per changed
    recommendation with who, why and the path, the mandate-holder snapshot with it), written
    with ``bulk_update`` and ``bulk_create``. A status with a day of its own (``since``) gets a
    record of its own first, holding that change only, with the day it took effect. A value the
    model refuses raises ValidationError naming the recommendation, before anything is written.
    """
    updates = list(updates)
    for update in updates:
        _require_reason(update.reason)
        unknown = set(update.changes) - set(UPDATABLE_FIELDS) - {"assignments"}
        if unknown:
            raise ValueError(f"Not an updatable field: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        current = Recommendation.objects.select_for_update().in_bulk([u.pk for u in updates])
        assignments = defaultdict(list)
        for row in MandateAssignment.objects.filter(recommendation__in=list(current)):
            assignments[row.recommendation_id].append(row)
        now = timezone.now()
        written: dict[int, Recommendation] = {}
        fields: set[str] = set()
        new_rows: list[MandateAssignment] = []
        replaced: list[int] = []  # recommendations whose assignments are rewritten
        snapshots: list[_Snapshot] = []
        tracked = Recommendation.history.model.tracked_fields
        for update in updates:
            recommendation = current[update.pk]
            before = {f.attname: getattr(recommendation, f.attname) for f in tracked}
            old_rows = assignments[update.pk]
            changes = _with_cluster(update.changes)
            changed = _changed_fields(recommendation, changes, source)
            for name in changed:
                setattr(recommendation, name, changes[name])
                if name in STATUS_FIELDS:
                    changed_at, demo_flag = STATUS_FIELDS[name]
                    day = update.since.get(name)
                    setattr(
                        recommendation,
                        changed_at,
                        timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
                        if day
                        else now,
                    )
                    setattr(recommendation, demo_flag, False)
                    fields.update((changed_at, demo_flag))
            recommendation._prefetched_objects_cache = {"assignments": old_rows}
            rows = (
                _assignment_rows(recommendation, changes["assignments"], source)
                if "assignments" in changes
                else None
            )
            if not changed and rows is None:
                continue
            # Plain fields are checked here; foreign keys come as instances from the database.
            plain = [
                name for name in changed if not Recommendation._meta.get_field(name).is_relation
            ]
            excluded = [f.name for f in Recommendation._meta.fields if f.name not in plain]
            try:
                recommendation.clean_fields(exclude=excluded)
                if "section" in changed or "cluster" in changed:
                    recommendation.clean()
            except ValidationError as error:
                raise ValidationError(
                    f"{recommendation.code}: {' '.join(error.messages)}"
                ) from error
            if rows is not None:
                assignments[update.pk] = rows
                new_rows += rows
                replaced.append(update.pk)
            fields.update(changed)
            recommendation.updated_at = now
            _stamp(recommendation, user=user, reason=update.reason, source=source)
            written[update.pk] = recommendation
            # A status that took effect on a day of its own gets a history record of its own,
            # holding that change only, so that the record as of that day shows nothing else
            # of this update (a new text, other holders).
            dated = [name for name in changed if name in STATUS_FIELDS and update.since.get(name)]
            undated = [name for name in changed if name not in dated]
            if dated:
                effective = max(update.since[name] for name in dated)
                if undated or rows is not None:
                    earlier = {}
                    for name in undated:
                        attname = Recommendation._meta.get_field(name).attname
                        earlier[attname] = before[attname]
                        if name in STATUS_FIELDS:  # and whether it was demonstration data
                            earlier[STATUS_FIELDS[name][1]] = before[STATUS_FIELDS[name][1]]
                    snapshots.append(_Snapshot(recommendation, old_rows, effective, earlier))
                    snapshots.append(_Snapshot(recommendation, assignments[update.pk]))
                else:
                    snapshots.append(_Snapshot(recommendation, assignments[update.pk], effective))
            else:
                snapshots.append(_Snapshot(recommendation, assignments[update.pk]))
        if not written:
            return []
        caching.changed()  # the writes below send no signal
        Recommendation.objects.bulk_update(
            list(written.values()), sorted(fields | {"updated_at"}), batch_size=500
        )
        if replaced:
            MandateAssignment.objects.filter(recommendation__in=replaced).delete()
            MandateAssignment.objects.bulk_create(new_rows)
        _bulk_history(snapshots, now)
    return list(written)


@dataclass
class _Snapshot:
    """One history record to write: the record's state (``earlier`` overrides some of its
    columns with their values before the update), its mandate-holders, and the day it took
    effect if its source says."""

    recommendation: Recommendation
    holders: list[MandateAssignment]
    effective: datetime.date | None = None
    earlier: dict[str, Any] = field(default_factory=dict)


def _bulk_history(snapshots: list[_Snapshot], now) -> None:
    """The history records, with their topics and mandate-holders snapshot (what
    simple-history's post-save handler writes for one save, here in bulk)."""
    from django.apps import apps

    history_model = Recommendation.history.model
    tracked = history_model.tracked_fields
    records = [
        history_model(
            history_date=now,
            history_user=s.recommendation._history_user,
            history_change_reason=s.recommendation._change_reason,
            history_type="~",
            history_source=s.recommendation._history_source,
            history_effective_date=s.effective,
            **{
                f.attname: s.earlier.get(f.attname, getattr(s.recommendation, f.attname))
                for f in tracked
            },
        )
        for s in snapshots
    ]
    # PostgreSQL and SQLite (3.35+) return the new ids, which the snapshots refer to.
    records = history_model.objects.bulk_create(records)  # batches only as the database needs
    holders_model = apps.get_model("recommendations", "HistoricalMandateAssignment")
    topics_model = apps.get_model("recommendations", "HistoricalRecommendation_topics")
    through = Recommendation.topics.through
    topics = defaultdict(list)
    for row in through.objects.filter(recommendation__in={s.recommendation.pk for s in snapshots}):
        topics[row.recommendation_id].append(row)
    topics_model.objects.bulk_create(
        [
            topics_model(
                history=record, id=row.id, recommendation_id=row.recommendation_id,
                topic_id=row.topic_id,
            )
            for record, s in zip(records, snapshots, strict=True)
            for row in topics[s.recommendation.pk]
        ],
    )  # fmt: skip
    holders_model.objects.bulk_create(
        [
            holders_model(
                history=record,
                **{f.attname: getattr(row, f.attname) for f in MandateAssignment._meta.fields},
            )
            for record, s in zip(records, snapshots, strict=True)
            for row in s.holders
        ],
    )
    mark_public_changes([record.history_id for record in records])


def _with_cluster(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Setting a section sets the cluster to the section's cluster."""
    changes = dict(changes)
    if changes.get("section") is not None and "cluster" not in changes:
        changes["cluster"] = changes["section"].cluster
    return changes


def _changed_fields(current: Recommendation, changes: Mapping[str, Any], source: str) -> list:
    """The plain fields and foreign keys in ``changes`` whose value differs from the record's."""
    return [
        name
        for name in UPDATABLE_FIELDS
        if name in changes and _differs(current, name, changes[name], source)
    ]


def _differs(current: Recommendation, name: str, value: Any, source: str) -> bool:
    field = Recommendation._meta.get_field(name)
    if field.is_relation:
        differs = getattr(current, field.attname) != (value.pk if value is not None else None)
    else:
        differs = getattr(current, name) != value
    if not differs and name in STATUS_FIELDS and value is not None and source != ChangeSource.DEMO:
        # Any other path naming the demonstration value confirms it: it becomes real data.
        return getattr(current, STATUS_FIELDS[name][1])
    return differs


def _assignment_rows(
    current: Recommendation, assignments: Iterable[Assignment], source: str
) -> list[MandateAssignment] | None:
    """The new assignment rows, or None when they equal the current ones.

    Rows written by any path but the demo seeder are real data: a caller that passes the
    assignments asserts the whole list (demonstration rows it leaves out are dropped). The
    demo seeder flags the rows it adds and leaves the flags of the others as they were.
    """
    existing = {
        (row.mandate_holder_id, row.role, row.note): row.is_demo
        for row in current.assignments.all()
    }
    wanted: dict[int, Assignment] = {}
    for assignment in assignments:
        if assignment.mandate_holder.pk in wanted:
            raise ValidationError(
                {
                    "mandate_holders": _("%(holder)s is listed twice.")
                    % {"holder": assignment.mandate_holder}
                }
            )
        wanted[assignment.mandate_holder.pk] = assignment
    rows = {(a.mandate_holder.pk, int(a.role), a.note or ""): a for a in wanted.values()}
    flags = {key: existing.get(key, True) if source == ChangeSource.DEMO else False for key in rows}
    if flags == existing:
        return None
    return [
        MandateAssignment(
            recommendation=current,
            mandate_holder=a.mandate_holder,
            role=a.role,
            note=a.note or "",
            is_demo=flags[key],
        )
        for key, a in rows.items()
    ]


def current_version(recommendation: Recommendation | int) -> int:
    """The id of the recommendation's latest history record: its version for optimistic
    locking (0 when it has none)."""
    pk = recommendation.pk if isinstance(recommendation, Recommendation) else recommendation
    latest = (
        Recommendation.history.filter(id=pk)
        .order_by("-history_id")
        .values_list("history_id", flat=True)
        .first()
    )
    return latest or 0


def changes_since(recommendation: Recommendation, version: int) -> list[str]:
    """What was changed after ``version``: one line per later history record."""
    records = list(
        recommendation.history.filter(history_id__gt=version)
        .select_related("history_user")
        .order_by("history_id")
    )
    lines = []
    for record in records:
        previous = record.prev_record
        fields = (
            sorted(change.field for change in record.diff_against(previous).changes)
            if previous is not None
            else []
        )
        labels = ", ".join(
            str(Recommendation._meta.get_field(name).verbose_name) for name in fields
        )
        lines.append(
            _("%(when)s by %(who)s: %(fields)s (%(reason)s)")
            % {
                "when": timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M"),
                "who": record.history_user or _("an automatic path"),
                "fields": labels or _("no field"),
                "reason": record.history_change_reason or "",
            }
        )
    return lines


def refuse_if_changed_since(recommendation: Recommendation, version: int) -> None:
    """Raise a ValidationError saying what changed if the record moved past ``version``.

    The row is locked first, until the caller's transaction ends: two people saving from the
    same version at the same moment are taken one after the other, and the second is told
    what the first changed (a check without the lock let both pass it, and the second then
    failed inside its write).
    """
    Recommendation.objects.select_for_update().filter(pk=recommendation.pk).exists()
    if current_version(recommendation) != version:
        raise ValidationError(
            _(
                "%(code)s was changed by someone else after you opened it, so your changes were "
                "not saved: %(changes)s. Open it again to see the current record, then make "
                "your changes."
            )
            % {
                "code": recommendation.code,
                "changes": "; ".join(changes_since(recommendation, version)),
            }
        )

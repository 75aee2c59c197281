"""A recommendation's public timeline, read from its simple-history records.

Public means: the fields the public pages show (never internal remarks or the demo flags),
no staff names, and no entries from the demonstration seeder. The focal points' updates the
Secretariat published join it: with the status change they brought, or on their own. Four
queries whatever the length of the history: the records (with their foreign keys), the two
many-to-many snapshots (topics, mandate-holders), and the published updates.

``public_changes`` gives the same entries across many recommendations (the Atom feeds), newest
first, in a fixed number of queries whatever the number of records and recommendations.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.db.models import Q, QuerySet
from django.db.models.functions import MD5
from django.utils.translation import gettext_lazy as _

from recommendations.models import (
    NOT_YET_RECORDED,
    ChangeSource,
    MandateAssignment,
    ProgressUpdate,
    Recommendation,
)

# (field, label, is long text) in the order the timeline lists changes.
PUBLIC_FIELDS = [
    ("short_title", _("Short title"), False),
    ("short_title_fr", _("Short title in French"), False),
    ("text", _("Text"), True),
    ("text_fr", _("Text in French"), True),
    ("cluster", _("Cluster"), False),
    ("section", _("Section"), False),
    ("responsibility", _("Responsibility"), False),
    ("priority", _("Priority (report annex I)"), False),
    ("assessment_status", _("Assessment status"), False),
    ("implementation_status", _("Implementation status"), False),
    ("mandate_holders", _("Mandate-holders"), False),
    ("topics", _("Topics"), False),
    ("public_remarks", _("Public remarks"), True),
]


@dataclass
class Change:
    label: str
    old: str
    new: str
    long: bool


@dataclass
class Entry:
    date: datetime
    source: str
    reason: str
    is_creation: bool
    changes: list[Change] = field(default_factory=list)
    update: ProgressUpdate | None = None  # a published update from a focal point


def _display(record, name: str, holders: dict, topics: dict) -> str:
    if name == "mandate_holders":
        rows = holders.get(record.history_id, [])
        return ", ".join(
            f"{row.mandate_holder.short_name} ({MandateAssignment.Role(row.role).label.lower()})"
            for row in sorted(rows, key=lambda row: (row.role, row.mandate_holder.name))
        )
    if name == "topics":
        return ", ".join(sorted(str(row.topic) for row in topics.get(record.history_id, [])))
    if name in ("responsibility", "priority"):
        value = getattr(record, name)
        if not value or (name == "priority" and value == Recommendation.Priority.UNKNOWN):
            return ""
        return str(getattr(record, f"get_{name}_display")())
    if name in ("cluster", "section", "assessment_status", "implementation_status"):
        related = getattr(record, name)
        return str(related) if related is not None else ""
    return getattr(record, name) or ""


def snapshots(ids) -> tuple[dict, dict]:
    """The mandate-holder and topic rows of the history records ``ids``: two queries."""
    holders, topics = defaultdict(list), defaultdict(list)
    holder_model = apps.get_model("recommendations", "HistoricalMandateAssignment")
    topic_model = apps.get_model("recommendations", "HistoricalRecommendation_topics")
    for row in holder_model.objects.filter(history_id__in=ids).select_related("mandate_holder"):
        holders[row.history_id].append(row)
    for row in topic_model.objects.filter(history_id__in=ids).select_related("topic"):
        topics[row.history_id].append(row)
    return holders, topics


def _state(record, holders: dict, topics: dict) -> dict[str, str]:
    """What the public pages show of ``record``: each public field as text."""
    return {name: _display(record, name, holders, topics) for name, *_rest in PUBLIC_FIELDS}


def _changes(previous: dict[str, str], current: dict[str, str]) -> list[Change]:
    return [
        Change(
            label=str(label),
            old=previous[name] or str(NOT_YET_RECORDED),
            new=current[name] or str(NOT_YET_RECORDED),
            long=long,
        )
        for name, label, long in PUBLIC_FIELDS
        if current[name] != previous[name]
    ]


def public_timeline(recommendation: Recommendation) -> list[Entry]:
    """The public changes to ``recommendation``, newest first."""
    records = list(
        recommendation.history.select_related(
            "cluster", "section", "assessment_status", "implementation_status"
        ).order_by("history_date", "history_id")
    )
    holders, topics = snapshots([record.history_id for record in records])

    published = {
        update.pk: update
        for update in ProgressUpdate.objects.published()
        .for_display()
        .filter(recommendation=recommendation)
    }
    entries = []
    previous: dict[str, str] = {name: "" for name, _label, _long in PUBLIC_FIELDS}
    for record in records:
        current = _state(record, holders, topics)
        changes = _changes(previous, current)
        previous = current
        creation = record.history_type == "+"
        if record.history_source == ChangeSource.DEMO or not (changes or creation):
            continue
        entries.append(
            Entry(
                date=record.history_date,
                source=record.get_history_source_display(),
                reason=record.history_change_reason or "",
                is_creation=creation,
                changes=changes,
                update=published.pop(record.history_progress_update_id, None),
            )
        )
    # Published updates that changed no status stand on their own.
    source = ChangeSource.UPDATE.label
    entries.extend(
        Entry(
            date=update.reviewed_at, source=str(source), reason="", is_creation=False, update=update
        )
        for update in published.values()
    )
    entries.sort(key=lambda entry: entry.date)  # stable: ties keep the records' order
    return entries[::-1]


#
# Across many recommendations: the Atom feeds
#

# The columns that decide whether a record changed a public field: the public fields as the
# records store them, long texts by their digest (what the timeline shows of a record is a
# function of these and of its two many-to-many snapshots).
_COMPARED_COLUMNS = (
    "short_title",
    "short_title_fr",
    MD5("text"),
    MD5("text_fr"),
    "cluster_id",
    "section_id",
    "responsibility",
    "priority",
    "assessment_status_id",
    "implementation_status_id",
    MD5("public_remarks"),
)


@dataclass
class PublicChange:
    """An entry of a recommendation's public timeline, with the recommendation it is about."""

    code: str  # "R14"
    key: str  # "change-<history record>" or "update-<update>": unique in the tracker, stable
    entry: Entry


@dataclass
class _Candidate:
    date: datetime
    kind: int  # 0 a history record, 1 a published update on its own (after records, as above)
    pk: int
    previous: int | None = None  # the record before it, of the same recommendation
    update: int | None = None  # the update the record applied

    @property
    def order(self) -> tuple:
        return (self.date, self.kind, self.pk)


def public_changes(
    recommendations: QuerySet | None = None, *, updates: Q | None = None, limit: int = 50
) -> list[PublicChange]:
    """The newest ``limit`` entries of the public timelines of ``recommendations`` (a queryset
    of Recommendation; None for all), newest first, each as ``public_timeline`` gives it.

    ``updates`` says which published updates are in (a condition on ProgressUpdate); by default
    those on ``recommendations``. An update that changed a status is part of that change's
    entry, as on the recommendation's page; one that changed nothing has its own entry.

    Eight queries whatever the number of records: first what decides which records are public
    changes, for every record in scope (their compared columns, the two many-to-many snapshots
    as ids, the published updates' dates); then, for the ``limit`` newest entries only, the
    records and the ones before them (with their foreign keys), their snapshots, and the updates.
    """
    records = Recommendation.history.all()
    if recommendations is not None:
        records = records.filter(id__in=recommendations.values("pk"))
    if updates is None:
        updates = Q() if recommendations is None else Q(recommendation__in=recommendations)
    # The snapshots as ids: equal ids show the same (see _display: the note and the demo flag
    # of an assignment are not shown).
    in_scope = {} if recommendations is None else {"history__id__in": recommendations.values("pk")}
    holder_model = apps.get_model("recommendations", "HistoricalMandateAssignment")
    topic_model = apps.get_model("recommendations", "HistoricalRecommendation_topics")
    holder_ids, topic_ids = defaultdict(set), defaultdict(set)
    for history_id, *holder in holder_model.objects.filter(**in_scope).values_list(
        "history_id", "mandate_holder_id", "role"
    ):
        holder_ids[history_id].add(tuple(holder))
    for history_id, topic_id in topic_model.objects.filter(**in_scope).values_list(
        "history_id", "topic_id"
    ):
        topic_ids[history_id].add(topic_id)

    candidates: list[_Candidate] = []
    recommendation_id, previous, previous_state = None, None, None
    for history_id, rec_id, date, history_type, source, update_id, *columns in records.order_by(
        "id", "history_date", "history_id"
    ).values_list(
        "history_id",
        "id",
        "history_date",
        "history_type",
        "history_source",
        "history_progress_update_id",
        *_COMPARED_COLUMNS,
    ):
        if rec_id != recommendation_id:
            recommendation_id, previous, previous_state = rec_id, None, None
        state = (columns, holder_ids[history_id], topic_ids[history_id])
        if source != ChangeSource.DEMO and (history_type == "+" or state != previous_state):
            candidates.append(_Candidate(date, 0, history_id, previous, update_id))
        previous, previous_state = history_id, state

    attached = {candidate.update for candidate in candidates if candidate.update}
    published = ProgressUpdate.objects.published().filter(updates, reviewed_at__isnull=False)
    candidates += [
        _Candidate(reviewed_at, 1, pk)
        for pk, reviewed_at in published.values_list("pk", "reviewed_at")
        if pk not in attached
    ]
    chosen = sorted(candidates, key=lambda candidate: candidate.order, reverse=True)[:limit]

    wanted = {c.pk for c in chosen if not c.kind} | {c.previous for c in chosen if c.previous}
    full = {
        record.history_id: record
        for record in Recommendation.history.filter(history_id__in=wanted).select_related(
            "cluster", "section", "assessment_status", "implementation_status"
        )
    }
    holders, topics = snapshots(wanted)
    update_ids = {c.pk if c.kind else c.update for c in chosen} - {None}
    shown = {
        update.pk: update for update in published.for_display().filter(pk__in=update_ids).order_by()
    }

    changes = []
    empty = {name: "" for name, _label, _long in PUBLIC_FIELDS}
    for candidate in chosen:
        if candidate.kind:
            update = shown.get(candidate.pk)
            if update is not None:
                changes.append(_update_on_its_own(update))
            continue
        record = full.get(candidate.pk)
        if record is None:  # deleted since the first query
            continue
        before = full.get(candidate.previous)
        previous_state = empty if before is None else _state(before, holders, topics)
        diff = _changes(previous_state, _state(record, holders, topics))
        update = shown.get(candidate.update)
        creation = record.history_type == "+"
        if not (diff or creation):
            # Different ids that read the same (two topics of one name): no change to show.
            if update is not None:
                changes.append(_update_on_its_own(update))
            continue
        entry = Entry(
            date=record.history_date,
            source=record.get_history_source_display(),
            reason=record.history_change_reason or "",
            is_creation=creation,
            changes=diff,
            update=update,
        )
        changes.append(PublicChange(f"R{record.number}", f"change-{record.history_id}", entry))
    return changes


def _update_on_its_own(update: ProgressUpdate) -> PublicChange:
    entry = Entry(
        date=update.reviewed_at,
        source=str(ChangeSource.UPDATE.label),
        reason="",
        is_creation=False,
        update=update,
    )
    return PublicChange(update.recommendation.code, f"update-{update.pk}", entry)

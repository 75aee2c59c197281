"""A recommendation's public timeline, read from its simple-history records.

Public means: the fields the public pages show (never internal remarks or the demo flags),
no staff names, and no entries from the demonstration seeder. The focal points' updates the
Secretariat published join it: with the status change they brought, or on their own.

Whether a history record is a public change is decided once, when it is written
(``mark_public_changes``), and stored on it (``history_public_change``): the timelines then read
only the newest public records, by index, a page at a time, in a fixed number of queries
however long the history. ``public_timeline`` gives one recommendation's (paged on its page and
in the API), ``public_changes`` the newest across many (the Atom feeds).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.apps import apps
from django.db.models import OuterRef, Q, QuerySet, Subquery
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


#
# Which records are public changes
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


def _is_public(history_type: str, source: str, state, before) -> bool:
    """Whether a record with ``state`` after one with ``before`` (None: the first) is a change
    the public sees."""
    return source != ChangeSource.DEMO and (history_type == "+" or state != before)


def _models(registry):
    return (
        registry.get_model("recommendations", "HistoricalRecommendation"),
        registry.get_model("recommendations", "HistoricalMandateAssignment"),
        registry.get_model("recommendations", "HistoricalRecommendation_topics"),
    )


def _compared_states(condition: Q, registry=apps) -> dict[int, tuple]:
    """What decides whether a record is a public change, for the records that meet
    ``condition``, by history id: the compared columns and the two snapshots as ids (equal ids
    show the same; see _display: the note and the demo flag of an assignment are not shown).
    Three queries."""
    history, holder_model, topic_model = _models(registry)
    in_history = Q(history__in=history._default_manager.filter(condition).values("history_id"))
    holder_ids, topic_ids = defaultdict(set), defaultdict(set)
    for history_id, *holder in holder_model._default_manager.filter(in_history).values_list(
        "history_id", "mandate_holder_id", "role"
    ):
        holder_ids[history_id].add(tuple(holder))
    for history_id, topic_id in topic_model._default_manager.filter(in_history).values_list(
        "history_id", "topic_id"
    ):
        topic_ids[history_id].add(topic_id)
    return {
        history_id: (tuple(columns), frozenset(holder_ids[history_id]), topic_ids[history_id])
        for history_id, *columns in history._default_manager.filter(condition).values_list(
            "history_id", *_COMPARED_COLUMNS
        )
    }


def _record_before(history_model) -> Subquery:
    """The id of the record before the outer one, of the same recommendation."""
    earlier = Q(history_date__lt=OuterRef("history_date")) | Q(
        history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id")
    )
    return Subquery(
        history_model._default_manager.filter(earlier, id=OuterRef("id"))
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )


def mark_public_changes(history_ids) -> None:
    """Set ``history_public_change`` on the new history records ``history_ids`` (of
    Recommendation), once they and their snapshots are written: against the record before each.
    The single save's signal and the status service's bulk path call it; six queries."""
    history = Recommendation.history.model
    rows = list(
        history._default_manager.filter(history_id__in=history_ids)
        .annotate(before=_record_before(history))
        .values_list("history_id", "before", "history_type", "history_source")
    )
    wanted = {pk for pk, *_rest in rows} | {before for _pk, before, *_rest in rows if before}
    states = _compared_states(Q(history_id__in=wanted))
    public = [
        pk
        for pk, before, history_type, source in rows
        if _is_public(history_type, source, states.get(pk), states.get(before))
    ]
    if public:
        history._default_manager.filter(history_id__in=public).update(history_public_change=True)


def mark_all_public_changes(registry=apps, *, batch: int = 50) -> None:
    """Set ``history_public_change`` on every record of every recommendation, in order, a batch
    of recommendations at a time (the migration that added the column)."""
    history = _models(registry)[0]
    recommendation_ids = sorted(set(history._default_manager.values_list("id", flat=True)))
    for start in range(0, len(recommendation_ids), batch):
        chunk = recommendation_ids[start : start + batch]
        states = _compared_states(Q(id__in=chunk), registry)
        public, recommendation_id, before = [], None, None
        for pk, rec_id, history_type, source in (
            history._default_manager.filter(id__in=chunk)
            .order_by("id", "history_date", "history_id")
            .values_list("history_id", "id", "history_type", "history_source")
        ):
            if rec_id != recommendation_id:
                recommendation_id, before = rec_id, None
            if _is_public(history_type, source, states[pk], before):
                public.append(pk)
            before = states[pk]
        history._default_manager.filter(id__in=chunk).update(history_public_change=False)
        history._default_manager.filter(history_id__in=public).update(history_public_change=True)


@dataclass
class PublicChange:
    """An entry of a recommendation's public timeline, with the recommendation it is about."""

    code: str  # "R14"
    key: str  # "change-<history record>" or "update-<update>": unique in the tracker, stable
    entry: Entry


def _newest(records: QuerySet, updates: QuerySet, start: int, stop: int) -> list[PublicChange]:
    """Entries ``start`` to ``stop`` (newest first) of the public timeline made of the history
    ``records`` (of Recommendation) and the published ``updates``: the records that are public
    changes, with the update each applied, and the updates that stand on their own (no public
    change applied them).

    Six queries whatever the length of the history: the newest ``stop`` keys of each kind
    (read in the database by index), then for the entries shown only, their records with the
    records before them, the two snapshots, and the updates."""
    history = Recommendation.history.model
    public = records.filter(history_public_change=True)
    keys = [
        (date, 0, pk, update)
        for pk, date, update in public.order_by("-history_date", "-history_id").values_list(
            "history_id", "history_date", "history_progress_update_id"
        )[:stop]
    ]
    keys += [
        (date, 1, pk, None)
        for pk, date in _on_their_own(updates)
        .order_by("-reviewed_at", "-pk")
        .values_list("pk", "reviewed_at")[:stop]
    ]
    chosen = sorted(keys, key=lambda key: key[:3], reverse=True)[start:stop]

    # The records shown and the ones before them, in one query.
    shown_ids = [pk for _date, kind, pk, _update in chosen if not kind]
    befores = (
        history._default_manager.filter(history_id__in=shown_ids)
        .annotate(before=_record_before(history))
        .values("before")
    )
    records_read = {
        record.history_id: record
        for record in history._default_manager.filter(
            Q(history_id__in=shown_ids) | Q(history_id__in=befores)
        )
        .annotate(before=_record_before(history))
        .select_related("cluster", "section", "assessment_status", "implementation_status")
    }
    holders, topics = snapshots(set(records_read))
    update_ids = {pk if kind else update for _date, kind, pk, update in chosen} - {None}
    shown = {
        update.pk: update
        for update in ProgressUpdate.objects.published()
        .for_display()
        .filter(pk__in=update_ids)
        .order_by()
    }

    changes = []
    empty = {name: "" for name, _label, _long in PUBLIC_FIELDS}
    for _date, kind, pk, update_id in chosen:
        if kind:
            if pk in shown:
                changes.append(_update_on_its_own(shown[pk]))
            continue
        record = records_read.get(pk)
        if record is None:  # deleted since the first query
            continue
        earlier = records_read.get(record.before)
        previous_state = empty if earlier is None else _state(earlier, holders, topics)
        diff = _changes(previous_state, _state(record, holders, topics))
        update = shown.get(update_id)
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


def _on_their_own(updates: QuerySet) -> QuerySet:
    """The published ``updates`` that no public change applied: they have their own entry."""
    applied = Recommendation.history.filter(
        history_public_change=True, history_progress_update__isnull=False
    ).values("history_progress_update_id")
    return updates.filter(reviewed_at__isnull=False).exclude(pk__in=applied)


def public_changes(
    recommendations: QuerySet | None = None, *, updates: Q | None = None, limit: int = 50
) -> list[PublicChange]:
    """The newest ``limit`` entries of the public timelines of ``recommendations`` (a queryset
    of Recommendation; None for all), newest first, each as ``public_timeline`` gives it.

    ``updates`` says which published updates are in (a condition on ProgressUpdate); by default
    those on ``recommendations``. An update that changed a status is part of that change's
    entry, as on the recommendation's page; one that changed nothing has its own entry.
    Six queries (see _newest)."""
    records = Recommendation.history.all()
    if recommendations is not None:
        records = records.filter(id__in=recommendations.values("pk"))
    if updates is None:
        updates = Q() if recommendations is None else Q(recommendation__in=recommendations)
    return _newest(records, ProgressUpdate.objects.published().filter(updates), 0, limit)


class PublicTimeline:
    """The public changes to a recommendation, newest first, read a slice at a time (Django's
    Paginator takes it): each entry as ``Entry``. Counting is two queries, a slice six."""

    def __init__(self, recommendation: Recommendation):
        self.records = Recommendation.history.filter(id=recommendation.pk)
        self.updates = ProgressUpdate.objects.published().filter(recommendation=recommendation)

    @cached_property
    def total(self) -> int:
        return (
            self.records.filter(history_public_change=True).count()
            + _on_their_own(self.updates).count()
        )

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: slice) -> list[Entry]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("A public timeline is read by slices: timeline[start:stop].")
        start, stop = index.start or 0, self.total if index.stop is None else index.stop
        return [change.entry for change in _newest(self.records, self.updates, start, stop)]


def public_timeline(recommendation: Recommendation) -> PublicTimeline:
    """The public changes to ``recommendation``, newest first: slice it, or page it."""
    return PublicTimeline(recommendation)


def _update_on_its_own(update: ProgressUpdate) -> PublicChange:
    entry = Entry(
        date=update.reviewed_at,
        source=str(ChangeSource.UPDATE.label),
        reason="",
        is_creation=False,
        update=update,
    )
    return PublicChange(update.recommendation.code, f"update-{update.pk}", entry)

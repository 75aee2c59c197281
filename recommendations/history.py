"""A recommendation's public timeline, read from its simple-history records.

Public means: the fields the public pages show (never internal remarks or the demo flags),
no staff names, and no entries from the demonstration seeder. The focal points' updates the
Secretariat published join it: with the status change they brought, or on their own. Four
queries whatever the length of the history: the records (with their foreign keys), the two
many-to-many snapshots (topics, mandate-holders), and the published updates.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
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


def public_timeline(recommendation: Recommendation) -> list[Entry]:
    """The public changes to ``recommendation``, newest first."""
    records = list(
        recommendation.history.select_related(
            "cluster", "section", "assessment_status", "implementation_status"
        ).order_by("history_date", "history_id")
    )
    ids = [record.history_id for record in records]
    holders, topics = defaultdict(list), defaultdict(list)
    holder_model = apps.get_model("recommendations", "HistoricalMandateAssignment")
    topic_model = apps.get_model("recommendations", "HistoricalRecommendation_topics")
    for row in holder_model.objects.filter(history_id__in=ids).select_related("mandate_holder"):
        holders[row.history_id].append(row)
    for row in topic_model.objects.filter(history_id__in=ids).select_related("topic"):
        topics[row.history_id].append(row)

    published = {
        update.pk: update
        for update in ProgressUpdate.objects.published()
        .for_display()
        .filter(recommendation=recommendation)
    }
    entries = []
    previous: dict[str, str] = {name: "" for name, _label, _long in PUBLIC_FIELDS}
    for record in records:
        current = {name: _display(record, name, holders, topics) for name, *_rest in PUBLIC_FIELDS}
        changes = [
            Change(
                label=str(label),
                old=previous[name] or str(NOT_YET_RECORDED),
                new=current[name] or str(NOT_YET_RECORDED),
                long=long,
            )
            for name, label, long in PUBLIC_FIELDS
            if current[name] != previous[name]
        ]
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

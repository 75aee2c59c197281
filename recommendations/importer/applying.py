"""Applying a plan: under the import lock, re-planned, all or nothing.

``apply_import`` takes the import lock (an UPDATE of the one ``ImportLock`` row: PostgreSQL
holds that row lock, SQLite its write lock, until the transaction ends), locks the rows of the
recommendations the file names, plans the file again against the database as it is then, and
writes only if that plan is the one the officer saw: the same state (each recommendation's
latest history record, the vocabularies) and the same fingerprint (what would be written).
Otherwise nothing is written: ``PlanChanged`` when the records changed (the second of two
applies at the same moment: it is told what changed), ``ChoicesChanged`` when the choices sent
with the apply change what the preview showed.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recommendations import audit
from recommendations.importer.planner import Choices, Plan, plan_import
from recommendations.importer.readers import Document, ImportFileError
from recommendations.importer.text import normalise
from recommendations.models import (
    ChangeSource,
    Cluster,
    ImportLock,
    Recommendation,
    Section,
    Source,
)
from recommendations.services import Update, changes_since, recommendation_update_many

LOCK = "import"


class PlanChanged(Exception):
    """The database changed since the preview: ``plan`` is the new preview, ``changes`` says
    what changed (one line per later change of a recommendation in the file)."""

    def __init__(self, plan: Plan, changes: list[str]) -> None:
        super().__init__("The records changed since the preview.")
        self.plan = plan
        self.changes = changes


class ChoicesChanged(Exception):
    """The officer's choices (columns, values, ticks, the file's date) changed what would be
    written since the preview they saw: ``plan`` is the preview with those choices."""

    def __init__(self, plan: Plan) -> None:
        super().__init__("The choices changed what the import would write.")
        self.plan = plan


@dataclass
class Outcome:
    changed: int
    new_parts: int = 0
    new_sections: int = 0


def take_lock() -> None:
    """Hold the import lock until the current transaction ends (the row is made by the
    migration; ``get_or_create`` only if someone deleted it)."""
    if not ImportLock.objects.filter(name=LOCK).update(taken_at=timezone.now()):
        ImportLock.objects.get_or_create(name=LOCK)
        ImportLock.objects.filter(name=LOCK).update(taken_at=timezone.now())


def _read_token(token: str) -> tuple[str, str, dict[int, int]]:
    state, _sep, rest = (token or "").partition("|")
    fingerprint, _sep, versions = rest.partition("|")
    seen: dict[int, int] = {}
    for pair in versions.split(","):
        pk, _sep, version = pair.partition(":")
        if pk.isdecimal() and version.isdecimal() and pk.isascii() and version.isascii():
            seen[int(pk)] = int(version)
    return state, fingerprint, seen


def _what_changed(seen: dict[int, int], plan: Plan, limit: int = 20) -> list[str]:
    changed = [pk for pk, version in plan.versions.items() if seen.get(pk, -1) != (version or 0)]
    lines = []
    for recommendation in Recommendation.objects.filter(pk__in=changed[:limit]):
        for line in changes_since(recommendation, seen.get(recommendation.pk, 0)):
            lines.append(f"{recommendation.code}: {line}")
    if len(changed) > limit:
        lines.append(_("and %(count)d more recommendations") % {"count": len(changed) - limit})
    return lines


def apply_import(document: Document, choices: Choices, *, token: str, user) -> Outcome:
    """Write what the preview whose ``Plan.token`` is ``token`` showed; return how many changed.

    Raises PlanChanged if the records or vocabularies changed since, ChoicesChanged if the
    choices sent with the apply change what would be written.
    """
    state, fingerprint, seen = _read_token(token)
    with transaction.atomic():
        take_lock()
        plan = plan_import(document, choices, for_update=True)
        if plan.state != state or {pk: v or 0 for pk, v in plan.versions.items()} != seen:
            raise PlanChanged(plan, _what_changed(seen, plan))
        if plan.fingerprint != fingerprint:
            raise ChoicesChanged(plan)
        reason = _("Imported from %(name)s") % {"name": plan.filename}
        updates = []
        for item in plan.applicable:
            changes = [change for change in item.changes if plan.applies(change)]
            notes = [f"{c.label}: {c.note}" for c in changes if c.note]
            updates.append(
                Update(
                    item.recommendation.pk,
                    {c.field: c.value for c in changes},
                    reason + (_("; notes in the file: %(notes)s") % {"notes": "; ".join(notes)}
                              if notes else ""),
                    {c.field: c.since for c in changes if c.since},
                )
            )  # fmt: skip
        try:
            created = _create_structure(plan)
            for update in updates:
                for name, value in update.changes.items():
                    if id(value) in created:
                        update.changes[name] = created[id(value)]
            changed = recommendation_update_many(updates, user=user, source=ChangeSource.IMPORT)
            _record_text_sources(plan, set(changed), user, reason)
            audit.record(
                audit.Action.IMPORT_APPLIED,
                user=user,
                target=plan.filename,
                detail=f"{len(changed)} recommendations changed",
            )
        except ValidationError as error:  # nothing is written
            raise ImportFileError(
                _("The import was refused, and nothing was written: %(error)s")
                % {"error": " ".join(error.messages)}
            ) from error
    return Outcome(len(changed), len(plan.new_parts), len(plan.new_sections))


TEXT_FACTS = {
    "text": Source.Fact.TEXT,
    "text_fr": Source.Fact.TEXT,
    "short_title": Source.Fact.SHORT_TITLE,
    "short_title_fr": Source.Fact.SHORT_TITLE,
}


def _record_text_sources(plan: Plan, changed: set[int], user, reason: str) -> None:
    """A recommendation's text or title taken from the file cites the file as its source."""
    sources = [
        Source(
            recommendation=item.recommendation,
            fact=TEXT_FACTS[change.field],
            value=change.value,
            document=(_("Imported Matrix “%(name)s”") % {"name": plan.filename})[:300],
            note=(_("%(where)s; in French") if change.field.endswith("_fr") else "%(where)s")
            % {"where": change.where},
        )
        for item in plan.applicable
        if item.recommendation.pk in changed
        for change in item.changes
        if change.field in TEXT_FACTS and plan.applies(change)
    ]
    if sources:
        Source.objects.bulk_create(sources)
        Source.history.bulk_history_create(
            sources,
            default_user=user,
            default_change_reason=reason,
            custom_historical_attrs={"history_source": ChangeSource.IMPORT},
        )


def _create_structure(plan: Plan) -> dict[int, object]:
    """Create the parts and sections the file names and the tracker does not have, with the
    file as their source; return each planned one's id -> the record made for it."""
    created: dict[int, object] = {}
    if not (plan.new_parts or plan.new_sections):
        return created

    def note(where: str) -> str:
        return _("From the imported Matrix “%(name)s” (%(where)s).") % {
            "name": plan.filename,
            "where": where,
        }

    parts = {part.code: part for part in Cluster.objects.all()}
    order = max((part.order for part in parts.values()), default=0)
    for offset, new in enumerate(plan.new_parts, start=1):
        part = Cluster(
            code=new.code, name=new.title[:200], order=order + offset, note=note(new.where)
        )
        part.full_clean()
        part.save()
        parts[new.code] = created[id(new)] = part
    sections = {normalise(section.key): section for section in Section.objects.all()}
    order = max((section.order for section in sections.values()), default=0)
    by_depth = sorted(plan.new_sections, key=lambda new: new.key.count("."))
    for offset, new in enumerate(by_depth, start=1):
        section = Section(
            key=new.key,
            cluster=parts[new.part],
            parent=sections.get(normalise(new.parent_key)) if new.parent_key else None,
            code=new.code,
            title=new.title[:300],
            order=order + offset,
            note=note(new.where),
        )
        section.full_clean()
        section.save()
        sections[normalise(new.key)] = created[id(new)] = section
    return created

"""Applying a plan: under the import lock, re-planned, all or nothing.

``apply_import`` takes the import lock (an UPDATE of the one ``ImportLock`` row: PostgreSQL
holds that row lock, SQLite its write lock, until the transaction ends), plans the file again
against the database as it is then, and writes only if that plan is the one the officer saw
(same ``fingerprint``); otherwise it raises ``PlanChanged`` with the new plan. Two applies at
the same moment therefore run one after the other, and the second is told what changed.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recommendations.importer.planner import Choices, Plan, plan_import
from recommendations.importer.readers import Document, ImportFileError
from recommendations.importer.text import normalise
from recommendations.models import ChangeSource, Cluster, ImportLock, Section
from recommendations.services import Update, recommendation_update_many

LOCK = "import"


class PlanChanged(Exception):
    """The database changed since the preview: ``plan`` is the new preview."""

    def __init__(self, plan: Plan) -> None:
        super().__init__("The plan changed since the preview.")
        self.plan = plan


@dataclass
class Outcome:
    changed: int
    plan: Plan
    new_parts: int = 0
    new_sections: int = 0


def take_lock() -> None:
    """Hold the import lock until the current transaction ends."""
    if not ImportLock.objects.filter(name=LOCK).update(taken_at=timezone.now()):
        ImportLock.objects.create(name=LOCK, taken_at=timezone.now())


def apply_import(document: Document, choices: Choices, *, fingerprint: str, user) -> Outcome:
    """Write what the preview with ``fingerprint`` showed; return how many changed."""
    with transaction.atomic():
        take_lock()
        plan = plan_import(document, choices)
        if plan.fingerprint != fingerprint:
            raise PlanChanged(plan)
        reason = _("Imported from %(name)s") % {"name": plan.filename}
        created = _create_structure(plan)
        updates = []
        for item in plan.applicable:
            changes = [change for change in item.changes if plan.applies(change)]
            notes = [f"{c.label}: {c.note}" for c in changes if c.note]
            values = {c.field: created.get(id(c.value), c.value) for c in changes}
            updates.append(
                Update(
                    item.recommendation.pk,
                    values,
                    reason + (_("; notes in the file: %(notes)s") % {"notes": "; ".join(notes)}
                              if notes else ""),
                    {c.field: c.since for c in changes if c.since},
                )
            )  # fmt: skip
        try:
            changed = recommendation_update_many(updates, user=user, source=ChangeSource.IMPORT)
        except ValidationError as error:  # nothing is written
            raise ImportFileError(
                _("The import was refused, and nothing was written: %(error)s")
                % {"error": " ".join(error.messages)}
            ) from error
    return Outcome(len(changed), plan, len(plan.new_parts), len(plan.new_sections))


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

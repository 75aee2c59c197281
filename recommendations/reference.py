"""Load the reference data shipped in ``fixtures/`` (what the public sources say) into the database.

Idempotent: a second run changes nothing. It never overwrites the Secretariat's work silently:

* Lists (clusters, sections, vocabularies, mandate-holders, topics, sessions, progress
  statements) are matched by their natural key; missing rows are created, existing rows are
  left as they are, and any difference from the reference is reported.
* Facts about a recommendation (``recommendation_facts.csv``: placement, responsibility, text,
  statuses, mandate-holders) are applied through the status service, each with its source.
  The source row keeps the value it gave, so the loader can tell a reference correction (the
  database still holds the old reference value: apply the new one) from an edit (the database
  holds something else: keep it and report it).
"""

import csv
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import models, transaction

from recommendations.models import (
    NUMBER_MAX,
    NUMBER_MIN,
    AssemblySession,
    AssessmentStatus,
    ChangeSource,
    Cluster,
    ImplementationStatus,
    MandateAssignment,
    MandateHolder,
    ProgressStatement,
    Recommendation,
    Section,
    Source,
    Topic,
    ValueAlias,
    parse_recommendation_number,
)
from recommendations.services import Assignment, recommendation_create, recommendation_update

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
FACTS_FILE = "recommendation_facts.csv"
REASON = "Reference data (fixtures/recommendation_facts.csv): see the sources on the record"

SINGLE_VALUED_FACTS = {
    Source.Fact.PLACEMENT,
    Source.Fact.RESPONSIBILITY,
    Source.Fact.PRIORITY,
    Source.Fact.TEXT,
    Source.Fact.SHORT_TITLE,
    Source.Fact.ASSESSMENT_STATUS,
    Source.Fact.IMPLEMENTATION_STATUS,
}


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    changed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    kept: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [f"created {n} {what}" for what, n in sorted(self.created.items()) if n]
        lines += [f"applied {n} {what}" for what, n in sorted(self.changed.items()) if n]
        if not lines:
            lines.append(
                "nothing applied: see what was kept below"
                if self.kept
                else "nothing to change: the database already holds the reference data"
            )
        lines += [f"kept: {message}" for message in self.kept]
        return lines


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def _yes(value: str) -> bool:
    return value.strip().lower() in {"yes", "true", "1"}


def load_reference_data(*, fixtures_dir: Path = FIXTURES_DIR, user=None) -> LoadReport:
    """Load everything, in one transaction; return what was created, applied and kept."""
    report = LoadReport()
    with transaction.atomic():
        clusters = _sync(
            Cluster,
            "code",
            [
                {**row, "order": int(row["order"])}
                for row in read_csv(fixtures_dir / "clusters.csv")
            ],
            report,
        )
        sections: dict[str, Section] = {}
        for order, row in enumerate(read_csv(fixtures_dir / "sections.csv"), start=1):
            values = {
                **row,
                "cluster": clusters[row["cluster"]],
                "parent": sections[row["parent"]] if row["parent"] else None,
                "order": order * 10,
            }
            sections.update(_sync(Section, "key", [values], report))
        _sync(
            AssessmentStatus,
            "key",
            [
                {
                    **row,
                    "order": int(row["order"]),
                    "counts_as_assessed": _yes(row["counts_as_assessed"]),
                    "counts_as_positive": _yes(row["counts_as_positive"]),
                    "is_final": _yes(row["is_final"]),
                }
                for row in read_csv(fixtures_dir / "assessment_statuses.csv")
            ],
            report,
        )
        _sync(
            ImplementationStatus,
            "key",
            [
                {
                    **row,
                    "order": int(row["order"]),
                    "counts_as_implemented": _yes(row["counts_as_implemented"]),
                    "is_final": _yes(row["is_final"]),
                }
                for row in read_csv(fixtures_dir / "implementation_statuses.csv")
            ],
            report,
        )
        holders: dict[str, MandateHolder] = {}
        for row in read_csv(fixtures_dir / "mandate_holders.csv"):
            values = {**row, "parent": holders[row["parent"]] if row["parent"] else None}
            holders.update(_sync(MandateHolder, "slug", [values], report))
        _load_value_aliases(read_csv(fixtures_dir / "value_aliases.csv"), holders, report)
        _sync(
            Topic,
            "key",
            [
                {
                    **row,
                    "order": int(row["order"]),
                    "oversight_forum": holders[row["oversight_forum"]]
                    if row["oversight_forum"]
                    else None,
                }
                for row in read_csv(fixtures_dir / "topics.csv")
            ],
            report,
        )
        sessions = _sync(
            AssemblySession,
            "number",
            [
                {
                    **row,
                    "number": int(row["number"]),
                    "start_date": _date(row["start_date"]),
                    "end_date": _date(row["end_date"]),
                }
                for row in read_csv(fixtures_dir / "assembly_sessions.csv")
            ],
            report,
        )
        _create_recommendations(user, report)
        _apply_facts(read_csv(fixtures_dir / FACTS_FILE), user, report)
        _load_progress_statements(
            read_csv(fixtures_dir / "progress_statements.csv"), sessions, report
        )
    return report


def _date(value: str) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _sync(model: type[models.Model], key: str, rows: list[dict], report: LoadReport) -> dict:
    """Create the rows missing by natural key; report (and keep) existing rows that differ."""
    names = {f.name for f in model._meta.get_fields() if f.concrete and not f.primary_key}
    existing = {
        getattr(obj, key): obj
        for obj in model.objects.filter(**{f"{key}__in": [r[key] for r in rows]})
    }
    result = {}
    for row in rows:
        values = {name: value for name, value in row.items() if name in names}
        obj = existing.get(values[key])
        if obj is None:
            obj = model(**values)
            obj.full_clean()
            obj.save()
            report.created[model._meta.verbose_name_plural] += 1
        else:
            # A fact the record does not have yet is added; one it holds otherwise is kept.
            added = [
                name
                for name, value in values.items()
                if value and getattr(obj, name) in ("", None) and isinstance(value, str)
            ]
            if added:
                for name in added:
                    setattr(obj, name, values[name])
                obj.full_clean()
                obj.save(update_fields=added)
                report.changed[model._meta.verbose_name_plural] += 1
            differing = sorted(
                name for name, value in values.items() if getattr(obj, name) != value
            )
            if differing:
                report.kept.append(
                    f"{model._meta.verbose_name} {values[key]}: the database differs from the "
                    f"reference data in {', '.join(differing)}"
                )
        result[str(values[key])] = obj
    return result


def _load_value_aliases(rows, holders: dict, report: LoadReport) -> None:
    """The words every reader of a progress Matrix takes the same way ("Ongoing", "Done")."""
    from recommendations.importer.text import normalise

    existing = set(ValueAlias.objects.values_list("kind", "value"))
    known = {
        ValueAlias.Kind.ASSESSMENT: set(AssessmentStatus.objects.values_list("key", flat=True)),
        ValueAlias.Kind.IMPLEMENTATION: set(
            ImplementationStatus.objects.values_list("key", flat=True)
        ),
        ValueAlias.Kind.MANDATE_HOLDER: set(holders),
    }
    new = []
    for row in rows:
        value = normalise(row["value"])[:200]
        if row["target"] and row["target"] not in known[row["kind"]]:
            raise ValueError(f"value_aliases.csv: {row['kind']} {row['target']} does not exist")
        if (row["kind"], value) not in existing:
            existing.add((row["kind"], value))
            new.append(
                ValueAlias(
                    kind=row["kind"],
                    value=value,
                    target=row["target"],
                    note=row["note"],
                    from_reference_data=True,
                )
            )
    ValueAlias.objects.bulk_create(new)
    if new:
        report.created[ValueAlias._meta.verbose_name_plural] += len(new)


def _create_recommendations(user, report: LoadReport) -> None:
    have = set(Recommendation.objects.values_list("number", flat=True))
    for number in range(NUMBER_MIN, NUMBER_MAX + 1):
        if number not in have:
            recommendation_create(
                number=number,
                user=user,
                reason="Created from the reference data: the report numbers them R1-R384",
                source=ChangeSource.REFERENCE,
            )
            report.created["recommendations"] += 1


#
# Facts about recommendations
#


def _fact_identity(fact: str, value: str) -> str:
    """Mandate-holder facts are one per holder; other facts one per recommendation."""
    return value.split(":", 1)[0] if fact == Source.Fact.MANDATE_HOLDER else ""


def _current_value(rec: Recommendation, fact: str, identity: str) -> str:
    """The value the database holds for a fact, as the facts file writes it.

    A demonstration value counts as empty: real data from the sources replaces it.
    """
    if fact == Source.Fact.PLACEMENT:
        if rec.section_id:
            return rec.section.key
        return rec.cluster.code if rec.cluster_id else ""
    if fact in (Source.Fact.ASSESSMENT_STATUS, Source.Fact.IMPLEMENTATION_STATUS):
        status = getattr(rec, fact)
        return status.key if status and not getattr(rec, f"{fact}_demo") else ""
    if fact == Source.Fact.MANDATE_HOLDER:
        for assignment in rec.assignments.all():
            if assignment.mandate_holder.slug == identity and not assignment.is_demo:
                return f"{identity}:{MandateAssignment.Role(assignment.role).name.lower()}"
        return ""
    return getattr(rec, fact)


class _Lookups:
    """The rows facts refer to by natural key, read once for the whole load."""

    def __init__(self):
        self.tables = {
            "section": {s.key: s for s in Section.objects.select_related("cluster")},
            "cluster": {c.code: c for c in Cluster.objects.all()},
            Source.Fact.ASSESSMENT_STATUS: {s.key: s for s in AssessmentStatus.objects.all()},
            Source.Fact.IMPLEMENTATION_STATUS: {
                s.key: s for s in ImplementationStatus.objects.all()
            },
            "mandate_holder": {h.slug: h for h in MandateHolder.objects.all()},
        }

    def get(self, table: str, key: str, rec: Recommendation):
        if not key:
            return None
        try:
            return self.tables[table][key]
        except KeyError:
            raise ValueError(f"{FACTS_FILE}, {rec.code}: unknown {table} {key!r}") from None


def _changes_for(
    rec: Recommendation, fact: str, identity: str, value: str, changes: dict, lookups: _Lookups
) -> None:
    """Add to ``changes`` what makes the recommendation hold ``value`` for ``fact``."""
    if fact == Source.Fact.PLACEMENT:
        # A dotted key names a section ("I.A.4"); a bare one only the cluster ("III").
        section = lookups.get("section", value, rec) if "." in value else None
        changes["section"] = section
        changes["cluster"] = section.cluster if section else lookups.get("cluster", value, rec)
    elif fact in (Source.Fact.ASSESSMENT_STATUS, Source.Fact.IMPLEMENTATION_STATUS):
        changes[fact] = lookups.get(fact, value, rec)
    elif fact == Source.Fact.MANDATE_HOLDER:
        assignments = changes.setdefault(
            "assignments",
            {
                a.mandate_holder.slug: Assignment(a.mandate_holder, a.role, a.note)
                for a in rec.assignments.all()
                if not a.is_demo
            },
        )
        if value:
            role = value.split(":", 1)[1] if ":" in value else "lead"
            assignments[identity] = Assignment(
                lookups.get("mandate_holder", identity, rec), MandateAssignment.Role[role.upper()]
            )
        else:
            assignments.pop(identity, None)
    elif fact == Source.Fact.PRIORITY:
        changes[fact] = value or Recommendation.Priority.UNKNOWN
    else:
        changes[fact] = value


def _apply_facts(rows: list[dict[str, str]], user, report: LoadReport) -> None:
    by_number: dict[int, list[dict[str, str]]] = defaultdict(list)
    for line, row in enumerate(rows, start=2):
        number = parse_recommendation_number(row["number"])
        if number is None or row["fact"] not in Source.Fact.values:
            raise ValueError(f"{FACTS_FILE} line {line}: bad number or fact in {row}")
        by_number[number].append(row)
    recommendations = {
        rec.number: rec
        for rec in Recommendation.objects.select_related(
            "cluster", "section", "assessment_status", "implementation_status"
        ).prefetch_related("assignments__mandate_holder")
    }
    lookups = _Lookups()
    reference_sources = defaultdict(dict)
    for source in Source.objects.filter(from_reference_data=True).select_related("recommendation"):
        identity = _fact_identity(source.fact, source.value)
        reference_sources[source.recommendation.number][(source.fact, identity)] = source

    for number in sorted(set(by_number) | set(reference_sources)):
        rec = recommendations[number]
        known = reference_sources[number]
        changes: dict = {}
        keep_sources = set()
        for row in by_number.get(number, []):
            fact, value = row["fact"], row["value"]
            identity = _fact_identity(fact, value)
            keep_sources.add((fact, identity))
            source = known.get((fact, identity))
            if fact == Source.Fact.OTHER:  # a source's statement only: it sets no field
                _sync_source(rec, row, source, report)
                continue
            current = _current_value(rec, fact, identity)
            last_reference_value = source.value if source else ""
            if value == current:
                pass
            elif current == last_reference_value:
                # Empty, or still what the reference said before: safe to apply.
                _changes_for(rec, fact, identity, value, changes, lookups)
            else:
                report.kept.append(
                    f"{rec.code} {fact}: the database holds {current!r}, the reference says "
                    f"{value!r}; the database value was entered by someone and is kept"
                )
                continue
            _sync_source(rec, row, source, report)
        # Facts the reference no longer asserts: retract them unless someone changed them since.
        for (fact, identity), source in known.items():
            if (fact, identity) in keep_sources:
                continue
            if _current_value(rec, fact, identity) == source.value and source.value:
                _changes_for(rec, fact, identity, "", changes, lookups)
            source._change_reason = f"{REASON}: the reference no longer gives this fact"
            source._history_source = ChangeSource.REFERENCE
            source.delete()
            report.changed["retracted facts"] += 1
        if "assignments" in changes:
            changes["assignments"] = list(changes["assignments"].values())
        if changes:
            changed = recommendation_update(
                rec, changes=changes, user=user, reason=REASON, source=ChangeSource.REFERENCE
            )
            for name in changed:
                report.changed[f"{name} facts"] += 1


def _sync_source(rec: Recommendation, row: dict[str, str], source: Source | None, report) -> None:
    values = {
        "value": row["value"],
        "document": row["document"],
        "url": row["source_url"],
        "note": row["note"],
    }
    if source is None:
        source = Source(recommendation=rec, fact=row["fact"], from_reference_data=True, **values)
        report.created["sources"] += 1
    elif all(getattr(source, name) == value for name, value in values.items()):
        return
    else:
        for name, value in values.items():
            setattr(source, name, value)
        report.changed["sources"] += 1
    source.full_clean()
    source._change_reason = REASON
    source._history_source = ChangeSource.REFERENCE
    source.save()


def _load_progress_statements(rows, sessions: dict, report: LoadReport) -> None:
    existing = set(ProgressStatement.objects.values_list("date", "statement", "context"))
    numbers = dict(Recommendation.objects.values_list("number", "pk"))
    for row in rows:
        date = _date(row["date"])
        if (date, row["statement"], row["context"]) in existing:
            continue
        number = (
            parse_recommendation_number(row["recommendation"]) if row["recommendation"] else None
        )
        statement = ProgressStatement(
            context=row["context"],
            session=sessions.get(row["session"]),
            date=date,
            date_precision=row["date_precision"],
            recommendation_id=numbers[number] if number else None,
            statement=row["statement"],
            count=int(row["count"]) if row["count"] else None,
            source_url=row["source_url"],
            note=row["note"],
        )
        statement.full_clean()
        statement.save()
        report.created["progress statements"] += 1

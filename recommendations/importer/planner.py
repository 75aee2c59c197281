"""Planning an import: what each cell of the file would change, and what it cannot use.

Every table with a recommendation-number column is read as one Matrix. Each cell is read on
its own: a cell that cannot be used is a ``Problem`` (table, cell, column, value, why) and the
other cells of its row still count. Rows of a recommendation's parts ("R63 (a)", "R63 (b)")
are grouped: equal values give one change, different ones a ``Conflict`` to settle; the same
recommendation in two places is a problem naming both.

Each change is checked against the history: a field that a person changed after the file's
date would be set back, so the change is marked stale and left out unless ticked. Nothing is
written here; the plan's ``token`` (the state it was planned against and the fingerprint of
what it would write) lets the apply make sure it writes what was seen.
"""

import datetime
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from recommendations.filters import OWNER_ROLES
from recommendations.importer.headers import (
    DATE_FIELDS,
    STATUS_FIELDS,
    Column,
    find_header,
    header_aliases,
    importable_fields,
    settle_columns,
)
from recommendations.importer.readers import MAX_ROWS, Document, ImportFileError, Table
from recommendations.importer.structure import NewPart, NewSection, label
from recommendations.importer.text import filled, normalise
from recommendations.importer.values import NO_VALUE, Vocabularies, read_date
from recommendations.models import (
    NOT_YET_RECORDED,
    NUMBER_MAX,
    NUMBER_MIN,
    ChangeSource,
    Cluster,
    MandateAssignment,
    Recommendation,
    Section,
    ValueAlias,
    names_several_recommendations,
    parse_recommendation_reference,
)
from recommendations.services import Assignment

PLACE_FIELDS = ("part", "section", "subsection")
REPORT_DATE = datetime.date(2020, 9, 30)  # ICC-ASP/19/16: no status can be older
MAX_HOLDERS_CELL = 2000  # characters: a list of mandate-holders is shorter
# A row holding only "3. Recruitment" or "(2) Executive Committee" is a heading of the report,
# not recommendation 3; "R3 - ..." is a recommendation.
_HEADING = re.compile(r"^\s*\(?\d+[.)]\)?\s+[^\W\d]")
TEXT_FIELDS = ("short_title", "short_title_fr", "text", "text_fr", "public_remarks",
               "internal_remarks")  # fmt: skip
# The history sources that are a person's decision: a file older than one of them is stale.
PERSON_SOURCES = (ChangeSource.ADMIN, ChangeSource.BULK, ChangeSource.IMPORT, ChangeSource.UPDATE)
TRACKED = {"assessment_status": "assessment_status_id",
           "implementation_status": "implementation_status_id", "section": "section_id",
           "cluster": "cluster_id",
           **{name: name for name in (*TEXT_FIELDS, "responsibility", "priority")}}  # fmt: skip


@dataclass
class Problem:
    table: str
    where: str  # "C14", or "row 4, column 2"
    column: str  # "C (Assessment status)"
    value: str
    message: str


@dataclass
class Change:
    number: int
    field: str
    label: str
    old: str
    new: str
    value: Any  # what is written
    where: str  # "Part I, C14"
    note: str = ""  # the note that followed the value in its cell
    since: datetime.date | None = None  # the day the status took effect (its date column)
    stale: str = ""  # why the file may be older than the record

    @property
    def key(self) -> str:
        return f"{self.number}_{self.field}"


@dataclass
class Conflict:
    """A recommendation's parts (rows "R63 (a)", "R63 (b)") that disagree on a field."""

    number: int
    field: str
    label: str
    options: list[tuple[str, str, str]]  # (part, value as written, where)
    chosen: str = ""  # the part whose value was chosen in the preview

    @property
    def key(self) -> str:
        return f"settle_{self.number}_{self.field}"


@dataclass
class UnknownValue:
    """A value that no vocabulary term or mandate-holder matches, to map in the preview."""

    kind: str  # ValueAlias.Kind
    value: str  # as the file writes it
    places: list[str] = field(default_factory=list)
    chosen: str | None = None  # the target chosen in the preview ("": no value)

    @property
    def normalised(self) -> str:
        return normalise(normalise(self.value)[:200])  # as ValueAlias.clean() stores it

    @property
    def kind_label(self) -> str:
        return str(ValueAlias.Kind(self.kind).label)

    @property
    def key(self) -> str:
        digest = hashlib.sha1(f"{self.kind}:{self.normalised}".encode()).hexdigest()[:12]
        return f"map_{digest}"


@dataclass
class TableReport:
    name: str
    header: str  # "rows 3-4"
    rows: int  # rows of recommendations
    columns: list[Column]
    notes: list[str] = field(default_factory=list)  # heading rows passed over, etc.


@dataclass
class Item:
    recommendation: Recommendation
    changes: list[Change] = field(default_factory=list)
    assignments: list[Assignment] | None = None  # the complete new list, when it changes


@dataclass
class Plan:
    filename: str
    file_date: datetime.datetime | None
    tables: list[TableReport] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unknown: list[UnknownValue] = field(default_factory=list)
    mapped: list[UnknownValue] = field(default_factory=list)  # unknown, mapped in the preview
    new_parts: list[NewPart] = field(default_factory=list)
    new_sections: list[NewSection] = field(default_factory=list)
    state: str = ""  # Vocabularies.state
    versions: dict[int, int] = field(default_factory=dict)  # pk -> latest history id
    include_stale: set[str] = field(default_factory=set)  # Change.key, or "all"

    @property
    def changes(self) -> list[Change]:
        return [change for item in self.items for change in item.changes]

    @property
    def stale(self) -> list[Change]:
        return [change for change in self.changes if change.stale]

    def applies(self, change: Change) -> bool:
        return not change.stale or "all" in self.include_stale or change.key in self.include_stale

    @property
    def applicable(self) -> list[Item]:
        return [item for item in self.items if any(map(self.applies, item.changes))]

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)

    @property
    def fingerprint(self) -> str:
        """What the apply would write, in no language: equal fingerprints, equal writes."""
        parts = [f"{c.key}|{_identity(c.value)}|{c.since}" for c in self.changes if self.applies(c)]
        parts += [f"new|{s.key}|{s.title}" for s in self.new_sections]
        parts += [f"new|{p.code}|{p.title}" for p in self.new_parts]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]

    @property
    def token(self) -> str:
        """What the preview's form sends back: the state it was planned against (the
        database's vocabularies and each recommendation's version) and the fingerprint."""
        versions = ",".join(f"{pk}:{version or 0}" for pk, version in sorted(self.versions.items()))
        return f"{self.state}|{self.fingerprint}|{versions}"


@dataclass
class Choices:
    """What the officer chose in the preview."""

    columns: dict[tuple[str, int], str] = field(default_factory=dict)  # (table, index) -> field
    settle: dict[str, str] = field(default_factory=dict)  # Conflict.key -> part
    values: dict[str, str] = field(default_factory=dict)  # UnknownValue.key -> target or ""
    file_date: datetime.date | None = None
    include_stale: set[str] = field(default_factory=set)


def _identity(value: Any) -> str:
    """A value as the fingerprint knows it: a record by its key, a list of assignments by
    their holders and roles."""
    if isinstance(value, list):
        return ";".join(sorted(f"{a.mandate_holder.pk}:{int(a.role)}" for a in value))
    if isinstance(value, NewSection):
        return f"new:{value.key}"
    if isinstance(value, NewPart):
        return f"new:{value.code}"
    if hasattr(value, "pk"):
        return f"{type(value).__name__}:{value.pk}"
    return str(value)


def _display(value: Any) -> str:
    if value is None or value == "":
        return str(NOT_YET_RECORDED)
    return str(value)


@dataclass
class _Row:
    table: Table
    index: int
    number: int
    part: str
    rest: str  # the text after the number in its cell


def plan_import(
    document: Document, choices: Choices | None = None, *, for_update: bool = False
) -> Plan:
    """What the file would change. ``for_update`` (the apply): lock the rows it names."""
    choices = choices or Choices()
    file_date = _file_date(document, choices)
    plan = Plan(document.filename, file_date, include_stale=set(choices.include_stale))
    plan.skipped = list(document.skipped)
    aliases, mappings = header_aliases()
    allowed = {name for name, _label in importable_fields()} | {""}

    found: list[tuple[Table, Any, list[_Row]]] = []
    for table in document.tables:
        header = find_header(table.rows, aliases)
        if header is None:
            plan.skipped.append(
                (table.name, _("no column of recommendation numbers in its first 30 rows"))
            )
            continue
        for column in header.columns:
            chosen = choices.columns.get((table.name, column.index))
            if chosen is not None and chosen in allowed and column.field in (None, ""):
                column.field, column.chosen = chosen, True
        found.append((table, header, []))
    if not found:
        raise ImportFileError(
            _(
                "No table in “%(name)s” has a column of recommendation numbers in its first 30 "
                "rows (headed for example “No.”, “Number”, “N°” or “Rec.”)."
            )
            % {"name": document.filename}
        )

    # The rows of recommendations, counted exactly before anything else is read.
    for table, header, rows in found:
        number_column = header.field_columns()["number"]
        report = TableReport(
            table.name,
            _rows_label(table, header),
            0,
            header.columns,
        )
        headings = 0
        for index in range(header.last_row + 1, len(table.rows)):
            cells = table.rows[index]
            if not any(filled(value) for value in cells):
                continue
            raw = cells[number_column.index] if number_column.index < len(cells) else None
            reference = parse_recommendation_reference(raw) if filled(raw) else None
            distinct = {str(v).strip() for v in cells if filled(v)}
            if len(distinct) == 1 and (reference is None or _HEADING.match(str(raw))):
                headings += 1  # a heading or note row ("PART II", "3. Recruitment")
                continue
            if reference is None:
                if not filled(raw):
                    message = _("No recommendation number in this row: its cells are not read.")
                elif names_several_recommendations(raw):
                    message = _("Several recommendations in one cell: give each its own row.")
                else:
                    message = _("Not a recommendation number: its row is not read.")
                plan.problems.append(
                    Problem(
                        table.name,
                        table.where(index, number_column.index),
                        number_column.label,
                        _display(raw),
                        message,
                    )
                )
                continue
            if not NUMBER_MIN <= reference.number <= NUMBER_MAX:
                plan.problems.append(
                    Problem(
                        table.name,
                        table.where(index, number_column.index),
                        number_column.label,
                        _display(raw),
                        _("Recommendation numbers run from R1 to R384."),
                    )
                )
                continue
            rows.append(_Row(table, index, reference.number, reference.part, reference.rest))
        report.rows = len(rows)
        if headings:
            report.notes.append(
                ngettext(
                    "%(count)d heading or note row with a single value was passed over.",
                    "%(count)d heading or note rows with a single value were passed over.",
                    headings,
                )
                % {"count": headings}
            )
        plan.tables.append(report)
    total = sum(len(rows) for _t, _h, rows in found)
    if total > MAX_ROWS:
        raise ImportFileError(
            _("The file has %(rows)s rows of recommendations; the limit is %(limit)s.")
            % {"rows": f"{total:,}", "limit": f"{MAX_ROWS:,}"}
        )

    vocabularies = Vocabularies(
        {row.number for _t, _h, rows in found for row in rows},
        mappings=mappings,
        for_update=for_update,
    )
    by_number: dict[int, list[tuple[_Row, dict[str, Column]]]] = defaultdict(list)
    for table, header, rows in found:
        data = [table.rows[row.index] for row in rows]
        settle_columns(header, data, vocabularies)
        by_field = header.field_columns()
        for row in rows:
            by_number[row.number].append((row, by_field))

    unknown: dict[str, UnknownValue] = {}
    reader = _CellReader(plan, vocabularies, choices, unknown)
    for number in sorted(by_number):
        entries = by_number[number]
        duplicates = _duplicates(entries)
        if duplicates:
            first, second = duplicates
            plan.problems.append(
                Problem(
                    second[0].table.name,
                    second[0].table.where(second[0].index, second[1]["number"].index),
                    second[1]["number"].label,
                    f"R{number}",
                    _("R%(number)d is in two places: %(first)s and %(second)s. Neither is read.")
                    % {
                        "number": number,
                        "first": _place(first[0]),
                        "second": _place(second[0]),
                    },
                )
            )
            continue
        recommendation = vocabularies.recommendations[number]
        item = Item(recommendation)
        reader.read(item, entries)
        if item.changes or item.assignments is not None:
            plan.items.append(item)
        else:
            plan.unchanged += 1
    plan.state = vocabularies.state
    plan.versions = {r.pk: r.version for r in vocabularies.recommendations.values()}
    plan.unknown = list(unknown.values())
    plan.mapped = list(reader.mapped.values())
    used = {id(c.value) for c in plan.changes}
    places = vocabularies.places
    plan.new_sections = [s for s in places.new_sections.values() if _needed(s, used, places)]
    needed_parts = {s.part for s in plan.new_sections} | {
        c.value.code for c in plan.changes if isinstance(c.value, NewPart)
    }
    plan.new_parts = [p for p in places.new_parts.values() if p.code in needed_parts]
    _mark_stale(plan)
    return plan


def _needed(section: NewSection, used: set[int], places) -> bool:
    """A new section is created when a change places a recommendation in it or below it."""
    return any(
        id(other) in used and (other.key == section.key or other.key.startswith(section.key + "."))
        for other in places.new_sections.values()
    )


def _rows_label(table: Table, header) -> str:
    first, last = table.row_labels[header.first_row], table.row_labels[header.last_row]
    if first == last:
        return _("row %(row)s") % {"row": first}
    return _("rows %(first)s to %(last)s") % {"first": first, "last": last}


def _place(row: _Row) -> str:
    return _("“%(table)s” row %(row)s") % {
        "table": row.table.name,
        "row": row.table.row_labels[row.index],
    }


def _duplicates(entries):
    """Two rows of one recommendation that are not two of its parts: the first such pair.

    In two tables they always are (a Matrix has one place per recommendation); in one table,
    two rows of the same part (or both without a part) are.
    """
    first_table = entries[0][0].table.name
    for entry in entries[1:]:
        if entry[0].table.name != first_table:
            return entries[0], entry
    seen: dict[str, tuple] = {}
    for entry in entries:
        if entry[0].part in seen:
            return seen[entry[0].part], entry
        seen[entry[0].part] = entry
    return None


def _file_date(document: Document, choices: Choices) -> datetime.datetime | None:
    """The officer's date, else the tracker's export date (the moment the file was saved when
    that is on the same day), else the file's own saved date. A day alone counts from its
    start: a change made later that day is checked rather than missed."""
    day = choices.file_date or document.exported_on
    if day is None:
        return document.modified
    if (
        choices.file_date is None
        and document.modified is not None
        and timezone.localdate(document.modified) == day
    ):
        return document.modified
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class _CellReader:
    """Reads the cells of one recommendation's rows into changes, problems and conflicts."""

    def __init__(self, plan: Plan, vocabularies: Vocabularies, choices: Choices, unknown):
        self.plan = plan
        self.vocabularies = vocabularies
        self.choices = choices
        self.unknown = unknown
        self.mapped: dict[str, UnknownValue] = {}
        self.labels = {**dict(importable_fields()), "place": _("Place in the report")}

    def problem(self, row: _Row, column: Column, value: Any, message: str) -> None:
        self.plan.problems.append(
            Problem(
                row.table.name,
                row.table.where(row.index, column.index),
                column.label,
                _display(value),
                message,
            )
        )

    def ask(self, kind: str, value: str, where: str):
        """A value to map: what the officer chose for it, or None (it is listed)."""
        entry = UnknownValue(kind, value)
        target = self.choices.values.get(entry.key)
        if target is not None:
            if kind == ValueAlias.Kind.MANDATE_HOLDER:
                term = self.vocabularies.holders_by_slug.get(target)
            else:
                term = self.vocabularies.status_by_key[kind].get(target)
            if not target or term is not None:  # a target that is not (any more) is unknown
                entry.chosen = target
                self.mapped.setdefault(entry.key, entry).places.append(where)
                return term if target else NO_VALUE
        self.unknown.setdefault(entry.key, entry).places.append(where)
        return None

    def cell(self, row: _Row, column: Column | None) -> Any:
        if column is None:
            return None
        cells = row.table.rows[row.index]
        return cells[column.index] if column.index < len(cells) else None

    def read(self, item: Item, entries) -> None:
        recommendation = item.recommendation
        # field -> list of (part, value, display, note, where, since)
        values: dict[str, list[tuple]] = defaultdict(list)
        holders: dict[int, list[tuple]] = defaultdict(list)
        for row, by_field in entries:
            self._place(row, by_field, values)
            for name, column in by_field.items():
                if name in ("number", *DATE_FIELDS, *PLACE_FIELDS):
                    continue
                raw = self.cell(row, column)
                if not filled(raw):
                    continue  # an empty cell never clears a value
                where = f"{row.table.name}, {row.table.where(row.index, column.index)}"
                if name in ("lead", "contributing"):
                    found = self._holders(row, column, raw, where)
                    if found is not None:
                        role = (
                            MandateAssignment.Role.LEAD
                            if name == "lead"
                            else MandateAssignment.Role.CONTRIBUTING
                        )
                        holders[role].append((row.part, found, where))
                    continue
                reading = self._value(row, column, name, raw, where)
                if reading is None:
                    continue
                value, display, note = reading
                since = None
                if name in STATUS_FIELDS:
                    date_field = next(d for d, s in DATE_FIELDS.items() if s == name)
                    date_column = by_field.get(date_field)
                    raw_date = self.cell(row, date_column)
                    if filled(raw_date):
                        since = read_date(raw_date)
                        if since is None:
                            self.problem(
                                row,
                                date_column,
                                raw_date,
                                _("Not a date (write it as 30/11/2022, 30 Nov 2022 or "
                                  "2022-11-30): the status is read without its date."),
                            )  # fmt: skip
                        elif since < REPORT_DATE:
                            self.problem(
                                row,
                                date_column,
                                raw_date,
                                _("A date before the final report (30 September 2020): the "
                                  "status is read without its date."),
                            )  # fmt: skip
                            since = None
                        elif since > timezone.localdate():
                            self.problem(
                                row,
                                date_column,
                                raw_date,
                                _("A date in the future: the status is read without its date."),
                            )
                            since = None
                values[name].append((row.part, value, display, note, where, since))
            if row.rest and "text" not in by_field:  # "R14 - The Court should..."
                where = f"{row.table.name}, {row.table.where(row.index, by_field['number'].index)}"
                values["text"].append((row.part, row.rest, row.rest, "", where, None))

        for name, found in values.items():
            chosen = self._agree(item, name, [(f[0], f[2], f[4]) for f in found])
            if chosen is None:
                continue
            _part, value, display, note, where, since = found[chosen]
            change = self._change(recommendation, name, value, display, where)
            if change is not None:
                change.note, change.since = note, since
                item.changes.append(change)
        if holders:
            self._assignments(item, holders)

    def _agree(self, item: Item, name: str, options: list[tuple[str, str, str]]) -> int | None:
        """The index of the value the parts agree on (or the one chosen), None if unsettled."""
        distinct = {normalise(display) for _part, display, _where in options}
        if len(distinct) <= 1:
            return 0
        conflict = Conflict(item.recommendation.number, name, self.labels.get(name, name), options)
        chosen = self.choices.settle.get(conflict.key)
        for index, (part, _display_value, _where) in enumerate(options):
            if chosen is not None and chosen == part:
                conflict.chosen = part
                self.plan.conflicts.append(conflict)
                return index
        self.plan.conflicts.append(conflict)
        return None

    def _value(self, row: _Row, column: Column, name: str, raw: Any, where: str):
        """(value to write, display, note) of a cell, or None (a problem or a value to map)."""
        text = " ".join(str(raw).split()) if not isinstance(raw, str) else raw.strip()
        if name in STATUS_FIELDS:
            lookup = (
                self.vocabularies.assessment
                if name == "assessment_status"
                else self.vocabularies.implementation
            )
            reading = lookup.read(text)
            if reading is None:
                term = self.ask(name, text, where)
                if term is None:
                    return None
                reading_term, note = term, ""
            else:
                reading_term, note = reading.term, reading.note
            if reading_term is NO_VALUE:
                return None
            return reading_term, str(reading_term), note
        if name in ("responsibility", "priority"):
            lookup = (
                self.vocabularies.responsibility
                if name == "responsibility"
                else self.vocabularies.priority
            )
            reading = lookup.read(text)
            if reading is None:
                choices = Recommendation._meta.get_field(name).choices
                self.problem(
                    row,
                    column,
                    text,
                    _("Unknown value: write one of %(values)s.")
                    % {"values": ", ".join(f"“{label}”" for _v, label in choices)},
                )
                return None
            return reading.term, reading.term, reading.note
        limit = Recommendation._meta.get_field(name).max_length
        if limit and len(text) > limit:
            self.problem(
                row,
                column,
                text[:80] + "…",
                _("%(length)d characters; this field holds at most %(limit)d.")
                % {"length": len(text), "limit": limit},
            )
            return None
        return text, text, ""

    def _change(self, recommendation, name, value, display, where) -> Change | None:
        label = self.labels.get(name, name)
        if name in STATUS_FIELDS:
            old = getattr(recommendation, name)
            if old == value:
                return None  # a demonstration value stays one: a file is not a confirmation
            return Change(recommendation.number, name, label, _display(old), display, value, where)
        if name == "place":
            return self._place_change(recommendation, value, display, where)
        if name in ("responsibility", "priority"):
            if getattr(recommendation, name) == value:
                return None
            old_label = getattr(recommendation, f"get_{name}_display")()
            new_label = dict(Recommendation._meta.get_field(name).choices)[value]
            return Change(
                recommendation.number, name, label, _display(old_label), str(new_label), value,
                where,
            )  # fmt: skip
        old = getattr(recommendation, name)
        if old == value:
            return None
        if name.endswith("_fr") and not old and value == getattr(recommendation, name[:-3]):
            return None  # a French export shows the English text where no French exists
        return Change(recommendation.number, name, label, _display(old), display, value, where)

    def _place(self, row: _Row, by_field: dict[str, Column], values) -> None:
        """The place the row's structure cells name, into ``values["place"]``."""
        columns = {name: by_field.get(name) for name in PLACE_FIELDS}
        cells = {
            name: " ".join(str(self.cell(row, column)).split()) if column else ""
            for name, column in columns.items()
        }
        cells = {name: "" if text == "None" else text for name, text in cells.items()}
        if not any(cells.values()):
            return
        last = next(columns[name] for name in reversed(PLACE_FIELDS) if cells[name])
        where = f"{row.table.name}, {row.table.where(row.index, last.index)}"
        place = self.vocabularies.places.read(
            cells["part"], cells["section"], cells["subsection"], where
        )
        if isinstance(place, str):
            self.problem(row, last, self.cell(row, last), place)
        elif place is not None:
            values["place"].append((row.part, place, label(place), "", where, None))

    def _place_change(self, recommendation, place, display, where) -> Change | None:
        number = recommendation.number
        if isinstance(place, Section | NewSection):
            # The same section, or one above it: the file agrees, only less precisely.
            if (
                isinstance(place, Section)
                and recommendation.section_id
                and (place.pk in {s.pk for s in recommendation.section.lineage})
            ):
                return None
            old = recommendation.section.key if recommendation.section_id else None
            label_ = self.labels["section"]
            return Change(number, "section", label_, _display(old), display, place, where)
        # A part alone: it agrees with a section of that part.
        if isinstance(place, Cluster) and recommendation.cluster_id == place.pk:
            return None
        if recommendation.section_id:  # in a section of another part: which is right?
            table, _sep, cell = where.partition(", ")
            self.plan.problems.append(
                Problem(
                    table,
                    cell,
                    self.labels["part"],
                    display,
                    _("R%(number)d is in section %(section)s; the file gives another part and no "
                      "section: give its section (or correct the part).")
                    % {"number": number, "section": recommendation.section.key},
                )
            )  # fmt: skip
            return None
        old = str(recommendation.cluster) if recommendation.cluster_id else None
        label_ = self.labels["part"]
        return Change(number, "cluster", label_, _display(old), display, place, where)

    def _holders(self, row: _Row, column: Column, raw: Any, where: str):
        """The mandate-holders a cell names; None when it gives none or cannot be read."""
        if len(str(raw)) > MAX_HOLDERS_CELL:
            self.problem(
                row,
                column,
                str(raw)[:80] + "…",
                _("%(length)s characters: too long for a list of mandate-holders (at most "
                  "%(limit)s).")
                % {"length": f"{len(str(raw)):,}", "limit": f"{MAX_HOLDERS_CELL:,}"},
            )  # fmt: skip
            return None
        found, unread = self.vocabularies.read_holders(raw)
        complete = True
        for part in unread:
            term = self.ask(ValueAlias.Kind.MANDATE_HOLDER, part, where)
            if term is None:
                complete = False
            elif term is not NO_VALUE and term not in found:
                found.append(term)
        return found if complete and found else None  # "N/A" alone gives no value

    def _assignments(self, item: Item, holders: dict[int, list[tuple]]) -> None:
        recommendation = item.recommendation
        wanted: dict[int, list] = {}
        for role, options in holders.items():
            displays = [(part, ", ".join(h.short_name for h in found), where)
                        for part, found, where in options]  # fmt: skip
            name = "lead" if role == MandateAssignment.Role.LEAD else "contributing"
            chosen = self._agree(item, name, displays)
            if chosen is not None:  # parts that disagree on one role leave the other
                wanted[role] = options[chosen][1]
        if not wanted:
            return
        lead = set(wanted.get(MandateAssignment.Role.LEAD, []))
        both = [h for h in wanted.get(MandateAssignment.Role.CONTRIBUTING, []) if h in lead]
        if both:
            where = "; ".join(w for options in holders.values() for _p, _f, w in options)
            self.plan.problems.append(
                Problem(
                    where.split(",", 1)[0],
                    where,
                    self.labels["lead"],
                    ", ".join(h.short_name for h in both),
                    _("R%(number)d: named both as lead and as contributing: the mandate-holder "
                      "cells are not read.") % {"number": recommendation.number},
                )
            )  # fmt: skip
            return
        current = list(recommendation.assignments.all())
        named = {holder.pk for found in wanted.values() for holder in found}
        # Kept: the roles the file does not name (procedural mentions among them), unless they
        # are demonstration data, which real data replaces (as the reference loader does).
        new = [
            Assignment(a.mandate_holder, a.role, a.note)
            for a in current
            if a.role not in wanted and a.mandate_holder_id not in named and not a.is_demo
        ]
        for role, found in wanted.items():
            new += [Assignment(holder, role) for holder in found]
        before = {(a.mandate_holder_id, a.role) for a in current}
        after = {(a.mandate_holder.pk, a.role) for a in new}
        if before == after:
            return
        names = {a.mandate_holder_id: a.mandate_holder.short_name for a in current}
        names.update({a.mandate_holder.pk: a.mandate_holder.short_name for a in new})
        roles = dict(MandateAssignment.Role.choices)

        def describe(pairs) -> str:
            return ", ".join(
                f"{names[holder]} ({str(roles[role]).lower()})" for holder, role in sorted(pairs)
            )

        item.assignments = new
        item.changes.append(
            Change(
                recommendation.number,
                "assignments",
                _("Mandate-holders"),
                _display(describe(before)),
                describe(after),
                new,
                "; ".join(where for options in holders.values() for _p, _f, where in options),
            )
        )


def _mark_stale(plan: Plan) -> None:
    """Mark the changes to fields that a person changed after the file's date."""
    if plan.file_date is None or not plan.items:
        return
    ids = [item.recommendation.pk for item in plan.items]
    history = Recommendation.history.model.objects
    # One query: each recommendation's records after the file's date, and its last one before.
    last_before = (
        history.filter(id=OuterRef("id"), history_date__lte=plan.file_date)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    records = list(
        history.filter(id__in=ids)
        .filter(Q(history_date__gt=plan.file_date) | Q(history_id=Subquery(last_before)))
        .select_related("history_user", "history_progress_update__mandate_holder")
        .order_by("id", "history_date", "history_id")
    )
    # Each record's mandate-holders (lead and contributing), from its snapshot: one query.
    holders: dict[int, frozenset] = defaultdict(frozenset)
    snapshots = apps.get_model("recommendations", "HistoricalMandateAssignment").objects
    for history_id, holder, role in snapshots.filter(
        history_id__in=[r.history_id for r in records], role__in=OWNER_ROLES
    ).values_list("history_id", "mandate_holder_id", "role"):
        holders[history_id] |= {(holder, role)}
    previous: dict[int, Any] = {}
    changed: dict[tuple[int, str], Any] = {}  # (recommendation id, field) -> latest record
    for record in records:
        prior = previous.get(record.id)
        previous[record.id] = record
        if record.history_date <= plan.file_date:
            continue  # the state the file may show
        if record.history_source in PERSON_SOURCES:
            for name, attribute in TRACKED.items():
                if prior is None or getattr(prior, attribute) != getattr(record, attribute):
                    changed[(record.id, name)] = (record, prior)
            before = holders[prior.history_id] if prior else frozenset()
            if before != holders[record.history_id]:
                changed[(record.id, "assignments")] = (record, before)
    for item in plan.items:
        for change in item.changes:
            found = changed.get((item.recommendation.pk, change.field))
            if found is not None:
                change.stale = _stale_message(change, *found)


def _stale_message(change: Change, record, prior) -> str:
    when = date_format(timezone.localtime(record.history_date).date(), "j F Y")
    if record.history_source == ChangeSource.UPDATE and record.history_progress_update:
        holder = record.history_progress_update.mandate_holder.short_name
        by = _("by an accepted update from %(holder)s") % {"holder": holder}
    elif record.history_source == ChangeSource.IMPORT:
        by = _("by an import (%(reason)s)") % {"reason": record.history_change_reason}
    else:
        by = _("by %(user)s in the back-office") % {"user": record.history_user or _("someone")}
    if change.field == "assignments":  # ``prior``: the holders before that change
        held = prior == {
            (a.mandate_holder.pk, a.role) for a in change.value if a.role in OWNER_ROLES
        }
    else:
        value = change.value.pk if hasattr(change.value, "pk") else change.value
        held = prior is not None and getattr(prior, TRACKED[change.field]) == value
    values = {"number": change.number, "when": when, "by": by, "value": change.new}
    if held:
        return (
            _(
                "R%(number)d: changed on %(when)s %(by)s, after this file's date; this file would "
                "set it back to %(value)s."
            )
            % values
        )
    return (
        _(
            "R%(number)d: changed on %(when)s %(by)s, after this file's date; this file would "
            "set it to %(value)s."
        )
        % values
    )

"""The Secretariat's spreadsheet import: read a file, recognise its columns, plan, apply.

``read_sheet`` turns an uploaded XLSX, ODS or CSV into rows of cell values, refusing with a
clear message (``ImportFileError``) anything it cannot read safely: an empty or oversized file,
a file that is not what its extension says, a password-protected workbook, too many rows.
Formulas are never evaluated or copied: the value the spreadsheet last computed is used.

``plan_import`` finds the header row (the first row with a recommendation-number column),
recognises the columns by their header in English or French (our own export's headers
included), matches every value to the vocabularies (case- and accent-insensitive, English or
French labels), and compares each row with the database: the changes per row, the unchanged
rows, and every problem with its row, column and value. Nothing is written.

``apply_import`` writes a plan through ``services.recommendation_update`` in one transaction,
each change with the user and the reason "Imported from <file name>". Empty cells never clear
a value: an import only asserts what its cells say.
"""

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from recommendations.models import (
    NOT_YET_RECORDED,
    NUMBER_MAX,
    NUMBER_MIN,
    AssessmentStatus,
    ChangeSource,
    ImplementationStatus,
    ImportColumnMapping,
    MandateAssignment,
    MandateHolder,
    Recommendation,
    Section,
    parse_recommendation_number,
)
from recommendations.services import Assignment, recommendation_update

MAX_BYTES = 10 * 1024 * 1024
# What an XLSX or ODS (a zip archive) may unpack to: a few MB of cells compress well, a crafted
# archive ("zip bomb") far better. Python's zipfile never yields more than a member declares.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 20
EXTENSIONS = ("xlsx", "ods", "csv")


class ImportFileError(Exception):
    """A file the import cannot use; the message says why, for the person who uploaded it."""


def normalise(text: Any) -> str:
    """Case-, accent-, punctuation- and space-insensitive form of a header or a value."""
    text = unicodedata.normalize("NFKD", str(text or "")).casefold()
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


#
# Reading files
#


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]]
    merged_header_rows: set[int] = field(default_factory=set)  # 0-based rows with merges


def read_sheet(filename: str, content: bytes) -> Sheet:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in EXTENSIONS:
        raise ImportFileError(_("“%(name)s” is not an XLSX, ODS or CSV file.") % {"name": filename})
    if not content:
        raise ImportFileError(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise ImportFileError(
            _("The file is %(size).1f MB; the limit is %(limit)d MB.")
            % {"size": len(content) / 2**20, "limit": MAX_BYTES // 2**20}
        )
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _(
                "This file is password-protected or in the old Excel format (.xls): save it "
                "without a password as .xlsx and upload it again."
            )
        )
    if extension in ("xlsx", "ods"):
        _check_archive(filename, extension, content)
    reader = {"xlsx": _read_xlsx, "ods": _read_ods, "csv": _read_csv}[extension]
    try:
        sheet = reader(content)
    except ImportFileError:
        raise
    except Exception as error:  # a damaged file: say so, never a 500
        raise ImportFileError(
            _("“%(name)s” could not be read as %(format)s (%(error)s).")
            % {"name": filename, "format": extension.upper(), "error": type(error).__name__}
        ) from error
    while sheet.rows and not any(_filled(cell) for cell in sheet.rows[-1]):
        sheet.rows.pop()
    if not sheet.rows:
        raise ImportFileError(_("The sheet “%(sheet)s” is empty.") % {"sheet": sheet.name})
    _check_rows(len(sheet.rows) - HEADER_SEARCH_ROWS)
    return sheet


def _check_archive(filename: str, extension: str, content: bytes) -> None:
    """A zip archive, whose members unpack to at most MAX_UNPACKED_BYTES."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise ImportFileError(
            _("“%(name)s” is not a valid %(format)s file (it may be damaged or renamed).")
            % {"name": filename, "format": extension.upper()}
        ) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(
            _("“%(name)s” unpacks to %(size)d MB; the limit is %(limit)d MB.")
            % {
                "name": filename,
                "size": unpacked // 2**20,
                "limit": MAX_UNPACKED_BYTES // 2**20,
            }
        )


def _check_rows(rows: int) -> None:
    """At most MAX_ROWS rows of data (a header and title rows come on top)."""
    if rows > MAX_ROWS:
        raise ImportFileError(
            _("The sheet has %(rows)d rows; the limit is %(limit)d.")
            % {"rows": rows, "limit": MAX_ROWS}
        )


def _filled(value) -> bool:
    return value is not None and str(value).strip() != ""


def _read_xlsx(content: bytes) -> Sheet:
    import openpyxl

    # data_only: the value each formula last computed, never the formula itself.
    workbook = openpyxl.load_workbook(io.BytesIO(content), data_only=True)
    visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
    if not visible:
        raise ImportFileError(_("The workbook has no visible sheet."))
    sheet = visible[0]
    if sheet.max_row > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise ImportFileError(
            _("The sheet has %(rows)d rows; the limit is %(limit)d.")
            % {"rows": sheet.max_row, "limit": MAX_ROWS}
        )
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    merged = set()
    for merged_range in sheet.merged_cells.ranges:
        if merged_range.min_col != merged_range.max_col:
            merged.update(range(merged_range.min_row - 1, merged_range.max_row))
    return Sheet(sheet.title, rows, merged)


def _read_ods(content: bytes) -> Sheet:
    from odf.namespaces import OFFICENS, STYLENS, TABLENS
    from odf.opendocument import load
    from odf.table import Table, TableCell, TableRow

    document = load(io.BytesIO(content))
    hidden_styles = set()
    for style in document.automaticstyles.childNodes:
        for child in getattr(style, "childNodes", []):
            if child.getAttrNS(TABLENS, "display") == "false":
                hidden_styles.add(style.getAttrNS(STYLENS, "name"))
    tables = [
        table
        for table in document.spreadsheet.getElementsByType(Table)
        if table.getAttrNS(TABLENS, "style-name") not in hidden_styles
    ]
    if not tables:
        raise ImportFileError(_("The workbook has no visible sheet."))
    table = tables[0]
    rows: list[list[Any]] = []
    for row in table.getElementsByType(TableRow):
        cells: list[Any] = []
        for cell in row.getElementsByType(TableCell):
            repeat = min(int(cell.getAttrNS(TABLENS, "number-columns-repeated") or 1), 200)
            kind = cell.getAttrNS(OFFICENS, "value-type")
            if kind in ("float", "percentage", "currency"):
                value = cell.getAttrNS(OFFICENS, "value")
                number = float(value)
                value = int(number) if number.is_integer() else number
            elif kind == "date":
                value = cell.getAttrNS(OFFICENS, "date-value")
            else:
                value = "\n".join(str(p) for p in cell.childNodes if p.qname[1] == "p") or None
            cells += [value] * repeat
        repeat = min(int(row.getAttrNS(TABLENS, "number-rows-repeated") or 1), MAX_ROWS + 1)
        if any(_filled(value) for value in cells):
            rows += [cells] * repeat
        else:
            rows += [[]] * min(repeat, 1)
        if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
            break
    return Sheet(str(table.getAttrNS(TABLENS, "name")), rows)


def _read_csv(content: bytes) -> Sheet:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # Excel in Europe saves these
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    return Sheet("CSV", rows)


#
# Recognising columns
#

# Importable fields and their header aliases (English and French), besides the export's own
# headers in both languages, which are added at run time.
ALIASES: dict[str, list[str]] = {
    "number": ["no", "no.", "n", "n°", "nº", "number", "numero", "rec", "rec.", "recommendation no",
               "recommendation number", "numero de la recommandation", "#", "ref"],
    "short_title": ["short title", "title", "titre", "titre abrege"],
    "text": ["recommendation", "recommendation text", "text", "full text"],
    "text_fr": ["texte", "texte de la recommandation", "recommandation"],
    "section": ["section", "section key", "cle de la section", "place in the report"],
    "responsibility": ["responsibility", "responsible", "responsabilite", "responsable"],
    "assessment_status": ["assessment", "assessment status", "status of assessment",
                          "statut de l evaluation", "evaluation", "etat de l evaluation"],
    "implementation_status": ["implementation", "implementation status",
                              "status of implementation", "statut de la mise en oeuvre",
                              "mise en oeuvre", "etat de la mise en oeuvre"],
    "priority": ["priority", "priorite", "priority annex i"],
    "lead": ["mandate holder", "mandate holders", "lead", "lead mandate holders",
             "titulaire de mandat", "titulaires de mandat", "chef de file"],
    "contributing": ["contributing", "contributing mandate holders", "contributeurs",
                     "titulaires de mandat contributeurs"],
    "public_remarks": ["remarks", "public remarks", "comments", "observations",
                       "observations publiques", "commentaires"],
    "internal_remarks": ["internal remarks", "internal comments", "observations internes"],
}  # fmt: skip
# Columns of our own export that are derived or dated, so not imported (no warning for them).
READ_ONLY = ("code", "cluster", "section_title", "assessment_status_since",
             "implementation_status_since", "topics", "last_change", "demonstration")  # fmt: skip


def _header_aliases() -> dict[str, str]:
    """normalised header -> field (or "" for a known column that is not imported)."""
    from recommendations.resources import RecommendationResource

    aliases = {normalise(alias): name for name, names in ALIASES.items() for alias in names}
    resource = RecommendationResource(internal=True)
    for language in ("en", "fr"):
        with translation.override(language):
            for key, header in zip(resource.keys, resource.get_export_headers(), strict=True):
                target = "" if key in READ_ONLY else key
                if language == "fr" and key in ("text", "short_title"):
                    target = f"{key}_fr"  # a French export carries the French text
                aliases.setdefault(normalise(header), target)
    aliases[normalise("No.")] = "number"
    aliases[normalise("Number")] = "number"
    # The Secretariat's own choices, saved from earlier previews, come last and win.
    aliases.update(ImportColumnMapping.objects.values_list("header", "field"))
    return aliases


# The fields a column can be assigned to in the preview (the number column is found by its
# header), with their labels.
def importable_fields() -> list[tuple[str, str]]:
    return [
        ("short_title", _("Short title")),
        ("text", _("Text")),
        ("short_title_fr", _("Short title in French")),
        ("text_fr", _("Text in French")),
        ("section", _("Section")),
        ("responsibility", _("Responsibility")),
        ("assessment_status", _("Assessment status")),
        ("implementation_status", _("Implementation status")),
        ("priority", _("Priority (report annex I)")),
        ("lead", _("Lead mandate-holders")),
        ("contributing", _("Contributing mandate-holders")),
        ("public_remarks", _("Public remarks")),
        ("internal_remarks", _("Internal remarks")),
    ]


def remember_mapping(columns: list["Column"], user) -> int:
    """Save the fields chosen for the columns the import did not know; return how many."""
    saved = 0
    for column in columns:
        if column.chosen:
            ImportColumnMapping.objects.update_or_create(
                header=normalise(column.header)[:200],
                defaults={"field": column.field or "", "updated_by": user},
            )
            saved += 1
    return saved


@dataclass
class Column:
    index: int
    header: str
    field: str | None  # "" when known but not imported (or ignored by choice); None: unknown
    chosen: bool = False  # the field was chosen in the preview

    @property
    def letter(self) -> str:
        name, index = "", self.index + 1
        while index:
            index, remainder = divmod(index - 1, 26)
            name = chr(65 + remainder) + name
        return name


#
# Planning
#


@dataclass
class Problem:
    row: int  # as the spreadsheet numbers it (1-based)
    column: str  # "C (Assessment status)"
    value: str
    message: str


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class RowPlan:
    row: int
    recommendation: Recommendation
    changes: dict[str, Any]
    diffs: list[FieldChange]


@dataclass
class Plan:
    filename: str
    sheet: str
    header_row: int
    columns: list[Column]
    rows: list[RowPlan] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    rows_in_error: set[int] = field(default_factory=set)

    @property
    def ignored_columns(self) -> list[Column]:
        return [column for column in self.columns if column.field is None]

    @property
    def chosen_columns(self) -> list[Column]:
        return [column for column in self.columns if column.chosen]

    @property
    def applicable(self) -> list[RowPlan]:
        return [row for row in self.rows if row.row not in self.rows_in_error]


class _Vocabularies:
    """Every lookup the planner needs, read once (no query per row)."""

    def __init__(self, numbers: set[int]) -> None:
        self.assessment = self._labels(AssessmentStatus.objects.all())
        self.implementation = self._labels(ImplementationStatus.objects.all())
        self.sections = {normalise(s.key): s for s in Section.objects.select_related("cluster")}
        self.responsibility = self._choices(Recommendation.Responsibility)
        self.priority = self._choices(Recommendation.Priority)
        self.holders: dict[str, MandateHolder] = {}
        for holder in MandateHolder.objects.all():
            for name in (holder.slug, holder.name, holder.name_fr, holder.abbreviation):
                if name:
                    self.holders.setdefault(normalise(name), holder)
            self.holders.setdefault(normalise(str(holder)), holder)
        self.recommendations = {
            r.number: r
            for r in Recommendation.objects.select_related(
                "section", "assessment_status", "implementation_status"
            )
            .prefetch_related("assignments__mandate_holder")
            .filter(number__in=sorted(numbers))
        }

    @staticmethod
    def _labels(statuses) -> dict[str, Any]:
        found = {}
        for status in statuses:
            for label in (status.key, status.label_en, status.label_fr):
                if label:
                    found[normalise(label)] = status
        return found

    @staticmethod
    def _choices(choices) -> dict[str, str]:
        found = {}
        for value, label in choices.choices:
            found[normalise(value)] = value
            for language in ("en", "fr"):
                with translation.override(language):
                    found[normalise(str(label))] = value
        return found


def find_header(sheet: Sheet) -> tuple[int, list[Column]]:
    aliases = _header_aliases()
    for index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        fields = [aliases.get(normalise(cell)) if _filled(cell) else None for cell in row]
        if "number" in fields:
            if index in sheet.merged_header_rows:
                raise ImportFileError(
                    _(
                        "The header row (row %(row)d) has merged cells: unmerge them so that "
                        "each column has its own header."
                    )
                    % {"row": index + 1}
                )
            columns = [
                Column(position, str(cell).strip(), fields[position])
                for position, cell in enumerate(row)
                if _filled(cell)
            ]
            return index, columns
    raise ImportFileError(
        _(
            "No header row found in the first %(rows)d rows: one column must be headed with "
            "the recommendation number (for example “No.”, “Number” or “N°”)."
        )
        % {"rows": HEADER_SEARCH_ROWS}
    )


def _number(raw) -> int | None:
    """The recommendation number in a cell: 14, 14.0, "R14", "r014", "Rec. 14"."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return int(raw) if float(raw).is_integer() else None
    return parse_recommendation_number(str(raw))


def _display(value) -> str:
    if value is None or value == "":
        return str(NOT_YET_RECORDED)
    return str(value)


def plan_import(filename: str, sheet: Sheet, choices: dict[int, str] | None = None) -> Plan:
    """``choices``: column index -> field chosen in the preview ("" ignores the column)."""
    header_index, columns = find_header(sheet)
    allowed = {name for name, _label in importable_fields()}
    for column in columns:
        chosen = (choices or {}).get(column.index)
        if chosen is not None and column.field is None and chosen in allowed | {""}:
            column.field, column.chosen = chosen, True
    plan = Plan(filename, sheet.name, header_index + 1, columns)
    data_rows = sheet.rows[header_index + 1 :]
    _check_rows(sum(1 for row in data_rows if any(_filled(cell) for cell in row)))
    number_index = next(c.index for c in columns if c.field == "number")
    vocabularies = _Vocabularies(
        {
            _number(row[number_index])
            for row in data_rows
            if number_index < len(row) and _filled(row[number_index])
        }
        - {None}
    )
    by_field: dict[str, Column] = {}
    for column in columns:
        if column.field:
            by_field.setdefault(column.field, column)
    number_column = by_field["number"]
    seen: dict[int, int] = {}

    for offset, row in enumerate(data_rows, start=header_index + 2):
        if not any(_filled(cell) for cell in row):
            continue

        def cell(column: Column, row=row):
            return row[column.index] if column.index < len(row) else None

        def problem(column: Column, value, message: str, row_number=offset) -> None:
            plan.problems.append(
                Problem(row_number, f"{column.letter} ({column.header})", _display(value), message)
            )
            plan.rows_in_error.add(row_number)

        raw_number = cell(number_column)
        if not _filled(raw_number):
            problem(number_column, raw_number, _("The recommendation number is missing."))
            continue
        number = _number(raw_number)
        if number is None:
            problem(number_column, raw_number, _("Not a recommendation number."))
            continue
        if not NUMBER_MIN <= number <= NUMBER_MAX:
            problem(number_column, raw_number, _("Recommendation numbers run from R1 to R384."))
            continue
        if number in seen:
            problem(
                number_column,
                raw_number,
                _("R%(number)d is also on row %(other)d.")
                % {"number": number, "other": seen[number]},
            )
            plan.rows_in_error.add(seen[number])
            continue
        seen[number] = offset
        recommendation = vocabularies.recommendations[number]
        changes: dict[str, Any] = {}
        diffs: list[FieldChange] = []
        errors_before = len(plan.problems)

        for name, column in by_field.items():
            if name in ("number", "lead", "contributing"):
                continue
            value = cell(column)
            if not _filled(value):
                continue  # an empty cell never clears a value
            text = str(value).strip()
            new: Any
            if name in ("assessment_status", "implementation_status"):
                lookup = (
                    vocabularies.assessment
                    if name == "assessment_status"
                    else vocabularies.implementation
                )
                new = lookup.get(normalise(text))
                if new is None:
                    problem(column, text, _("Unknown status."))
                    continue
                old = getattr(recommendation, name)
                if old == new:
                    continue
                diffs.append(FieldChange(column.header, _display(old), str(new)))
            elif name == "section":
                new = vocabularies.sections.get(normalise(text))
                if new is None:
                    problem(column, text, _("Unknown section (use its key, e.g. I.A.4)."))
                    continue
                if recommendation.section_id == new.pk:
                    continue
                old = recommendation.section.key if recommendation.section_id else None
                diffs.append(FieldChange(column.header, _display(old), new.key))
            elif name in ("responsibility", "priority"):
                choices = (
                    vocabularies.responsibility
                    if name == "responsibility"
                    else vocabularies.priority
                )
                new = choices.get(normalise(text))
                if new is None:
                    problem(column, text, _("Unknown value."))
                    continue
                if getattr(recommendation, name) == new:
                    continue
                old_display = getattr(recommendation, f"get_{name}_display")()
                diffs.append(
                    FieldChange(
                        column.header,
                        _display(old_display if getattr(recommendation, name) else ""),
                        str(dict(type(recommendation)._meta.get_field(name).choices)[new]),
                    )
                )
            else:  # texts
                new = str(value).strip()
                old = getattr(recommendation, name)
                if old == new:
                    continue
                if name.endswith("_fr") and not old and new == getattr(recommendation, name[:-3]):
                    continue  # a French export shows the English text where no French exists
                diffs.append(FieldChange(column.header, _display(old), new))
            changes[name] = new

        assignments = _planned_assignments(recommendation, by_field, cell, vocabularies, problem)
        if assignments is not None:
            changes["assignments"], diff = assignments
            diffs.append(diff)

        if len(plan.problems) > errors_before:
            continue
        if changes:
            plan.rows.append(RowPlan(offset, recommendation, changes, diffs))
        else:
            plan.unchanged += 1
    return plan


def _planned_assignments(recommendation, by_field, cell, vocabularies, problem):
    """The new assignment list when the lead/contributing cells change it, with its diff."""
    current = list(recommendation.assignments.all())
    wanted: dict[int, list[MandateHolder]] = {}
    for name, role in (
        ("lead", MandateAssignment.Role.LEAD),
        ("contributing", MandateAssignment.Role.CONTRIBUTING),
    ):
        column = by_field.get(name)
        value = cell(column) if column else None
        if not _filled(value):
            continue
        holders = []
        for part in re.split(r"[;\n]|,(?![^()]*\))", str(value)):
            if not part.strip():
                continue
            holder = vocabularies.holders.get(normalise(part))
            if holder is None:
                problem(column, part.strip(), _("Unknown mandate-holder."))
                return None
            holders.append(holder)
        wanted[role] = holders
    if not wanted:
        return None
    named = {holder.pk for holders in wanted.values() for holder in holders}
    new = [
        Assignment(a.mandate_holder, a.role, a.note)
        for a in current
        if a.role not in wanted and a.mandate_holder_id not in named
    ]
    for role, holders in wanted.items():
        new += [Assignment(holder, role) for holder in holders]
    before = {(a.mandate_holder_id, a.role) for a in current}
    after = {(a.mandate_holder.pk, a.role) for a in new}
    if before == after:
        return None

    def describe(pairs) -> str:
        names = {h.pk: h.short_name for h in vocabularies.holders.values()}
        roles = dict(MandateAssignment.Role.choices)
        return ", ".join(
            f"{names[holder]} ({str(roles[role]).lower()})" for holder, role in sorted(pairs)
        )

    diff = FieldChange(_("Mandate-holders"), _display(describe(before)), describe(after))
    return new, diff


#
# Applying
#


def apply_import(plan: Plan, *, user, skip_rows_in_error: bool = False) -> int:
    """Write the plan, all rows or none; return the number of recommendations changed."""
    if plan.problems and not skip_rows_in_error:
        raise ValueError("The plan has problems: fix them or skip the rows in error.")
    reason = _("Imported from %(name)s") % {"name": plan.filename}
    changed = 0
    with transaction.atomic():
        for row in plan.applicable:
            try:
                changed += bool(
                    recommendation_update(
                        row.recommendation.pk,  # the pk: the service need not refresh it
                        changes=row.changes,
                        user=user,
                        reason=reason,
                        source=ChangeSource.IMPORT,
                    )
                )
            except ValidationError as error:  # leaves the transaction: nothing is written
                raise ImportFileError(
                    _("Row %(row)d (%(code)s) was refused: %(error)s. Nothing was imported.")
                    % {
                        "row": row.row,
                        "code": row.recommendation.code,
                        "error": " ".join(error.messages).rstrip("."),
                    }
                ) from error
    return changed

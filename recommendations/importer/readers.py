"""Reading an uploaded file into tables of cell values: XLSX, ODS, CSV, DOCX, PDF.

A ``Document`` holds every table the file has (each visible sheet, each Word or PDF table),
the tables it skipped and why, and the date the file says it was made. Merged cells are
filled: every cell a merge covers holds the merge's value, so a group header "Assessment"
merged over two columns heads both. Hidden rows and columns are left out. Formulas are never
evaluated or copied: the value the spreadsheet last computed is used.

Anything that cannot be read safely is refused with ``ImportFileError``, whose message names
the problem for the person who uploaded the file: never an exception's class name.
"""

import contextlib
import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from recommendations.importer.text import column_letter, filled

MAX_BYTES = 10 * 1024 * 1024
# What an XLSX, ODS or DOCX (a zip archive) may unpack to: a few MB of cells compress well, a
# crafted archive ("zip bomb") far better. Python's zipfile never yields more than a member
# declares.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 5000  # rows of recommendations, all tables together
# Rows of one table read at most (a guard on memory): the planner counts the recommendations
# exactly and refuses more than MAX_ROWS.
MAX_TABLE_ROWS = 2 * MAX_ROWS
MAX_COLUMNS = 200
MAX_CELL_CHARACTERS = 131_072  # as Excel and LibreOffice Calc (32,767) and csv's field limit
EXTENSIONS = ("xlsx", "ods", "csv", "docx", "pdf")


class ImportFileError(Exception):
    """A file the import cannot use; the message says why, for the person who uploaded it."""


@dataclass
class Table:
    """One sheet or table: rows of cell values (merges filled), with how to name a cell."""

    name: str
    rows: list[list[Any]]
    # How the file numbers each row, for messages: the spreadsheet row ("14"), or the page
    # and row of a PDF ("p. 3, row 4"). Defaults to 1, 2, 3...
    row_labels: list[str] = field(default_factory=list)
    grid: bool = True  # cells are named like a spreadsheet's ("C14")

    def __post_init__(self) -> None:
        if not self.row_labels:
            self.row_labels = [str(number) for number in range(1, len(self.rows) + 1)]

    def where(self, row: int, column: int) -> str:
        """The cell at 0-based ``row`` and ``column`` as the person sees it."""
        if self.grid:
            return f"{column_letter(column)}{self.row_labels[row]}"
        label = self.row_labels[row]
        if not label.isdigit():  # it names its row already: "p. 3, row 4"
            return _("%(row)s, column %(column)d") % {"row": label, "column": column + 1}
        return _("row %(row)s, column %(column)d") % {"row": label, "column": column + 1}


@dataclass
class Document:
    filename: str
    tables: list[Table] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (table name, why)
    # When the file was last saved, as the file says (document properties); None if unknown.
    modified: datetime.datetime | None = None
    # The tracker's own export: the day in its file name (ier-matrix-2026-11-30.xlsx).
    exported_on: datetime.date | None = None


def extension_of(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def read_document(filename: str, content: bytes) -> Document:
    extension = extension_of(filename)
    if extension not in EXTENSIONS:
        raise ImportFileError(
            _("“%(name)s” is not an XLSX, ODS, CSV, Word (.docx) or PDF file.") % {"name": filename}
        )
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
                "This file is password-protected or in an old format (.xls, .doc): save it "
                "without a password as .xlsx or .docx and upload it again."
            )
        )
    if extension in ("xlsx", "ods", "docx"):
        _check_archive(filename, extension, content)
    if extension == "pdf" and not content.startswith(b"%PDF"):
        raise ImportFileError(
            _("“%(name)s” is not a valid PDF file (it may be damaged or renamed).")
            % {"name": filename}
        )
    from recommendations.importer import documents

    reader = {
        "xlsx": _read_xlsx,
        "ods": _read_ods,
        "csv": _read_csv,
        "docx": documents.read_docx,
        "pdf": documents.read_pdf,
    }[extension]
    document = Document(filename, exported_on=_export_date(filename))
    try:
        reader(content, document)
    except ImportFileError:
        raise
    except Exception as error:  # a damaged file: say so, never a 500
        raise ImportFileError(
            _("“%(name)s” could not be read as %(format)s: the file is damaged or is not what "
              "its name says.")
            % {"name": filename, "format": extension.upper()}
        ) from error  # fmt: skip
    for table in document.tables:
        _trim(table)
    kept = [table for table in document.tables if table.rows]
    document.skipped += [(t.name, _("empty")) for t in document.tables if not t.rows]
    document.tables = kept
    if not kept:
        raise ImportFileError(_("The file has no table with anything in it."))
    return document


def _trim(table: Table) -> None:
    """Drop empty rows at the end and empty columns on the right; check each cell's length."""
    while table.rows and not any(filled(cell) for cell in table.rows[-1]):
        table.rows.pop()
    del table.row_labels[len(table.rows) :]
    for row_index, row in enumerate(table.rows):
        while row and not filled(row[-1]):
            row.pop()
        for column_index, value in enumerate(row):
            if isinstance(value, str) and len(value) > MAX_CELL_CHARACTERS:
                raise ImportFileError(
                    _("Cell %(cell)s of “%(table)s” has %(length)s characters; the limit is "
                      "%(limit)s.")
                    % {
                        "cell": table.where(row_index, column_index),
                        "table": table.name,
                        "length": f"{len(value):,}",
                        "limit": f"{MAX_CELL_CHARACTERS:,}",
                    }
                )  # fmt: skip


def _export_date(filename: str) -> datetime.date | None:
    """The day in the name of one of the tracker's exports: ier-<name>-YYYY-MM-DD[-...]."""
    match = re.match(r"^ier-[a-z-]+?-(\d{4}-\d{2}-\d{2})(?:-|\.)", filename.rsplit("/")[-1])
    if not match:
        return None
    try:
        return datetime.date.fromisoformat(match.group(1))
    except ValueError:
        return None


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


def too_many_rows(table: str, rows: int) -> ImportFileError:
    return ImportFileError(
        _("“%(table)s” has %(rows)s rows; a table may have at most %(limit)s.")
        % {"table": table, "rows": f"{rows:,}", "limit": f"{MAX_TABLE_ROWS:,}"}
    )


def aware(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        return timezone.make_aware(value, datetime.UTC)
    return value


#
# XLSX
#


def _read_xlsx(content: bytes, document: Document) -> None:
    import openpyxl

    # data_only: the value each formula last computed, never the formula itself.
    workbook = openpyxl.load_workbook(io.BytesIO(content), data_only=True)
    properties = workbook.properties
    document.modified = aware(properties.modified or properties.created)
    document.skipped += [(chart.title, _("a chart, not a table")) for chart in workbook.chartsheets]
    for sheet in workbook.worksheets:
        if sheet.sheet_state != "visible":
            document.skipped.append((sheet.title, _("hidden sheet")))
            continue
        # The last row and column holding a value (max_row and max_column also count cells
        # that are only formatted, often down to row 1,048,576).
        filled_cells = [key for key, cell in sheet._cells.items() if cell.value is not None]
        last = max((row for row, _column in filled_cells), default=0)
        width = max((column for _row, column in filled_cells), default=0)
        if last > MAX_TABLE_ROWS:
            raise too_many_rows(sheet.title, last)
        if width > MAX_COLUMNS:
            raise ImportFileError(
                _("“%(table)s” has %(columns)d columns; the limit is %(limit)d.")
                % {"table": sheet.title, "columns": width, "limit": MAX_COLUMNS}
            )
        rows = (
            [list(row) for row in sheet.iter_rows(max_row=last, max_col=width, values_only=True)]
            if last
            else []
        )
        for merged in sheet.merged_cells.ranges:
            if merged.min_row > len(rows) or merged.min_col > width:
                continue  # formatting below or right of the values
            value = rows[merged.min_row - 1][merged.min_col - 1]
            for row in range(merged.min_row - 1, min(merged.max_row, len(rows))):
                cells = rows[row]
                cells.extend([None] * (merged.max_col - len(cells)))
                for column in range(merged.min_col - 1, merged.max_col):
                    cells[column] = value
        hidden_columns = {
            openpyxl.utils.column_index_from_string(letter) - 1
            for letter, dimension in sheet.column_dimensions.items()
            if dimension.hidden
            for letter in _column_span(letter, dimension)
        }
        labels, kept = [], []
        for number, row in enumerate(rows, start=1):
            dimension = sheet.row_dimensions.get(number)
            if dimension is not None and dimension.hidden:
                continue
            if hidden_columns:
                row = [None if i in hidden_columns else v for i, v in enumerate(row)]
            kept.append(row)
            labels.append(str(number))
        document.tables.append(Table(sheet.title, kept, labels))


def _column_span(letter: str, dimension) -> list[str]:
    """The letters a column dimension covers (openpyxl groups equal columns: min..max)."""
    from openpyxl.utils import get_column_letter

    low, high = dimension.min or 0, dimension.max or 0
    if low and high and high >= low:
        return [get_column_letter(i) for i in range(low, min(high, MAX_COLUMNS) + 1)]
    return [letter]


#
# ODS
#


def _read_ods(content: bytes, document: Document) -> None:
    from odf.namespaces import DCNS, METANS, OFFICENS, STYLENS, TABLENS
    from odf.opendocument import load
    from odf.table import Table as OdsTable
    from odf.table import TableRow

    ods = load(io.BytesIO(content))
    for element in ods.meta.childNodes:
        if element.qname in ((METANS, "creation-date"), (DCNS, "date")):
            with contextlib.suppress(ValueError):
                document.modified = aware(datetime.datetime.fromisoformat(str(element)))
    hidden_styles = set()
    for style in ods.automaticstyles.childNodes:
        for child in getattr(style, "childNodes", []):
            if child.getAttrNS(TABLENS, "display") == "false" or (
                child.getAttrNS(STYLENS, "display") == "none"
            ):
                hidden_styles.add(style.getAttrNS(STYLENS, "name"))
    for table in ods.spreadsheet.getElementsByType(OdsTable):
        name = str(table.getAttrNS(TABLENS, "name"))
        if table.getAttrNS(TABLENS, "style-name") in hidden_styles:
            document.skipped.append((name, _("hidden sheet")))
            continue
        rows: list[list[Any]] = []
        labels: list[str] = []
        spans: list[tuple[int, int, int, int]] = []  # first row, first column, rows, columns
        number = 0
        for row in table.getElementsByType(TableRow):
            cells: list[Any] = []
            row_spans = []
            for cell in row.childNodes:
                if cell.qname[1] not in ("table-cell", "covered-table-cell"):
                    continue
                room = MAX_COLUMNS - len(cells)
                if room <= 0:
                    break
                repeat = min(int(cell.getAttrNS(TABLENS, "number-columns-repeated") or 1), room)
                if cell.qname[1] == "covered-table-cell":
                    cells += [None] * repeat
                    continue
                value = _ods_value(cell, OFFICENS)
                columns = min(int(cell.getAttrNS(TABLENS, "number-columns-spanned") or 1), room)
                span_rows = min(
                    int(cell.getAttrNS(TABLENS, "number-rows-spanned") or 1), MAX_TABLE_ROWS
                )
                if columns > 1 or span_rows > 1:
                    row_spans.append((len(cells), span_rows, columns))
                cells += [value] * repeat
            repeat = int(row.getAttrNS(TABLENS, "number-rows-repeated") or 1)
            hidden = row.getAttrNS(TABLENS, "visibility") in ("collapse", "filter")
            if not any(filled(v) for v in cells):  # empty rows, often a million of them
                if not hidden:
                    rows.append([])
                    labels.append(str(number + 1))
                number += repeat
                continue
            if not hidden:
                spans += [(len(rows), column, r, c) for column, r, c in row_spans]
            for _copy in range(min(repeat, MAX_TABLE_ROWS + 1)):
                number += 1
                if not hidden:
                    rows.append(list(cells))
                    labels.append(str(number))
            if len(rows) > MAX_TABLE_ROWS:
                raise too_many_rows(name, len(rows))
        for first_row, first_column, span_rows, span_columns in spans:
            value = rows[first_row][first_column]
            for r in range(first_row, min(first_row + span_rows, len(rows))):
                cells = rows[r]
                cells.extend([None] * (first_column + span_columns - len(cells)))
                for c in range(first_column, first_column + span_columns):
                    cells[c] = value
        document.tables.append(Table(name, rows, labels))


def _ods_value(cell, officens) -> Any:
    kind = cell.getAttrNS(officens, "value-type")
    if kind in ("float", "percentage", "currency"):
        number = float(cell.getAttrNS(officens, "value"))
        return int(number) if number.is_integer() else number
    if kind == "date":
        value = str(cell.getAttrNS(officens, "date-value"))
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    return "\n".join(str(p) for p in cell.childNodes if p.qname[1] == "p") or None


#
# CSV
#


def _read_csv(content: bytes, document: Document) -> None:
    if b"\x00" in content[:4096] and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(
            _("“%(name)s” is not a text file (it holds NUL bytes): export it from your "
              "spreadsheet as CSV, or upload the XLSX itself.")
            % {"name": document.filename}
        )  # fmt: skip
    text = _decode(content)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportFileError(
            _("Line %(line)d of “%(name)s” holds a NUL byte: the file is damaged.")
            % {"line": line, "name": document.filename}
        )
    sample = text[:20000]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in (";", ",", "\t")}
        delimiter = max(counts, key=counts.get)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[Any]] = []
    labels: list[str] = []
    previous_line = 0
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL_CHARACTERS)
    try:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                line = reader.line_num
                if "field larger than field limit" in str(error):
                    raise ImportFileError(
                        _("Line %(line)d of “%(name)s” has a cell longer than %(limit)s "
                          "characters, the limit (or a quotation mark that is never closed).")
                        % {
                            "line": line,
                            "name": document.filename,
                            "limit": f"{MAX_CELL_CHARACTERS:,}",
                        }
                    ) from None  # fmt: skip
                raise ImportFileError(
                    _("Line %(line)d of “%(name)s” cannot be read as CSV: check its quotation "
                      "marks.")
                    % {"line": line, "name": document.filename}
                ) from None  # fmt: skip
            labels.append(str(previous_line + 1))
            previous_line = reader.line_num
            rows.append(row[:MAX_COLUMNS])
            if len(rows) > MAX_TABLE_ROWS:
                raise too_many_rows(document.filename, _count_records(text, delimiter))
    finally:
        csv.field_size_limit(old_limit)
    document.tables.append(Table("CSV", rows, labels))


def _count_records(text: str, delimiter: str) -> int:
    return sum(1 for _row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")  # Excel in Europe saves these

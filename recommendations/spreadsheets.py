"""The one writer of every spreadsheet the site produces: CSV, XLSX and ODS.

Every download (the Matrix, a recommendation, a mandate-holder, their report, an edition, a
comparison, a focal point's list) describes its table as a ``Sheet`` and calls ``render``;
nothing else in the project writes a spreadsheet.

What a cell can never be, whoever wrote its text:
- a formula. XLSX text cells are typed strings (``t="s"``: a value starting with "=" stays
  text) and ODS text cells ``office:value-type="string"``; in CSV, which has no types, a cell
  starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with an
  apostrophe, which Excel and LibreOffice read as "text" (OWASP, "CSV Injection").
- a broken file. Control characters that XML forbids (U+0000-U+0008, U+000B, U+000C,
  U+000E-U+001F) are dropped, and a date-time is written in the site's time zone.

The XLSX is written with openpyxl, the ODS with odfpy (as tablib does), with what a circulated
table needs: title rows, a bold header row, column widths, wrapped text, coloured status cells
(their label kept as text), a frozen header and an autofilter.
"""

import csv
import datetime
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils import timezone
from odf.config import (
    ConfigItem,
    ConfigItemMapEntry,
    ConfigItemMapIndexed,
    ConfigItemMapNamed,
    ConfigItemSet,
)
from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import Style, TableCellProperties, TableColumnProperties, TextProperties
from odf.table import DatabaseRange, DatabaseRanges, Table, TableCell, TableColumn, TableRow
from odf.text import P
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter

from recommendations.charts import text_colour

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DEFAULT_WIDTH = 18  # characters
HEADER_BACKGROUND = "#dddddd"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class Sheet:
    """A table to write: a name (the tab), title lines above it, a header row, and rows."""

    name: str
    headers: Sequence[str]
    rows: Sequence[Sequence]
    title_lines: Sequence[str] = ()
    widths: Sequence[int] = ()  # characters, per column; DEFAULT_WIDTH after the last
    colours: dict[int, dict[str, str]] = field(default_factory=dict)  # column -> value -> #rgb

    def width(self, column: int) -> int:
        return self.widths[column] if column < len(self.widths) else DEFAULT_WIDTH

    @property
    def header_row(self) -> int:
        """The header's row number (1-based): the title lines, then an empty row."""
        return len(self.title_lines) + 2 if self.title_lines else 1


def render(sheet: Sheet, extension: str) -> bytes:
    return {"csv": to_csv, "xlsx": to_xlsx, "ods": to_ods}[extension](sheet)


def clean(value):
    """The value as a cell holds it: text without forbidden characters, local date-times."""
    if isinstance(value, str):
        return _ILLEGAL.sub("", value)
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, bool):
        return str(value)
    return value


def neutralise(value):
    """A CSV cell that Excel or LibreOffice would read as a formula, prefixed to read as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


#
# CSV: data only (a header row, then the rows), so that a program reads it as it is.
#


def _csv_cell(value):
    value = clean(value)
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return neutralise(value)


def to_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens accented text correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_cell(header) for header in sheet.headers])
    for row in sheet.rows:
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


#
# XLSX (openpyxl)
#


def to_xlsx(sheet: Sheet) -> bytes:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = _sheet_name(sheet.name)

    def put(row: int, column: int, value, style: str) -> None:
        value = clean(value)
        cell = worksheet.cell(row=row, column=column)
        cell.style = style  # first: a style sets the number format too (and wraps what is typed)
        if value is None or value == "":
            return
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever it starts with
        elif isinstance(value, datetime.datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, datetime.date):
            cell.number_format = "yyyy-mm-dd"

    # Named styles: a cell takes one by name, a lookup, where setting a font, a fill and an
    # alignment on each cell hashes each of them (half the time of a 384-row Matrix).
    def style(name: str, **attributes) -> str:
        workbook.add_named_style(NamedStyle(name=f"IER {name}", **attributes))
        return f"IER {name}"

    wrap = Alignment(wrap_text=True, vertical="top")
    title, subtitle = style("title", font=Font(bold=True, size=14)), style("subtitle")
    for number, line in enumerate(sheet.title_lines, start=1):
        put(number, 1, line, title if number == 1 else subtitle)
    header_row = sheet.header_row
    header = style(
        "header",
        font=Font(bold=True),
        fill=PatternFill("solid", fgColor=HEADER_BACKGROUND.lstrip("#").upper()),
        alignment=wrap,
    )
    for column, text in enumerate(sheet.headers, start=1):
        put(header_row, column, text, header)
    body = style("cell", alignment=wrap)
    coloured: dict[str, str] = {}
    count = 0
    for count, row in enumerate(sheet.rows, start=1):
        for column, value in enumerate(row, start=1):
            colour = sheet.colours.get(column - 1, {}).get(value) if value else None
            if colour and colour not in coloured:
                coloured[colour] = style(
                    colour,
                    fill=PatternFill("solid", fgColor=colour.lstrip("#").upper()),
                    font=Font(color=text_colour(colour).lstrip("#").upper()),
                    alignment=wrap,
                )
            put(header_row + count, column, value, coloured[colour] if colour else body)
    for column in range(len(sheet.headers)):
        worksheet.column_dimensions[get_column_letter(column + 1)].width = sheet.width(column)
    last = f"{get_column_letter(max(len(sheet.headers), 1))}{header_row + count}"
    worksheet.auto_filter.ref = f"A{header_row}:{last}"
    worksheet.freeze_panes = f"A{header_row + 1}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_name(name: str) -> str:
    """A tab name Excel takes: at most 31 characters, none of ``[]:*?/\\``."""
    return re.sub(r"[\[\]:*?/\\]", " ", name)[:31] or "Sheet1"


#
# ODS (odfpy)
#

CM_PER_CHARACTER = 0.21


def _column_name(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(65 + remainder) + name
    return name


class _Styles:
    def __init__(self, document) -> None:
        self.document = document
        self.cells: dict[tuple, Style] = {}
        self.columns: dict[float, Style] = {}

    def cell(self, *, bold=False, size=None, background=None, wrap=True) -> Style:
        key = (bold, size, background, wrap)
        if key not in self.cells:
            style = Style(name=f"ce{len(self.cells) + 1}", family="table-cell")
            cell_properties = {"verticalalign": "top"}
            if wrap:
                cell_properties["wrapoption"] = "wrap"
            if background:
                cell_properties["backgroundcolor"] = background
            style.addElement(TableCellProperties(**cell_properties))
            text_properties = {}
            if bold:
                text_properties["fontweight"] = "bold"
            if size:
                text_properties["fontsize"] = f"{size}pt"
            if background and background != HEADER_BACKGROUND:
                text_properties["color"] = text_colour(background)
            if text_properties:
                style.addElement(TextProperties(**text_properties))
            self.document.automaticstyles.addElement(style)
            self.cells[key] = style
        return self.cells[key]

    def column(self, width_cm: float) -> Style:
        if width_cm not in self.columns:
            style = Style(name=f"co{len(self.columns) + 1}", family="table-column")
            style.addElement(TableColumnProperties(columnwidth=f"{width_cm:.2f}cm"))
            self.document.automaticstyles.addElement(style)
            self.columns[width_cm] = style
        return self.columns[width_cm]


def _cell(value, style) -> TableCell:
    value = clean(value)
    if value is None or value == "":
        return TableCell(stylename=style)
    if isinstance(value, int | float):
        cell = TableCell(valuetype="float", value=value, stylename=style)
        cell.addElement(P(text=str(value)))
        return cell
    if isinstance(value, datetime.date):
        cell = TableCell(valuetype="date", datevalue=value.isoformat(), stylename=style)
        cell.addElement(P(text=value.isoformat()))
        return cell
    cell = TableCell(valuetype="string", stylename=style)
    for line in str(value).split("\n"):
        cell.addElement(P(text=line))
    return cell


def _freeze_rows(document, sheet_name: str, rows: int) -> None:
    """View settings that freeze the first ``rows`` rows, as LibreOffice writes them."""
    entry = ConfigItemMapEntry(name=sheet_name)
    for name, kind, value in (
        ("HorizontalSplitMode", "short", "0"),
        ("VerticalSplitMode", "short", "2"),
        ("HorizontalSplitPosition", "int", "0"),
        ("VerticalSplitPosition", "int", str(rows)),
        ("ActiveSplitRange", "short", "2"),
        ("PositionLeft", "int", "0"),
        ("PositionRight", "int", "0"),
        ("PositionTop", "int", "0"),
        ("PositionBottom", "int", str(rows)),
    ):
        entry.addElement(ConfigItem(name=name, type=kind, text=value))
    tables = ConfigItemMapNamed(name="Tables")
    tables.addElement(entry)
    view = ConfigItemMapEntry()
    view.addElement(ConfigItem(name="ViewId", type="string", text="view1"))
    view.addElement(tables)
    views = ConfigItemMapIndexed(name="Views")
    views.addElement(view)
    view_settings = ConfigItemSet(name="ooo:view-settings")
    view_settings.addElement(views)
    document.settings.addElement(view_settings)


def to_ods(sheet: Sheet) -> bytes:
    document = OpenDocumentSpreadsheet()
    styles = _Styles(document)
    name = _sheet_name(sheet.name)
    table = Table(name=name)
    for column in range(len(sheet.headers)):
        width = sheet.width(column) * CM_PER_CHARACTER + 0.3
        table.addElement(TableColumn(stylename=styles.column(round(width, 2))))

    for number, line in enumerate(sheet.title_lines):
        row = TableRow()
        style = styles.cell(bold=number == 0, size=14 if number == 0 else None, wrap=False)
        row.addElement(_cell(line, style))
        table.addElement(row)
    if sheet.title_lines:
        table.addElement(TableRow())
    row = TableRow()
    header_style = styles.cell(bold=True, background=HEADER_BACKGROUND)
    for header in sheet.headers:
        row.addElement(_cell(header, header_style))
    table.addElement(row)

    plain = styles.cell()
    count = 0
    for values in sheet.rows:
        count += 1
        row = TableRow()
        for index, value in enumerate(values):
            colour = sheet.colours.get(index, {}).get(value) if value else None
            row.addElement(_cell(value, styles.cell(background=colour) if colour else plain))
        table.addElement(row)
    document.spreadsheet.addElement(table)

    header_row = sheet.header_row
    last_column = _column_name(max(len(sheet.headers), 1) - 1)
    quoted = "'" + name.replace("'", "''") + "'"
    ranges = DatabaseRanges()
    ranges.addElement(
        DatabaseRange(
            name="__Anonymous_Sheet_DB__0",
            targetrangeaddress=f"{quoted}.A{header_row}:{quoted}.{last_column}{header_row + count}",
            displayfilterbuttons="true",
        )
    )
    document.spreadsheet.addElement(ranges)
    _freeze_rows(document, name, header_row)

    out = io.BytesIO()
    document.write(out)
    return out.getvalue()

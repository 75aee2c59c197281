"""The OpenDocument spreadsheet of an export, written with odfpy (as tablib does), plus what
tablib leaves out: title rows, column widths, wrapped text, coloured status cells, a frozen
header row (view settings) and an autofilter (a database range).

Text cells are ``office:value-type="string"``: LibreOffice never reads them as formulas.
"""

import datetime
import io

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

from recommendations.charts import text_colour

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
            if background and background != "#dddddd":
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
    if value is None or value == "":
        return TableCell(stylename=style)
    if isinstance(value, bool):
        value = str(value)
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


def write(export) -> bytes:
    from django.utils.translation import gettext

    from recommendations.exports import DEFAULT_WIDTH, WIDTHS

    document = OpenDocumentSpreadsheet()
    styles = _Styles(document)
    sheet_name = gettext("Recommendations")
    table = Table(name=sheet_name)
    for key in export.keys:
        width = WIDTHS.get(key, DEFAULT_WIDTH) * CM_PER_CHARACTER + 0.3
        table.addElement(TableColumn(stylename=styles.column(round(width, 2))))

    title_lines = export.title_lines()
    for number, line in enumerate(title_lines):
        row = TableRow()
        style = styles.cell(bold=number == 0, size=14 if number == 0 else None, wrap=False)
        row.addElement(_cell(line, style))
        table.addElement(row)
    table.addElement(TableRow())
    header_row = len(title_lines) + 2  # 1-based, as in the XLSX
    row = TableRow()
    header_style = styles.cell(bold=True, background="#dddddd")
    for header in export.dataset.headers:
        row.addElement(_cell(header, header_style))
    table.addElement(row)

    colours = export.status_colours()
    plain = styles.cell()
    for values in export.dataset:
        row = TableRow()
        for index, value in enumerate(values):
            colour = colours.get(index, {}).get(value)
            row.addElement(_cell(value, styles.cell(background=colour) if colour else plain))
        table.addElement(row)
    document.spreadsheet.addElement(table)

    last_column = _column_name(len(export.keys) - 1)
    last_row = header_row + len(export.dataset)
    quoted = "'" + sheet_name.replace("'", "''") + "'"
    ranges = DatabaseRanges()
    ranges.addElement(
        DatabaseRange(
            name="__Anonymous_Sheet_DB__0",
            targetrangeaddress=f"{quoted}.A{header_row}:{quoted}.{last_column}{last_row}",
            displayfilterbuttons="true",
        )
    )
    document.spreadsheet.addElement(ranges)
    _freeze_rows(document, sheet_name, header_row)

    out = io.BytesIO()
    document.write(out)
    return out.getvalue()

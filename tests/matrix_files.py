"""Matrix files as people make them, built in the tests: one layout, written in five formats.

A layout is a list of sheets; a sheet has a name, rows of cell values and merged ranges
("B3:C3"), as a person lays out a Matrix in Excel, LibreOffice or Word. ``write`` gives the
same layout as XLSX, ODS, CSV (the first sheet), DOCX (one table per sheet) or PDF (one table
per sheet, drawn with ruling lines by reportlab).
"""

import csv
import io
from dataclasses import dataclass, field

from openpyxl.utils import range_boundaries

from recommendations.importer import Choices, apply_import, plan_import, read_document

FORMATS = ("xlsx", "ods", "csv", "docx", "pdf")


@dataclass
class Sheet:
    name: str
    rows: list[list]
    merges: list[str] = field(default_factory=list)  # "B3:C3"
    hidden: bool = False


def _spans(sheet: Sheet) -> dict[tuple[int, int], tuple[int, int]]:
    """(row, column) of each merge's first cell, 0-based -> (rows, columns) it spans."""
    spans = {}
    for merge in sheet.merges:
        min_col, min_row, max_col, max_row = range_boundaries(merge)
        spans[(min_row - 1, min_col - 1)] = (max_row - min_row + 1, max_col - min_col + 1)
    return spans


def _covered(sheet: Sheet) -> set[tuple[int, int]]:
    covered = set()
    for (row, column), (rows, columns) in _spans(sheet).items():
        covered |= {(r, c) for r in range(row, row + rows) for c in range(column, column + columns)}
        covered.discard((row, column))
    return covered


def _width(sheet: Sheet) -> int:
    return max(len(row) for row in sheet.rows)


def write(fmt: str, sheets: list[Sheet]) -> bytes:
    return {"xlsx": to_xlsx, "ods": to_ods, "csv": to_csv, "docx": to_docx, "pdf": to_pdf}[fmt](
        sheets
    )


def to_xlsx(sheets: list[Sheet]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet in sheets:
        out = workbook.create_sheet(sheet.name)
        for row in sheet.rows:
            out.append(row)
        for merge in sheet.merges:
            out.merge_cells(merge)
        if sheet.hidden:
            out.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_ods(sheets: list[Sheet]) -> bytes:
    import datetime

    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableProperties
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    hidden = Style(name="hidden", family="table")
    hidden.addElement(TableProperties(display=False))
    document.automaticstyles.addElement(hidden)
    for sheet in sheets:
        table = Table(name=sheet.name, **({"stylename": hidden} if sheet.hidden else {}))
        spans, covered = _spans(sheet), _covered(sheet)
        for r, row in enumerate(sheet.rows):
            out = TableRow()
            for c, value in enumerate(row):
                if (r, c) in covered:
                    out.addElement(CoveredTableCell())
                    continue
                attributes = {}
                if (r, c) in spans:
                    rows, columns = spans[(r, c)]
                    attributes = {"numberrowsspanned": rows, "numbercolumnsspanned": columns}
                if isinstance(value, int | float) and not isinstance(value, bool):
                    cell = TableCell(valuetype="float", value=value, **attributes)
                elif isinstance(value, datetime.date):
                    cell = TableCell(valuetype="date", datevalue=value.isoformat(), **attributes)
                else:
                    cell = TableCell(valuetype="string", **attributes)
                if value is not None:
                    for line in str(value).split("\n"):
                        cell.addElement(P(text=line))
                out.addElement(cell)
            table.addElement(out)
        document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def to_csv(sheets: list[Sheet]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in sheets[0].rows:
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue().encode("utf-8")


def to_docx(sheets: list[Sheet]) -> bytes:
    import docx

    document = docx.Document()
    for sheet in sheets:
        document.add_paragraph(sheet.name)
        width = _width(sheet)
        table = document.add_table(rows=len(sheet.rows), cols=width)
        covered = _covered(sheet)
        for r, (row, out) in enumerate(zip(sheet.rows, table.rows, strict=True)):
            cells = out.cells  # once per row: table.cell() reads the whole table each time
            for c in range(width):
                value = row[c] if c < len(row) else None
                if value is not None and (r, c) not in covered:
                    cells[c].text = str(value)
        for (r, c), (rows, columns) in _spans(sheet).items():
            table.cell(r, c).merge(table.cell(r + rows - 1, c + columns - 1))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def to_pdf(sheets: list[Sheet]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    story = []
    for index, sheet in enumerate(sheets):
        if index:
            story.append(PageBreak())
        width = _width(sheet)
        covered = _covered(sheet)
        data = []
        for r, row in enumerate(sheet.rows):
            cells = []
            for c in range(width):
                value = row[c] if c < len(row) else None
                if value is None or (r, c) in covered:
                    cells.append("")
                else:
                    cells.append(Paragraph(str(value).replace("\n", " "), styles["BodyText"]))
            data.append(cells)
        commands = [("GRID", (0, 0), (-1, -1), 0.5, colors.black)]
        for (r, c), (rows, columns) in _spans(sheet).items():
            commands.append(("SPAN", (c, r), (c + columns - 1, r + rows - 1)))
        table = Table(data, colWidths=[(landscape(A4)[0] - 80) / width] * width)
        table.setStyle(TableStyle(commands))
        story.append(table)
    SimpleDocTemplate(buffer, pagesize=landscape(A4)).build(story)
    return buffer.getvalue()


#
# Reading and applying, as the import page does
#


def plan_of(name: str, content: bytes, choices: Choices | None = None):
    return plan_import(read_document(name, content), choices)


def apply_file(name: str, content: bytes, *, user, choices: Choices | None = None):
    """Preview then apply, as an officer who accepts the preview."""
    document = read_document(name, content)
    plan = plan_import(document, choices)
    return apply_import(document, choices or Choices(), token=plan.token, user=user)


def changes_of(plan) -> dict[int, dict[str, str]]:
    """R number -> field -> the new value as the preview shows it."""
    return {
        item.recommendation.number: {change.field: change.new for change in item.changes}
        for item in plan.items
    }


#
# A whole Matrix: 384 rows as the Secretariat might circulate it
#

# (as written in the file, key it must read as), cycled over the rows.
ASSESSMENTS = [
    ("Positively assessed", "positively_assessed"),
    ("Évaluée positivement avec modifications", "positively_assessed_with_modifications"),
    ("Negatively assessed (Bureau decision, 2022)", "negatively_assessed"),
    ("Not yet assessed", "not_yet_assessed"),
]
IMPLEMENTATIONS = [
    ("Ongoing", "in_progress"),
    ("Completed", "implemented"),
    ("Not yet started", "not_started"),
    ("Partially implemented", "partially_implemented"),
    ("En cours", "in_progress"),
]
HOLDERS = [
    ("OTP", ["otp"]),
    ("Greffe", ["registry"]),
    ("Presidency; Registry", ["presidency", "registry"]),
    ("Committee on Budget and Finance", ["cbf"]),
    ("Bureau du Procureur / Greffe", ["otp", "registry"]),
]


def full_matrix() -> tuple[Sheet, dict[int, tuple[str, str, list[str]]]]:
    """The sheet, and what each recommendation must hold after it: (assessment key,
    implementation key, sorted lead mandate-holder slugs)."""
    rows = [
        ["Progress in the assessment of the IER recommendations", None, None, None, None],
        ["No.", "Assessment", None, "Implementation", "Responsible"],
        [None, "Status", "Date", None, None],
    ]
    expected = {}
    for number in range(1, 385):
        assessment = ASSESSMENTS[number % len(ASSESSMENTS)]
        implementation = IMPLEMENTATIONS[number % len(IMPLEMENTATIONS)]
        holders = HOLDERS[number % len(HOLDERS)]
        rows.append(
            [f"R{number}", assessment[0], f"{number % 28 + 1}/11/2022", implementation[0],
             holders[0]]
        )  # fmt: skip
        expected[number] = (assessment[1], implementation[1], sorted(holders[1]))
    sheet = Sheet("Matrix", rows, merges=["A1:E1", "A2:A3", "B2:C2", "D2:D3", "E2:E3"])
    return sheet, expected

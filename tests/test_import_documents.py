"""Reading the tables of Word and PDF files: merges filled, tables over pages joined.

The files are made here, with python-docx and reportlab, as the reports people upload are:
a two-row header whose group header "Assessment" is merged over "Status" and "Date".
"""

import datetime
import io
import re

import docx
import pytest
from reportlab.lib import colors, pdfencrypt
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

from recommendations.importer.documents import _pdf_date
from recommendations.importer.readers import ImportFileError, read_document

LONG_TEXT = (
    "The Court should adopt a policy on the selection of situations and cases that is "
    "published, applied consistently and reviewed every three years"
)
UTC = datetime.UTC


#
# DOCX
#


def docx_bytes(word) -> bytes:
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def report_docx() -> bytes:
    word = docx.Document()
    word.core_properties.modified = datetime.datetime(2022, 11, 30, 12, 0)
    word.add_paragraph("Implementation report", style="Title")
    table = word.add_table(rows=4, cols=4)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "No."
    table.cell(0, 1).merge(table.cell(1, 1)).text = "Recommendation"
    table.cell(0, 2).merge(table.cell(0, 3)).text = "Assessment"
    table.cell(1, 2).text = "Status"
    table.cell(1, 3).text = "Date"
    for row, (number, text, status, date) in enumerate(
        [("R1", "Adopt a policy", "Ongoing", "2022-11-30"), ("R2", "", "Done", "2022-10-01")],
        start=2,
    ):
        for column, value in enumerate((number, text, status, date)):
            table.cell(row, column).text = value
    cell = table.cell(3, 1)
    cell.text = "  Review the rules"
    cell.add_paragraph("and publish them  ")
    word.add_paragraph("Annex")
    second = word.add_table(rows=2, cols=2)
    second.cell(0, 0).text = "Body"
    second.cell(0, 1).text = "Focal point"
    second.cell(1, 0).text = "Registry"
    return docx_bytes(word)


def test_docx_tables_with_merges_filled():
    document = read_document("report.docx", report_docx())

    assert [table.name for table in document.tables] == ["Table 1", "Table 2"]
    first, second = document.tables
    assert first.rows == [
        ["No.", "Recommendation", "Assessment", "Assessment"],
        ["No.", "Recommendation", "Status", "Date"],
        ["R1", "Adopt a policy", "Ongoing", "2022-11-30"],
        ["R2", "Review the rules\nand publish them", "Done", "2022-10-01"],
    ]
    assert first.row_labels == ["1", "2", "3", "4"]
    assert first.where(3, 1) == "row 4, column 2"
    assert second.rows == [["Body", "Focal point"], ["Registry"]]
    assert second.where(1, 0) == "row 2, column 1"
    assert document.modified == datetime.datetime(2022, 11, 30, 12, 0, tzinfo=UTC)
    assert document.skipped == []


def test_docx_without_a_table_is_refused():
    word = docx.Document()
    word.add_paragraph("Implementation report")
    word.add_paragraph("No table here.")

    with pytest.raises(ImportFileError, match=r"^The file has no table with anything in it\.$"):
        read_document("report.docx", docx_bytes(word))


#
# PDF
#

STYLES = getSampleStyleSheet()
HEADER = [["No.", "Recommendation", "Assessment", ""], ["", "", "Status", "Date"]]
GRID = [
    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
    ("SPAN", (0, 0), (0, 1)),
    ("SPAN", (1, 0), (1, 1)),
    ("SPAN", (2, 0), (3, 0)),
]


def running_header(drawing, template) -> None:
    drawing.setFont("Helvetica", 9)
    drawing.drawString(72, A4[1] - 40, f"IER implementation report, page {drawing.getPageNumber()}")


def pdf_bytes(flowables, mod_date: str | None = None, *, header: bool = False) -> bytes:
    buffer = io.BytesIO()
    pages = {"onFirstPage": running_header, "onLaterPages": running_header} if header else {}
    SimpleDocTemplate(buffer, pagesize=A4).build(flowables, **pages)
    content = buffer.getvalue()
    if mod_date:  # reportlab writes the time of the build: put a known one, same length
        content, count = re.subn(
            rb"/ModDate \(D:\d{14}[+-]\d\d'\d\d'\)",
            b"/ModDate (" + mod_date.encode() + b")",
            content,
        )
        assert count == 1
    return content


def report_table(count: int, *, first: int = 1, statuses=None, spans=()) -> Table:
    """R<first>... under the two-row header, repeated on each page; R2's text wraps."""
    rows = [list(row) for row in HEADER]
    for number in range(first, first + count):
        text = Paragraph(LONG_TEXT, STYLES["BodyText"]) if number == 2 else f"Rec {number}"
        status = (statuses or {}).get(number, "Ongoing")
        rows.append([f"R{number}", text, status, "2022-11-30"])
    table = Table(rows, colWidths=[50, 250, 80, 80], repeatRows=2)
    table.setStyle(TableStyle(GRID + list(spans)))
    return table


def test_pdf_table_over_three_pages_is_one_table():
    # R11's status is merged down over R12's: rows 12 and 13 of the table, under the header.
    table = report_table(80, statuses={11: "Merged", 12: ""}, spans=[("SPAN", (2, 12), (2, 13))])
    content = pdf_bytes(
        [Paragraph("Implementation report", STYLES["Title"]), table],
        mod_date="D:20221130120000+01'00'",
        header=True,
    )

    document = read_document("report.pdf", content)

    assert [t.name for t in document.tables] == ["Table 1"]
    (result,) = document.tables
    assert result.grid is False
    assert result.rows[:4] == [
        ["No.", "Recommendation", "Assessment", "Assessment"],
        ["No.", "Recommendation", "Status", "Date"],
        ["R1", "Rec 1", "Ongoing", "2022-11-30"],
        ["R2", LONG_TEXT, "Ongoing", "2022-11-30"],
    ]
    assert [row[0] for row in result.rows[2:]] == [f"R{number}" for number in range(1, 81)]
    assert result.rows[12] == ["R11", "Rec 11", "Merged", "2022-11-30"]
    assert result.rows[13] == ["R12", "Rec 12", "Merged", "2022-11-30"]
    assert result.row_labels[:3] == ["p. 1, row 1", "p. 1, row 2", "p. 1, row 3"]
    # Each later page repeats the two header rows: its first row read is its third.
    pages = [label.split(",")[0] for label in result.row_labels]
    starts = [index for index in range(1, len(pages)) if pages[index] != pages[index - 1]]
    assert [result.row_labels[index] for index in starts] == ["p. 2, row 3", "p. 3, row 3"]
    assert len(set(result.row_labels)) == len(result.row_labels)
    assert document.modified == datetime.datetime(2022, 11, 30, 11, 0, tzinfo=UTC)
    assert document.modified.utcoffset() == datetime.timedelta(hours=1)


def test_pdf_table_after_a_heading_on_the_next_page_is_a_new_table():
    """Only a running header, at the same place on the page before, may stand above a table
    that goes on from the page before."""
    content = pdf_bytes(
        [
            report_table(3),
            PageBreak(),
            Paragraph("Annex: recommendations of the second cluster", STYLES["Heading2"]),
            report_table(2, first=4),
        ],
        header=True,
    )

    document = read_document("report.pdf", content)

    assert [t.name for t in document.tables] == ["Table 1", "Table 2"]
    assert [row[0] for row in document.tables[0].rows] == ["No.", "No.", "R1", "R2", "R3"]
    assert [row[0] for row in document.tables[1].rows] == ["No.", "No.", "R4", "R5"]
    assert document.tables[1].row_labels[2] == "p. 2, row 3"


def test_pdf_with_prose_only_has_no_table():
    paragraphs = [Paragraph(LONG_TEXT + ". " + LONG_TEXT, STYLES["BodyText"])] * 6

    with pytest.raises(ImportFileError, match=r"^The file has no table with anything in it\.$"):
        read_document("report.pdf", pdf_bytes(paragraphs))


def test_pdf_without_text_looks_scanned():
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, pagesize=A4)
    drawing.rect(100, 100, 300, 400, fill=1)
    drawing.save()

    with pytest.raises(ImportFileError, match="has no text layer: it looks scanned") as raised:
        read_document("scan.pdf", buffer.getvalue())
    assert str(raised.value).startswith("“scan.pdf” has no text layer")


def test_password_protected_pdf():
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, encrypt=pdfencrypt.StandardEncryption("secret"))
    drawing.drawString(100, 700, "R1")
    drawing.save()

    with pytest.raises(ImportFileError, match=r"“locked\.pdf” is password-protected"):
        read_document("locked.pdf", buffer.getvalue())


def test_damaged_pdf_says_so_without_an_exception_name():
    with pytest.raises(ImportFileError, match="could not be read as PDF") as raised:
        read_document("report.pdf", b"%PDF-1.4 garbage")
    message = str(raised.value)
    assert "Exception" not in message
    assert "Error" not in message
    assert "pdfminer" not in message.lower()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("D:20221130120000+01'00'", datetime.datetime(2022, 11, 30, 11, 0, tzinfo=UTC)),
        ("D:20221130120000Z", datetime.datetime(2022, 11, 30, 12, 0, tzinfo=UTC)),
        ("D:20221130120000-05'30", datetime.datetime(2022, 11, 30, 17, 30, tzinfo=UTC)),
        ("D:20221130", datetime.datetime(2022, 11, 30, tzinfo=UTC)),
        (b"D:20221130120000Z", datetime.datetime(2022, 11, 30, 12, 0, tzinfo=UTC)),
        ("D:20221350120000Z", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_pdf_dates(value, expected):
    assert _pdf_date(value) == expected

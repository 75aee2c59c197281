"""Reading the tables of a Word (.docx) or born-digital PDF file, for ``readers.read_document``.

Word: every table of the body, in order. python-docx gives a merged cell for each grid position
it covers, so merges come filled. PDF: the tables pdfplumber finds from the ruling lines (on a
page without lines, from how the text lines up). pdfplumber leaves a position a merge covers
empty (``None``); it is filled with the text of the cell whose box covers it. A table that goes
on over pages is one table, and the header rows it repeats on each page are read once.
"""

import datetime
import io
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from recommendations.importer.readers import (
    MAX_COLUMNS,
    MAX_TABLE_ROWS,
    Document,
    ImportFileError,
    Table,
    aware,
    too_many_rows,
)
from recommendations.importer.text import filled, normalise

MAX_PAGES = 300
# The part of a page a running header stands in: the top quarter.
HEADER_PART = 0.25
TEXT_STRATEGY = {"vertical_strategy": "text", "horizontal_strategy": "text"}


def table_name(number: int) -> str:
    return _("Table %(number)d") % {"number": number}


def too_many_columns(table: str, columns: int) -> ImportFileError:
    return ImportFileError(
        _("“%(table)s” has %(columns)d columns; the limit is %(limit)d.")
        % {"table": table, "columns": columns, "limit": MAX_COLUMNS}
    )


#
# DOCX
#


def read_docx(content: bytes, document: Document) -> None:
    """Every table of the Word file's body, merged cells filled, rows numbered 1, 2, 3..."""
    import docx

    word = docx.Document(io.BytesIO(content))
    properties = word.core_properties
    document.modified = aware(properties.modified or properties.created)
    for number, table in enumerate(word.tables, start=1):
        name = table_name(number)
        if len(table.rows) > MAX_TABLE_ROWS:
            raise too_many_rows(name, len(table.rows))
        if len(table.columns) > MAX_COLUMNS:
            raise too_many_columns(name, len(table.columns))
        rows: list[list[Any]] = []
        for row in table.rows:
            width = row.grid_cols_before + sum(tc.grid_span for tc in row._tr.tc_lst)
            if width > MAX_COLUMNS:  # python-docx yields one cell per column a cell spans
                raise too_many_columns(name, width)
            # A row may start after the first column of the grid (w:gridBefore).
            cells: list[Any] = [None] * row.grid_cols_before
            # The same cell for each grid position a horizontal or vertical merge covers.
            cells += [_docx_text(cell) for cell in row.cells]
            rows.append(cells[:MAX_COLUMNS])
        document.tables.append(Table(name, rows, grid=False))


def _docx_text(cell) -> str | None:
    return "\n".join(paragraph.text for paragraph in cell.paragraphs).strip() or None


#
# PDF
#


@dataclass
class _Part:
    """One table as pdfplumber found it on one page."""

    page: int
    rows: list[list[str | None]]
    columns: int
    # The first table of its page with nothing above it but a running header: it may go on
    # from the last table of the page before.
    at_top: bool


@dataclass
class _Joined:
    """A table of the document: its parts, one a page, joined."""

    head: list[list[str | None]]  # the rows of its first part, to recognise a repeated header
    columns: int
    last_page: int
    rows: list[list[str | None]]
    labels: list[str]


def read_pdf(content: bytes, document: Document) -> None:
    """The tables of a PDF with a text layer; one over several pages is read as one table."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(io.BytesIO(content))
    except PdfminerException as error:
        if any(isinstance(reason, PDFEncryptionError) for reason in error.args):
            raise ImportFileError(
                _("“%(name)s” is password-protected: save it without a password and upload "
                  "it again.")
                % {"name": document.filename}
            ) from None  # fmt: skip
        raise
    with pdf:
        metadata = pdf.metadata or {}
        document.modified = _pdf_date(metadata.get("ModDate")) or _pdf_date(
            metadata.get("CreationDate")
        )
        if len(pdf.pages) > MAX_PAGES:
            raise ImportFileError(
                _("“%(name)s” has %(pages)s pages; the limit is %(limit)s.")
                % {"name": document.filename, "pages": f"{len(pdf.pages):,}", "limit": MAX_PAGES}
            )
        parts: list[_Part] = []
        has_text = False
        header: set[tuple[int, str]] = set()  # the top lines of the page before
        for page in pdf.pages:
            try:
                if page.chars:
                    has_text = True
                    parts += _page_tables(page, header)
                header = _lines_above(page, page.bbox[1] + HEADER_PART * page.height)
            finally:
                page.close()  # frees the page's parsed objects
    if not has_text:
        raise ImportFileError(
            _("“%(name)s” has no text layer: it looks scanned. Upload the Word or spreadsheet "
              "file it was made from, or a PDF saved from it.")
            % {"name": document.filename}
        )  # fmt: skip
    for number, table in enumerate(_join(parts), start=1):
        name = table_name(number)
        if len(table.rows) > MAX_TABLE_ROWS:
            raise too_many_rows(name, len(table.rows))
        document.tables.append(Table(name, table.rows, table.labels, grid=False))


def _page_tables(page, header: set[tuple[int, str]]) -> list[_Part]:
    """The tables of one page: by its ruling lines, or else by how its text lines up.

    ``header``: the top lines of the page before, the running header a continued table may
    stand under.
    """
    found = page.find_tables()
    if not found:
        found = [
            table
            for table in page.find_tables(table_settings=TEXT_STRATEGY)
            if _lines_up(page, table)
        ]
    parts = []
    for index, table in enumerate(found):
        columns = len({cell[0] for cell in table.cells})
        if columns > MAX_COLUMNS:
            raise ImportFileError(
                _("A table on p. %(page)d has %(columns)d columns; the limit is %(limit)d.")
                % {"page": page.page_number, "columns": columns, "limit": MAX_COLUMNS}
            )
        at_top = index == 0 and _lines_above(page, table.bbox[1]) <= header
        parts.append(_Part(page.page_number, _filled_rows(table), columns, at_top))
    return parts


def _lines_up(page, table) -> bool:
    """A table found from the text alone: at least 2 by 2, with no word cut by a column edge.

    Prose gives the text strategy a "table" whose column edges go through words; a table laid
    out without lines has its edges in the gaps between columns.
    """
    edges = sorted({cell[0] for cell in table.cells})[1:]
    if not edges or len({cell[1] for cell in table.cells}) < 2:
        return False
    x0, top, x1, bottom = table.bbox
    for word in page.extract_words():
        inside = x0 <= word["x0"] and word["x1"] <= x1 and top <= word["top"] < bottom
        if inside and any(word["x0"] + 1 < edge < word["x1"] - 1 for edge in edges):
            return False
    return True


def _lines_above(page, bottom: float) -> set[tuple[int, str]]:
    """The lines of text above ``bottom``: where each stands, and its text without digits.

    A running header repeats at the same place on each page; its page number changes.
    """
    lines: dict[int, list[dict]] = {}
    for char in page.chars:
        if char["bottom"] <= bottom:
            lines.setdefault(round(char["top"]), []).append(char)
    found = set()
    for top, chars in lines.items():
        text = "".join(char["text"] for char in sorted(chars, key=lambda char: char["x0"]))
        text = re.sub(r"[\d\s]+", "", text)
        if text:
            found.add((top, text))
    return found


def _filled_rows(table) -> list[list[str | None]]:
    """The table's cell texts, each position a merge covers holding the merge's text.

    pdfplumber's grid has a column for each left edge and a row for each top edge of its
    cells; a position where no cell starts (``None``) is covered by a merged cell, the one
    whose box holds the position's top-left corner.
    """
    lefts = sorted({cell[0] for cell in table.cells})
    tops = sorted({cell[1] for cell in table.cells})
    rows = table.rows
    texts: dict[tuple, str | None] = {}
    for row, values in zip(rows, table.extract(), strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            if cell is not None:
                texts[cell] = _one_line(value)
    filled_rows = []
    for top, row in zip(tops, rows, strict=True):
        values = []
        for left, cell in zip(lefts, row.cells, strict=True):
            if cell is None:
                cell = next(
                    (
                        box
                        for box in table.cells
                        if box[0] <= left < box[2] and box[1] <= top < box[3]
                    ),
                    None,
                )
            values.append(texts.get(cell) if cell is not None else None)
        filled_rows.append(values)
    return filled_rows


def _one_line(text: str | None) -> str | None:
    """A cell's text with the lines it wraps over joined by spaces."""
    return " ".join((text or "").split()) or None


def _join(parts: list[_Part]) -> list[_Joined]:
    """Join each table at the top of a page, as wide as the last one of the page before, to it.

    Rows at its start that repeat the first rows of the table it goes on from (its header,
    repeated on each page) are left out. Rows are labelled with their page and their row
    number in that page's table.
    """
    tables: list[_Joined] = []
    for part in parts:
        current = tables[-1] if tables else None
        if (
            current is not None
            and part.at_top
            and current.last_page == part.page - 1
            and current.columns == part.columns
        ):
            start = _repeated_rows(current.head, part.rows)
            current.last_page = part.page
        else:
            current = _Joined(part.rows, part.columns, part.page, [], [])
            tables.append(current)
            start = 0
        for index in range(start, len(part.rows)):
            current.rows.append(part.rows[index])
            current.labels.append(
                _("p. %(page)d, row %(row)d") % {"page": part.page, "row": index + 1}
            )
    return tables


def _repeated_rows(head: list[list[str | None]], rows: list[list[str | None]]) -> int:
    """How many of ``rows``, from the first, repeat ``head``'s first rows (same texts)."""
    count = 0
    while (
        count < min(len(head), len(rows))
        and any(filled(value) for value in rows[count])
        and _key(rows[count]) == _key(head[count])
    ):
        count += 1
    return count


def _key(row: list[str | None]) -> list[str]:
    key = [normalise(value) for value in row]
    while key and not key[-1]:
        key.pop()
    return key


# D:YYYYMMDDHHmmSS, all but the year optional, then Z or an offset +HH'mm' (PDF 1.7, 7.9.4).
_PDF_DATE = re.compile(
    r"(?:D:)?(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?\s*(?:(Z)|([+-])(\d\d)'?(\d\d)?'?)?"
)


def _pdf_date(value: Any) -> datetime.datetime | None:
    """A date of the PDF's document information ("D:20221130120000+01'00'"), or None."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    match = _PDF_DATE.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, utc, sign, hours, minutes = match.groups()
    try:
        moment = datetime.datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
        )
        if utc:
            return moment.replace(tzinfo=datetime.UTC)
        if sign:
            offset = datetime.timedelta(hours=int(hours), minutes=int(minutes or 0))
            return moment.replace(tzinfo=datetime.timezone(-offset if sign == "-" else offset))
    except (ValueError, OverflowError):
        return None
    return aware(moment)

"""Spreadsheet and JSON files of a list of recommendations, ready to circulate.

The rows come from ``RecommendationResource`` (django-import-export); this module adds what a
circulated Matrix needs: a title ("Progress of the IER recommendations, as of <date>") with the
filters applied, a frozen header row, column widths, wrapped text, an autofilter, and the status
cells coloured as on the site (their label kept as text).

Formula injection: a text cell can never run as a formula. XLSX and ODS cells are written as
typed strings (a string starting with "=" stays a string), and in CSV every cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with an apostrophe, which
Excel and LibreOffice read as "text".
"""

import csv
import datetime
import io
import json
import re
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from recommendations.charts import text_colour
from recommendations.resources import RecommendationResource

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "json": "application/json",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Column widths in characters; others get DEFAULT_WIDTH.
WIDTHS = {
    "code": 7,
    "number": 8,
    "short_title": 30,
    "text": 60,
    "cluster": 8,
    "section": 9,
    "section_title": 30,
    "public_remarks": 40,
    "internal_remarks": 40,
    "topics": 30,
}
DEFAULT_WIDTH = 18


@dataclass
class Export:
    """A list of recommendations to write, with what its title says about it."""

    rows: list
    filters: list[str] = field(default_factory=list)  # "Cluster: II. Judiciary", ...
    name: str = "matrix"  # the file name: ier-<name>-<date>-<about>.xlsx
    about: str = ""  # the filters, e.g. "cluster-II-assessment-none"
    internal: bool = False
    as_of: datetime.datetime = field(default_factory=timezone.now)

    def __post_init__(self) -> None:
        self.resource = RecommendationResource(internal=self.internal)
        self.dataset = self.resource.export(self.rows, force_native_type=True)
        self.keys = self.resource.keys

    @property
    def has_demo_values(self) -> bool:
        column = self.keys.index("demonstration")
        return any(row[column] for row in self.dataset)

    def title_lines(self) -> list[str]:
        lines = [
            gettext("Progress of the IER recommendations, as of %(date)s")
            % {"date": date_format(timezone.localtime(self.as_of), "j F Y")},
            gettext("Filters: %(filters)s")
            % {"filters": "; ".join(self.filters) or gettext("none (all recommendations)")},
        ]
        if self.has_demo_values:
            lines.append(
                gettext(
                    "Contains demonstration data, not official: see the column "
                    "“Demonstration values”."
                )
            )
        if self.internal:
            lines.append(gettext("Contains internal columns: not for publication."))
        return lines

    def filename(self, extension: str) -> str:
        date = timezone.localtime(self.as_of).date().isoformat()
        return "-".join(part for part in ("ier", self.name, date, self.about) if part) + (
            f".{extension}"
        )

    def status_colours(self) -> dict[int, dict[str, str]]:
        """Column index -> status label -> colour, for the status columns."""
        colours: dict[int, dict[str, str]] = {}
        for column in RecommendationResource.STATUS_COLUMNS:
            index = self.keys.index(column)
            colours[index] = {}
            for rec in self.rows:
                status = getattr(rec, column)
                if status is not None:
                    colours[index][status.label] = status.colour
        return colours

    def render(self, extension: str) -> bytes:
        return {"csv": to_csv, "xlsx": to_xlsx, "ods": to_ods, "json": to_json}[extension](self)


def file_name_part(filterset) -> str:
    """``cluster-II-assessment-none`` for a Matrix filtered by cluster II and no assessment."""
    parts = []
    for name, values in filterset.active.items():
        parts += [name.replace("_", "-"), *values]
    if filterset.form.cleaned_data.get("q"):
        parts.append("search")
    if filterset.form.cleaned_data.get("changed_since"):
        parts += ["since", filterset.form.cleaned_data["changed_since"].isoformat()]
    return re.sub(r"[^A-Za-z0-9.]+", "-", "-".join(parts))[:100].strip("-")


def neutralise(value):
    """A CSV cell that Excel or LibreOffice would read as a formula, prefixed to read as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def to_csv(export: Export) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens accented text correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(export.dataset.headers)
    for row in export.dataset:
        writer.writerow([neutralise(_plain(value)) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_json(export: Export) -> bytes:
    document = {
        "title": export.title_lines()[0],
        "as_of": export.as_of.isoformat(),
        "filters": export.filters,
        "columns": dict(zip(export.keys, export.dataset.headers, strict=True)),
        "rows": [
            {key: _plain(value) for key, value in zip(export.keys, row, strict=True)}
            for row in export.dataset
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def to_xlsx(export: Export) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Recommendations")[:31]
    title_lines = export.title_lines()
    for number, line in enumerate(title_lines, start=1):
        cell = sheet.cell(row=number, column=1, value=line)
        cell.data_type = "s"
        cell.font = Font(bold=number == 1, size=14 if number == 1 else 11)
    header_row = len(title_lines) + 2
    header_fill = PatternFill("solid", fgColor="DDDDDD")
    wrap = Alignment(wrap_text=True, vertical="top")
    for column, header in enumerate(export.dataset.headers, start=1):
        cell = sheet.cell(row=header_row, column=column, value=header)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = wrap
    colours = export.status_colours()
    fills: dict[str, tuple[PatternFill, Font]] = {}
    for offset, row in enumerate(export.dataset, start=1):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=header_row + offset, column=column, value=value)
            cell.alignment = wrap
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever it starts with
            elif isinstance(value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
            colour = colours.get(column - 1, {}).get(value)
            if colour:
                if colour not in fills:
                    fills[colour] = (
                        PatternFill("solid", fgColor=colour.lstrip("#").upper()),
                        Font(color=text_colour(colour).lstrip("#").upper()),
                    )
                cell.fill, cell.font = fills[colour]
    for column, key in enumerate(export.keys, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = WIDTHS.get(key, DEFAULT_WIDTH)
    last = f"{get_column_letter(len(export.keys))}{header_row + len(export.dataset)}"
    sheet.auto_filter.ref = f"A{header_row}:{last}"
    sheet.freeze_panes = f"A{header_row + 1}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_ods(export: Export) -> bytes:
    from recommendations import ods  # odfpy is imported only when an ODS is asked for

    return ods.write(export)

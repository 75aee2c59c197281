"""Spreadsheet and JSON files of a list of recommendations, ready to circulate.

The rows come from ``RecommendationResource`` (django-import-export); this module adds what a
circulated Matrix needs: a title ("Progress of the IER recommendations, as of <date>") with the
filters applied, a frozen header row, column widths, wrapped text, an autofilter, and the status
cells coloured as on the site (their label kept as text).

The spreadsheets are written by ``recommendations.spreadsheets``, the site's one writer (where
formula injection is dealt with); this module writes the JSON.
"""

import datetime
import json
import re
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from recommendations import spreadsheets
from recommendations.resources import RecommendationResource

FORMATS = {**spreadsheets.FORMATS, "json": "application/json"}
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

    def sheet(self) -> spreadsheets.Sheet:
        return spreadsheets.Sheet(
            name=gettext("Recommendations"),
            title_lines=self.title_lines(),
            headers=self.dataset.headers,
            rows=self.dataset,
            widths=[WIDTHS.get(key, spreadsheets.DEFAULT_WIDTH) for key in self.keys],
            colours=self.status_colours(),
        )

    def render(self, extension: str) -> bytes:
        if extension == "json":
            return to_json(self)
        return to_spreadsheet(self, extension)


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


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


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


def to_spreadsheet(export: Export, extension: str) -> bytes:
    return spreadsheets.render(export.sheet(), extension)

"""Finding a table's header and what each column holds.

A header is one to three rows within the first 30 of a table, above the data: title blocks,
notes and lone footnote cells above it are passed over (a row with a single distinct value is
never a header row). Over several rows, the group and the sub-header together name the column:
"Assessment" merged over "Status" and "Date" gives "Assessment / Status" and "Assessment /
Date". Headers are recognised in English and French, with accents, ligatures, line breaks and
footnote markers ("Status*", "Date¹", "Remarks a") ignored; our own exports' headers in both
languages, and the columns the Secretariat mapped in an earlier preview, are known too.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from recommendations.importer.text import column_letter, filled, normalise
from recommendations.models import ImportColumnMapping

HEADER_SEARCH_ROWS = 30
MAX_HEADER_ROWS = 3

# Exact headers (normalised) and the field they name, besides our exports' own headers.
ALIASES: dict[str, list[str]] = {
    "number": ["no", "no.", "n", "n°", "nº", "№", "number", "numero", "num", "rec", "rec.",
               "rec no", "recommendation no", "recommendation number", "recommendation #",
               "numero de la recommandation", "n de la recommandation", "#", "ref",
               "reference", "ier recommendation", "ier no"],
    "short_title": ["short title", "title", "subject", "topic of the recommendation"],
    "short_title_fr": ["titre", "titre abrege", "objet"],
    "text": ["recommendation", "recommendation text", "text", "full text", "wording",
             "text of the recommendation", "recommendations"],
    "text_fr": ["texte", "texte de la recommandation", "recommandation", "libelle"],
    "part": ["part", "partie", "part of the report", "partie du rapport", "cluster",
             "report part", "part no"],
    "subsection": ["subsection", "sub section", "sous section", "sub-section", "subsection no"],
    "section": ["section", "section key", "cle de la section", "place in the report",
                "reference in the report", "chapter", "chapitre"],
    "responsibility": ["responsibility", "responsabilite"],
    "assessment_status": ["assessment", "assessment status", "status of assessment",
                          "statut de l evaluation", "evaluation", "etat de l evaluation",
                          "status of the assessment", "assessed"],
    "implementation_status": ["implementation", "implementation status",
                              "status of implementation", "statut de la mise en oeuvre",
                              "mise en oeuvre", "etat de la mise en oeuvre",
                              "status of the implementation"],
    "assessment_date": ["date of assessment", "assessment date", "date de l evaluation",
                        "assessed on"],
    "implementation_date": ["date of implementation", "implementation date",
                            "date de mise en oeuvre", "date de la mise en oeuvre"],
    "priority": ["priority", "priorite", "priority annex i"],
    "lead": ["mandate holder", "mandate holders", "lead", "lead mandate holders",
             "titulaire de mandat", "titulaires de mandat", "chef de file", "responsible",
             "responsable", "responsables", "addressee", "addressees", "destinataire",
             "destinataires", "entity", "entities", "organ", "organe", "lead entity",
             "responsible entity", "responsible mandate holder", "mandate holder s",
             "focal point", "assigned to"],
    "contributing": ["contributing", "contributing mandate holders", "contributeurs",
                     "titulaires de mandat contributeurs", "other mandate holders",
                     "supporting", "associated", "associes"],
    # Only a column that says it is public is published: any other remark stays internal.
    "public_remarks": ["public remarks", "observations publiques", "public comments",
                       "remarques publiques"],
    "internal_remarks": ["internal remarks", "internal comments", "observations internes",
                         "internal notes", "remarks", "comments", "observations",
                         "commentaires", "notes", "remarques"],
}  # fmt: skip
# Columns of our own export that are derived or dated, so not imported (no warning for them).
READ_ONLY = ("code", "cluster", "section_title", "topics", "last_change",
             "demonstration")  # fmt: skip
# Our export's dated columns: the day each status took effect.
EXPORT_DATES = {"assessment_status_since": "assessment_date",
                "implementation_status_since": "implementation_date"}  # fmt: skip
STATUS_FIELDS = ("assessment_status", "implementation_status")
NUMBER_SIGNS = ("#", "№", "N°", "Nº", "n°", "nº")  # headers that normalise to nothing or "n"
DATE_FIELDS = {
    "assessment_date": "assessment_status",
    "implementation_date": "implementation_status",
}


def importable_fields() -> list[tuple[str, str]]:
    """The fields a column can be assigned to in the preview, with their labels."""
    return [
        ("short_title", _("Short title")),
        ("text", _("Text")),
        ("short_title_fr", _("Short title in French")),
        ("text_fr", _("Text in French")),
        ("part", _("Part of the report (“II. Human Resources”)")),
        ("section", _("Section (key, such as I.A.4, or “A. Title”)")),
        ("subsection", _("Subsection (“3. Title”)")),
        ("responsibility", _("Responsibility")),
        ("assessment_status", _("Assessment status")),
        ("assessment_date", _("Date of the assessment status")),
        ("implementation_status", _("Implementation status")),
        ("implementation_date", _("Date of the implementation status")),
        ("priority", _("Priority (report annex I)")),
        ("lead", _("Lead mandate-holders")),
        ("contributing", _("Contributing mandate-holders")),
        ("public_remarks", _("Public remarks")),
        ("internal_remarks", _("Internal remarks")),
    ]


@dataclass
class Column:
    index: int
    header: str  # as the file writes it, groups joined with " / "
    field: str | None  # "" known but not imported (or ignored by choice); None: unknown
    chosen: bool = False  # the field was chosen in the preview
    note: str = ""  # why it is read or ignored, when that is not obvious

    @property
    def letter(self) -> str:
        return column_letter(self.index)

    @property
    def label(self) -> str:
        return f"{self.letter} ({self.header})"

    @property
    def field_label(self) -> str:
        """What the column is read as, for the preview."""
        return dict(importable_fields()).get(self.field or "", self.field or "")


@dataclass
class Header:
    first_row: int  # 0-based index of the header's first row
    last_row: int  # 0-based index of its last row: data starts below
    columns: list[Column]

    def field_columns(self) -> dict[str, Column]:
        found: dict[str, Column] = {}
        for column in self.columns:
            if column.field:
                found.setdefault(column.field, column)
        return found


def header_aliases() -> tuple[dict[str, str], list[tuple[str, str]]]:
    """normalised header -> field (or "" for a known column that is not imported), and the
    Secretariat's saved mappings (those naming a field the import has)."""
    from recommendations.resources import RecommendationResource

    aliases = {normalise(alias): name for name, names in ALIASES.items() for alias in names}
    resource = RecommendationResource(internal=True)
    for language in ("en", "fr"):
        with translation.override(language):
            for key, header in zip(resource.keys, resource.get_export_headers(), strict=True):
                target = "" if key in READ_ONLY else EXPORT_DATES.get(key, key)
                if language == "fr" and key in ("text", "short_title"):
                    target = f"{key}_fr"  # a French export carries the French text
                aliases.setdefault(normalise(header), target)
    # The Secretariat's own choices, saved from earlier previews, come last and win.
    allowed = {name for name, _label in importable_fields()} | {""}
    mappings = [
        (header, field)
        for header, field in ImportColumnMapping.objects.values_list("header", "field")
        if field in allowed
    ]
    aliases.update(mappings)
    return aliases, mappings


# Footnote markers after a header: "Status*", "Date¹", "Status (1)", "Remarks a", "Date 2".
_FOOTNOTE = re.compile(r"(?:\s*(?:[*†‡§¹²³⁴⁵⁶⁷⁸⁹⁰]+|\(\w\)|\[\w\]|(?<=[^\W\d_])\d|\s\d|\s[a-e]))+$")


def strip_footnote(text: str) -> str:
    return _FOOTNOTE.sub("", text.strip()).strip()


def _keyword_field(text: str) -> str | None:
    """A header's field by the words in it, when no alias names it exactly."""
    words = set(text.split())

    def has(*stems: str) -> bool:
        return any(word.startswith(stem) for word in words for stem in stems)

    french = has("franc", "fr") or "fr" in words
    if has("intern", "interne", "confidential", "confidentiel"):
        return "internal_remarks" if has("remark", "comment", "observ", "note") else None
    if has("date", "since", "depuis", "when", "quand"):
        if has("assess", "evalu"):
            return "assessment_date"
        if has("implement", "oeuvre", "progress"):
            return "implementation_date"
        return "status_date"
    if has("assess", "evalu"):
        return "assessment_status"
    if has("implement", "oeuvre"):
        return "implementation_status"
    if has("status", "statut", "etat", "stage"):
        return "status"
    if has("contribut", "support", "associ"):
        return "contributing"
    if has("mandat", "responsib", "responsable", "lead", "addressee", "destinataire", "owner"):
        return "lead"
    if has("priorit"):
        return "priority"
    if has("remark", "comment", "observ", "remarque", "note"):
        return "public_remarks" if has("public", "publique") else "internal_remarks"
    if has("title", "titre"):
        return "short_title_fr" if french else "short_title"
    if has("texte", "recommandation") or (has("text", "recommendation") and french):
        return "text_fr"
    if has("text", "recommendation", "wording"):
        return "text"
    if has("subsection", "sous") and has("section"):
        return "subsection"
    if has("section", "chapter", "chapitre"):
        return "section"
    if has("part", "partie", "cluster"):
        return "part"
    return None


def classify(header: str, aliases: dict[str, str]) -> str | None:
    """The field a header names, or None when it is unknown."""
    if header.strip() in NUMBER_SIGNS:
        return "number"
    for candidate in (header, strip_footnote(header)):
        key = normalise(candidate)
        if key and key in aliases:
            return aliases[key]
    parts = [normalise(strip_footnote(part)) for part in header.split(" / ")]
    parts = [part for part in parts if part]
    if not parts:
        return None
    if parts[-1] in aliases and aliases[parts[-1]] == "number":
        return "number"  # "Recommendation / No."
    if len(parts) > 1:
        whole = " ".join(parts)
        if whole in aliases:
            return aliases[whole]
        found = _keyword_field(whole)
        if found:
            return found
    return aliases.get(parts[-1]) if parts[-1] in aliases else _keyword_field(parts[-1])


def _row_values(row: list[Any]) -> list[str]:
    return [" ".join(str(v).split()) if filled(v) else "" for v in row]


def _is_single_value(row: list[Any]) -> bool:
    """A title, a note or a lone footnote cell: at most one distinct value in the row."""
    return len({value for value in _row_values(row) if value}) <= 1


def compose(rows: list[list[Any]]) -> list[str]:
    """The header of each column over several rows: distinct values top-down, " / "-joined."""
    width = max((len(row) for row in rows), default=0)
    headers = []
    for column in range(width):
        parts: list[str] = []
        for row in rows:
            value = _row_values(row)[column] if column < len(row) else ""
            if value and (not parts or parts[-1] != value):
                parts.append(value)
        headers.append(" / ".join(parts))
    return headers


def find_header(rows: list[list[Any]], aliases: dict[str, str]) -> Header | None:
    """The header band: its first row is the first with a number column; the rows under it
    that hold no recommendation number join it (up to three rows in all), unless they make
    fewer columns known. None when the table has no recommendation-number column."""
    from recommendations.models import parse_recommendation_reference

    def columns_of(band: list[list[Any]]) -> list[Column]:
        return [
            Column(index, header, classify(header, aliases))
            for index, header in enumerate(compose(band))
            if header
        ]

    for first in range(min(HEADER_SEARCH_ROWS, len(rows))):
        columns = columns_of(rows[first : first + 1])
        if _is_single_value(rows[first]) and [c.field for c in columns[:1]] != ["number"]:
            continue  # a title, a note, a footnote mark; not a lone "No." column
        number = next((c for c in columns if c.field == "number"), None)
        if number is None:
            continue
        height = 1
        while height < MAX_HEADER_ROWS and first + height < len(rows):
            below = rows[first + height]
            cell = below[number.index] if number.index < len(below) else None
            if _is_single_value(below) or (
                filled(cell) and parse_recommendation_reference(cell) is not None
            ):
                break
            taller = columns_of(rows[first : first + height + 1])
            known = sum(1 for c in taller if c.field is not None)
            if known < sum(1 for c in columns if c.field is not None) or not any(
                c.field == "number" for c in taller
            ):
                break
            columns, height = taller, height + 1
        # A group row above ("Assessment" over "Status" and "Date") when the number's header
        # is only on the row below it.
        while height < MAX_HEADER_ROWS and first > 0:
            above = rows[first - 1]
            if (
                _is_single_value(above)
                and number.index < len(above)
                and filled(above[number.index])
            ):
                break  # a title over the whole table
            taller = columns_of(rows[first - 1 : first + height])

            def named(band: list[Column]) -> int:  # columns whose field the band names
                return sum(1 for c in band if c.field not in (None, "status", "status_date"))

            if named(taller) <= named(columns) or not any(c.field == "number" for c in taller):
                break
            columns, height, first = taller, height + 1, first - 1
        return Header(first, first + height - 1, columns)
    return None


def settle_columns(header: Header, data: list[list[Any]], vocabularies) -> None:
    """Decide what the keyword rules left open, and ignore duplicates with a note.

    A bare "Status" is the vocabulary most of its values belong to; a date column with no
    status named is the date of the status column on its left.
    """
    for column in header.columns:
        if column.field == "status":
            values = [row[column.index] for row in data if column.index < len(row)]
            column.field = vocabularies.which_status(values)
            column.note = _("read as %(field)s from its values") % {
                "field": dict(importable_fields())[column.field]
            }
    last_status: str | None = None
    for column in header.columns:
        if column.field in STATUS_FIELDS:
            last_status = column.field
        elif column.field == "status_date":
            if last_status is None:
                column.field = None
                column.note = _("a date, but of which status? No status column on its left")
            else:
                column.field = (
                    "assessment_date"
                    if last_status == STATUS_FIELDS[0]
                    else ("implementation_date")
                )
    seen: dict[str, Column] = {}
    for column in header.columns:
        if column.field and column.field in seen:
            column.note = _("ignored: column %(other)s already gives this") % {
                "other": seen[column.field].label
            }
            column.field = ""
        elif column.field:
            seen[column.field] = column

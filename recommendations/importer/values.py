"""Reading the values in a Matrix's cells: statuses, mandate-holders, dates, choices, sections.

Every lookup the planner needs is read once (``Vocabularies``: a fixed number of queries
whatever the number of rows). Words are compared with ``fold_inflections``: case, accents,
ligatures, punctuation, French gender and number ("évalué(e)(s)") ignored. A known term
followed by a note ("Positively assessed (Bureau decision, 2022)", "Implemented - see
ICC-ASP/23/20") is read as that term, and the note is kept.
"""

import datetime
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import translation

from recommendations.importer.structure import Places
from recommendations.importer.text import filled, fold_inflections, normalise
from recommendations.models import (
    AssessmentStatus,
    Cluster,
    ImplementationStatus,
    MandateHolder,
    Recommendation,
    Section,
    ValueAlias,
)

# A note after a term starts with one of these (the term itself is what comes before).
_NOTE_START = re.compile(r"^\s*(?:[(\[\-\u2013\u2014;:,/]|see\b|voir\b|cf\b|per\b|selon\b)", re.I)
# Several mandate-holders in one cell.
_HOLDER_SEPARATORS = re.compile(r"(\s*(?:[;,/+&\n]|\band\b|\bet\b)\s*)", re.IGNORECASE)
NO_VALUE = object()  # an alias that says "this cell gives no value" ("N/A")


@dataclass(frozen=True)
class Reading:
    """What a cell was read as: the term (a model instance, a choice value, or NO_VALUE) and
    the note that followed it, if any."""

    term: Any
    note: str = ""


class Lookup:
    """Folded word -> term, with the note-splitting rule."""

    def __init__(self) -> None:
        self.terms: dict[str, Any] = {}
        self.longest = 0  # characters of the longest term: no cut is tried beyond it

    def add(self, word: str, term: Any, *, override: bool = False) -> None:
        key = fold_inflections(word)
        if key and (override or key not in self.terms):
            self.terms[key] = term
            self.longest = max(self.longest, len(word) + 10)

    def read(self, value: Any) -> Reading | None:
        text = " ".join(str(value).split())
        if len(text) <= self.longest:
            found = self.terms.get(fold_inflections(text))
            if found is not None:
                return Reading(found)
        # The longest beginning that is a term and is followed by a note.
        head_text = text[: self.longest + 1]
        cuts = [m.start() for m in re.finditer(r"[^\w]+", head_text) if m.start() > 0]
        for cut in sorted(cuts, reverse=True):
            head, rest = text[:cut], text[cut:]
            term = self.terms.get(fold_inflections(head))
            if term is not None and _NOTE_START.match(rest):
                note = rest.strip(" \t-\u2013\u2014;:,/")
                if note.startswith(("(", "[")) and note.endswith((")", "]")):
                    note = note[1:-1].strip()
                return Reading(term, note)
        return None


class Vocabularies:
    """Every term the import can read, and the recommendations the file names.

    ``for_update``: the apply locks the recommendations' rows while it plans and writes (in a
    statement of its own, so that the next one reads what a writer it waited for committed).
    ``state`` changes whenever the vocabularies, aliases or column mappings change; each
    recommendation's ``version`` (its latest history record) says whether it changed.
    """

    def __init__(self, numbers: set[int], *, mappings=(), for_update: bool = False) -> None:
        aliases = list(ValueAlias.objects.all())
        assessments = list(AssessmentStatus.objects.all())
        implementations = list(ImplementationStatus.objects.all())
        holders = list(MandateHolder.objects.all())
        self.assessment = self._statuses(assessments)
        self.implementation = self._statuses(implementations)
        self.status_by_key = {
            ValueAlias.Kind.ASSESSMENT: {status.key: status for status in assessments},
            ValueAlias.Kind.IMPLEMENTATION: {status.key: status for status in implementations},
        }
        self.holders_by_slug: dict[str, MandateHolder] = {}
        self.holders = Lookup()
        for holder in holders:
            self.holders_by_slug[holder.slug] = holder
            for name in (holder.abbreviation, holder.abbreviation_fr, holder.slug):
                if name:
                    self.holders.add(name, holder, override=True)
            for name in (holder.name, holder.name_fr):
                if name:
                    self.holders.add(name, holder)
                    bare = re.sub(r"^(?:the|le|la|les|l)\s+", "", normalise(name))
                    self.holders.add(bare, holder)
        lookups = {
            ValueAlias.Kind.ASSESSMENT: self.assessment,
            ValueAlias.Kind.IMPLEMENTATION: self.implementation,
        }
        for alias in aliases:
            if alias.kind == ValueAlias.Kind.MANDATE_HOLDER:
                target = self.holders_by_slug.get(alias.target) if alias.target else NO_VALUE
                lookup = self.holders
            elif alias.kind in lookups:
                lookup = lookups[alias.kind]
                target = (
                    self.status_by_key[alias.kind].get(alias.target) if alias.target else NO_VALUE
                )
            else:
                continue
            if target is not None:
                lookup.add(alias.value, target, override=True)
        self.responsibility = self._choices(Recommendation.Responsibility)
        self.priority = self._choices(Recommendation.Priority)
        parts = list(Cluster.objects.all())
        sections = list(Section.objects.select_related("cluster", "parent"))
        self.places = Places(parts, sections)
        history = Recommendation.history.model.objects
        latest = history.filter(id=OuterRef("pk")).order_by("-history_id").values("history_id")
        recommendations = (
            Recommendation.objects.select_related(
                "section__parent__parent__parent", "assessment_status", "implementation_status"
            )
            .annotate(version=Subquery(latest[:1]))
            .prefetch_related("assignments__mandate_holder")
            .filter(number__in=sorted(numbers))
        )
        if for_update:
            list(
                Recommendation.objects.select_for_update()
                .filter(number__in=sorted(numbers))
                .values_list("pk", flat=True)
            )
        self.recommendations = {r.number: r for r in recommendations}
        vocabulary = [
            *((a.kind, a.value, a.target) for a in aliases),
            *((s.key, s.label_en, s.label_fr) for s in (*assessments, *implementations)),
            *((h.slug, h.name, h.name_fr, h.abbreviation, h.abbreviation_fr) for h in holders),
            *((p.code, p.name) for p in parts),
            *((s.key, s.title, s.code) for s in sections),
            *sorted(mappings),
        ]
        self.state = hashlib.sha256(repr(vocabulary).encode()).hexdigest()[:16]

    @staticmethod
    def _statuses(statuses: list) -> Lookup:
        lookup = Lookup()
        for status in statuses:
            for label in (status.label_en, status.label_fr, status.key):
                if label:
                    lookup.add(label, status)
        return lookup

    @staticmethod
    def _choices(choices) -> Lookup:
        lookup = Lookup()
        for value, label in choices.choices:
            lookup.add(value, value)
            for language in ("en", "fr"):
                with translation.override(language):
                    lookup.add(str(label), value)
        return lookup

    def which_status(self, values: list[Any]) -> str:
        """ "assessment_status" or "implementation_status": the one most values belong to."""
        assessment = implementation = 0
        for value in values:
            if filled(value):
                assessment += self.assessment.read(value) is not None
                implementation += self.implementation.read(value) is not None
        return "implementation_status" if implementation > assessment else "assessment_status"

    def read_holders(self, value: Any) -> tuple[list[MandateHolder], list[str]]:
        """The mandate-holders a cell names, and the parts it could not read.

        Names may hold a separator themselves ("Committee on Budget and Finance"): the cell is
        cut into the fewest known names, unknown parts counted first.
        """
        text = " ".join(str(value).replace("\n", " ; ").split())
        pieces = _HOLDER_SEPARATORS.split(text)
        tokens = pieces[0::2]  # names and separators alternate
        separators = pieces[1::2]
        count = len(tokens)
        # best[i]: (unknown parts, parts, cut points) for tokens[:i]
        best: list[tuple[int, int, list[int]] | None] = [None] * (count + 1)
        best[0] = (0, 0, [])
        widest = 12  # tokens in the longest name ("Board of Directors of the Trust Fund...")
        for end in range(1, count + 1):
            for start in range(max(0, end - widest), end):
                if best[start] is None:
                    continue
                segment = self._join(tokens, separators, start, end)
                known = self._holder(segment, end - start == 1) is not None if segment else True
                if not known and end - start > 1:
                    continue
                unknown, parts, cuts = best[start]
                candidate = (unknown + (0 if known else 1), parts + 1, [*cuts, end])
                if best[end] is None or candidate[:2] < best[end][:2]:
                    best[end] = candidate
        holders: list[MandateHolder] = []
        unknown_parts: list[str] = []
        start = 0
        for end in best[count][2]:
            segment = self._join(tokens, separators, start, end)
            start = end
            if not segment:
                continue
            reading = self._holder(segment, True)
            if reading is None:
                unknown_parts.append(segment)
            elif reading.term is not NO_VALUE and reading.term not in holders:
                holders.append(reading.term)
        return holders, unknown_parts

    def _holder(self, segment: str, single: bool) -> Reading | None:
        """A name as a whole; one piece of the cell may also carry a note ("OTP (lead)")."""
        if single:
            return self.holders.read(segment)
        term = self.holders.terms.get(fold_inflections(segment))
        return Reading(term) if term is not None else None

    @staticmethod
    def _join(tokens: list[str], separators: list[str], start: int, end: int) -> str:
        text = tokens[start]
        for index in range(start + 1, end):
            text += separators[index - 1] + tokens[index]
        return text.strip()


#
# Dates
#

MONTHS = {
    **{name: number for number, name in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"], start=1)},
    **{name: number for number, name in enumerate(
        ["janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout",
         "septembre", "octobre", "novembre", "decembre"], start=1)},
}  # fmt: skip
_SHORT_MONTHS = {name[:3]: number for name, number in MONTHS.items()}
_SHORT_MONTHS.update({"sept": 9, "juil": 7, "janv": 1, "fev": 2, "fevr": 2, "avr": 4,
                      "dec": 12, "june": 6, "july": 7, "aou": 8})  # fmt: skip


def _month(word: str) -> int | None:
    """A month's name or its usual abbreviation ("Nov", "nov.", "sept", "févr"); not any word
    that starts like one ("Decided", "Marked")."""
    word = normalise(word)
    return MONTHS.get(word) or _SHORT_MONTHS.get(word)


def read_date(value: Any) -> datetime.date | None:
    """A date as a spreadsheet or a person writes it; a month alone is its first day.

    Cell dates, Excel day numbers, 2022-11-30, 30/11/2022 (day first, as outside the United
    States), 30.11.2022, 30 Nov 2022, 30 novembre 2022, 1er décembre 2022, November 30, 2022,
    Nov. 2022, 2022-11. None when it is not a date.
    """
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # an Excel day number: 1954-2119
            return datetime.date(1899, 12, 30) + datetime.timedelta(days=int(value))
        return None
    text = " ".join(str(value).split()).strip().rstrip(".")
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.+Z-]*)?", text):
            return datetime.date.fromisoformat(text[:10])
        match = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            if len(match.group(3)) == 2:
                year += 2000 if year < 70 else 1900
            return datetime.date(year, month, day)
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
        if match:
            return datetime.date(int(match.group(1)), int(match.group(2)), 1)
        match = re.fullmatch(r"(\d{1,2})(?:er|st|nd|rd|th)?\s+([^\W\d]+)\.?,?\s+(\d{4})", text)
        if match and _month(match.group(2)):
            return datetime.date(int(match.group(3)), _month(match.group(2)), int(match.group(1)))
        match = re.fullmatch(r"([^\W\d]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", text)
        if match and _month(match.group(1)):
            return datetime.date(int(match.group(3)), _month(match.group(1)), int(match.group(2)))
        match = re.fullmatch(r"([^\W\d]+)\.?,?\s+(\d{4})", text)
        if match and _month(match.group(1)):
            return datetime.date(int(match.group(2)), _month(match.group(1)), 1)
    except ValueError:
        return None
    return None

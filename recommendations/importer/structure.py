"""A recommendation's place in the report, from a Matrix's structure columns.

A "Section" cell may hold a key ("II.A.3"), or a number and a title ("A. General"), with
"Part" ("II. Human Resources") and "Subsection" ("3. Recruitment") columns beside it. The
place is the deepest section they name; a part or section the tracker does not have yet is
planned as new (``NewPart``, ``NewSection``), with the title the file gives it and the file as
its source, and created by the apply before the recommendations are placed. A new level the
file names without a title cannot be created: that is a problem for its cell.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from recommendations.importer.text import normalise

KEY = re.compile(r"^[IVX]+(?:\.[A-Za-z0-9()]+)+$")
# "II. Human Resources", "Part II - Human Resources", "Partie II : Ressources humaines",
# "A. General", "3) Recruitment", "(2) Executive Committee", "II", "A".
_NUMBERED = re.compile(
    r"^\s*(?:(?:part(?:ie)?|cluster|section|sous-section|subsection|chapter|chapitre)\s+)?"
    r"(?P<code>\([0-9]+\)|[IVX]+|[A-Z]|[0-9]+)(?![\w])\s*[.):\-\u2013\u2014]?\s*(?P<title>.*)$",
    re.IGNORECASE,
)


@dataclass
class NewPart:
    code: str
    title: str
    where: str


@dataclass
class NewSection:
    key: str
    code: str
    title: str
    parent_key: str  # "" under the part itself
    where: str

    @property
    def part(self) -> str:
        return self.key.split(".", 1)[0]


def numbered(text: str) -> tuple[str, str] | None:
    """(number, title) of "II. Human Resources"; None when it starts with no number."""
    match = _NUMBERED.match(" ".join(str(text).split()))
    if not match:
        return None
    return match.group("code"), match.group("title").strip()


# "1. The OTP Structure; 2. The OTP Regulatory Framework": a cell naming several levels.
_SEVERAL = re.compile(r"[;\n]\s*\(?[0-9A-Z]{1,3}[.)]\s")
# A level below, in the same cell: "3. (2) Executive Committee", "3. Title: (1) Subtitle".
_NESTED = re.compile(r"^(?P<title>[^()]*?)(?::\s*|^)\((?P<code>[0-9]{1,2})\)\s*(?P<rest>.*)$")


def levels(text: str) -> list[tuple[str, str]] | None:
    """The levels a structure cell names, outermost first: "3. (2) Executive Committee" gives
    [("3", ""), ("(2)", "Executive Committee")]. An empty list when the cell names several
    levels side by side (the place is then the one above); None when it starts with no number.
    """
    text = " ".join(str(text).split()) if "\n" not in str(text) else str(text).strip()
    found = numbered(text.split("\n", 1)[0])
    if found is None:
        return None
    if _SEVERAL.search(text):
        return []
    code, title = found
    nested = _NESTED.match(title)
    if nested and len(re.findall(r"\([0-9]{1,2}\)", title)) == 1:
        return [
            (code, nested.group("title").strip()),
            (f"({nested.group('code')})", nested.group("rest").strip()),
        ]
    return [(code, title)]


class Places:
    """The report's structure as the database has it, and the new levels a file adds."""

    def __init__(self, parts, sections) -> None:
        self.parts = {part.code: part for part in parts}
        self.sections = {normalise(section.key): section for section in sections}
        self.new_parts: dict[str, NewPart] = {}
        self.new_sections: dict[str, NewSection] = {}

    def read(self, part: str, section: str, subsection: str, where: str):
        """The place the cells name: (a Section, a Cluster, a NewSection or a NewPart, and how
        it reads), or a problem message (str). Empty cells give None."""
        if section and KEY.match(section.strip()):
            steps = section.strip().split(".")
            part_code, titles = steps[0], {}
            codes = steps[1:]
            if subsection:
                found = levels(subsection)
                if found is None:
                    return _("“%(value)s” does not start with a number.") % {"value": subsection}
                for code, title in found:
                    codes.append(code)
                    titles[len(codes) - 1] = title
            part_title = ""
        else:
            part_code, part_title = "", ""
            if part:
                found = numbered(part)
                if found is None or not re.fullmatch(r"[IVX]+", found[0], re.IGNORECASE):
                    return _("“%(value)s” does not start with a part number (I, II...).") % {
                        "value": part
                    }
                part_code, part_title = found[0].upper(), found[1]
            codes, titles = [], {}
            for text in (section, subsection):
                if not text:
                    continue
                found = levels(text)
                if found is None:
                    return _("“%(value)s” does not start with a number.") % {"value": text}
                if not found:
                    break  # the cell names several: the place is the level above
                for code, title in found:
                    codes.append(code)
                    titles[len(codes) - 1] = title
            if codes and not part_code:
                return _("The part of the report is missing: give a key such as II.A.3 or a "
                         "part column.")  # fmt: skip
            if not part_code:
                return None
        if len(part_code) > 8 or any(len(code) > 20 for code in codes):
            return _(
                "A part or section number this long (“%(value)s”) is not one of the report."
            ) % {"value": max([part_code, *codes], key=len)}
        key = ".".join([part_code, *codes])
        if len(key) > 40:
            return _("This place is too long to be one of the report's (key %(key)s).") % {
                "key": key[:60]
            }
        cluster = self._part(part_code, part_title, where)
        if isinstance(cluster, str):
            return cluster
        if not codes:
            return cluster
        key = part_code
        node = None
        for depth, code in enumerate(codes):
            parent_key, key = key, f"{key}.{code}"
            node = self.sections.get(normalise(key)) or self.new_sections.get(key)
            if node is None:
                title = titles.get(depth, "")
                if len(title) > 300:  # a title is only checked for a level to create
                    return _("This place is too long to be one of the report's (key %(key)s).") % {
                        "key": key
                    }
                if not title:
                    return _("Section %(key)s is not in the tracker and the file gives no title "
                             "for it: add its title (“%(code)s. Title”).") % {
                        "key": key,
                        "code": code,
                    }  # fmt: skip
                node = NewSection(key, code, title, "" if depth == 0 else parent_key, where)
                self.new_sections[key] = node
        return node

    def _part(self, code: str, title: str, where: str):
        if code in self.parts:
            return self.parts[code]
        if code in self.new_parts:
            return self.new_parts[code]
        if len(title) > 200:
            return _("This place is too long to be one of the report's (key %(key)s).") % {
                "key": code
            }
        if not title:
            return _(
                "Part %(code)s is not in the tracker and the file gives no title for it: "
                "write it as “%(code)s. Title” in a part column."
            ) % {"code": code}
        self.new_parts[code] = NewPart(code, title, where)
        return self.new_parts[code]


def label(place) -> str:
    """How the preview shows a place."""
    if isinstance(place, NewSection):
        return _("%(key)s %(title)s (new section)") % {"key": place.key, "title": place.title}
    if isinstance(place, NewPart):
        return _("%(code)s. %(title)s (new part)") % {"code": place.code, "title": place.title}
    if hasattr(place, "key"):
        return place.key
    return str(place)

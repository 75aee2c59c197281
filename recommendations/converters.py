"""The path converters: a recommendation's code, and the download formats.

``<rec:code>`` is the one place a recommendation's code in an address is read: it matches what
people type (``R14``, ``r14``, ``R014``, ``14``, and anything else up to a "/" or a ".") and
gives the view a ``Code``. Pages redirect a code written otherwise to ``R14``
(``canonical_redirect``); the API, for machines, knows ``R14`` only (``Code.strict_number``).
"""

from dataclasses import dataclass

from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import register_converter, reverse
from django.utils.translation import gettext

from recommendations.exports import FORMATS
from recommendations.models import NUMBER_MAX, NUMBER_MIN, parse_recommendation_number
from recommendations.spreadsheets import FORMATS as SPREADSHEET_FORMATS


@dataclass(frozen=True)
class Code:
    """A recommendation's code as written in the address, and its number (None if it names
    none of the 384: ``R999``, ``abc``)."""

    written: str
    number: int | None

    @property
    def canonical(self) -> str:
        return f"R{self.number}"

    def number_or_404(self) -> int:
        if self.number is None:
            raise Http404(
                gettext("There is no recommendation %(code)s.") % {"code": self.written[:20]}
            )
        return self.number

    def strict_number(self) -> int:
        """The number if written ``R14``; a 404 for any other spelling."""
        if self.number is None or self.written != self.canonical:
            raise Http404(
                gettext("There is no recommendation %(code)s.") % {"code": self.written[:20]}
            )
        return self.number

    def __str__(self) -> str:
        return self.canonical if self.number is not None else self.written


class RecommendationCode:
    regex = r"[^/.]+"

    def to_python(self, value: str) -> Code:
        number = parse_recommendation_number(value)
        if number is not None and not NUMBER_MIN <= number <= NUMBER_MAX:
            number = None
        return Code(value, number)

    def to_url(self, value) -> str:
        if isinstance(value, Code):
            return str(value)
        if isinstance(value, int):
            return f"R{value}"
        return str(value)


def canonical_redirect(request, code: Code) -> HttpResponsePermanentRedirect | None:
    """A 404 if ``code`` names no recommendation; the permanent redirect to the same address
    with the code written ``R14`` (the query kept) if it is written otherwise; else None."""
    code.number_or_404()
    if code.written == code.canonical:
        return None
    match = request.resolver_match
    url = reverse(match.view_name, args=match.args, kwargs={**match.kwargs, "code": code})
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


class ExportFormat:
    """The file formats of the downloads: ``/matrix.xlsx``, ``/recommendations/R14.csv``."""

    regex = "|".join(FORMATS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class SpreadsheetFormat(ExportFormat):
    """The spreadsheet formats only: ``/mandate-holders/otp/report.ods``."""

    regex = "|".join(SPREADSHEET_FORMATS)


register_converter(RecommendationCode, "rec")
register_converter(ExportFormat, "format")
register_converter(SpreadsheetFormat, "sheet")

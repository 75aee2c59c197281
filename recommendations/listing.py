"""What the lists and their downloads share: the Matrix, an edition, compare, the feeds and
the reporting pages page their rows, name the filters in force (each with the link that
removes it) and offer the same downloads, with these helpers."""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recommendations.editions import RowSource
from recommendations.exports import FORMATS as EXPORT_FORMATS
from recommendations.exports import Export
from recommendations.filters import with_vocabulary
from recommendations.roles import sees_internal_fields

PER_PAGE_CHOICES = (25, 50, 100, 400)
# Download links, in the order the pages offer them.
EXPORT_LABELS = [
    ("xlsx", _("Excel (XLSX)")),
    ("ods", _("OpenDocument (ODS)")),
    ("csv", _("CSV")),
    ("json", _("JSON")),
]
DEFAULT_PER_PAGE = 100


@dataclass
class ActiveFilter:
    label: str
    value: str
    remove_url: str


def query_with(params: QueryDict, **changes) -> str:
    """``params`` with ``changes`` applied (None removes a key), as ``?...`` for a link."""
    params = params.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value is not None:
            params.setlist(key, value if isinstance(value, list) else [value])
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


def per_page_from(raw: str | None, warnings: list[str]) -> int:
    if raw is None or raw == "":
        return DEFAULT_PER_PAGE
    if raw.isdigit() and int(raw) in PER_PAGE_CHOICES:
        return int(raw)
    warnings.append(
        gettext("Rows per page: “%(value)s” is not offered; showing %(default)s.")
        % {"value": raw[:20], "default": DEFAULT_PER_PAGE}
    )
    return DEFAULT_PER_PAGE


def page_from(paginator: Paginator, raw: str | None, warnings: list[str]):
    if raw is None or raw == "":
        return paginator.page(1)
    number = int(raw) if raw.isdigit() else None
    if number is None or number < 1:
        warnings.append(gettext("Page “%(value)s” is not a page number.") % {"value": raw[:20]})
        return paginator.page(1)
    if number > paginator.num_pages:
        warnings.append(
            gettext("There is no page %(number)s; showing the last page, %(last)s.")
            % {"number": raw[:20], "last": paginator.num_pages}
        )
        return paginator.page(paginator.num_pages)
    return paginator.page(number)


def active_filters(filterset, params: QueryDict) -> list[ActiveFilter]:
    """Each value in force, with the link that removes it."""
    active = []
    for name, values in filterset.active.items():
        labels = {option.value: option.label for option in filterset.options[name]}
        for value in values:
            remaining = [v for v in values if v != value]
            active.append(
                ActiveFilter(
                    str(filterset.filters[name].label),
                    labels[value],
                    query_with(params, **{name: remaining or None, "page": None}),
                )
            )
    for name in ("q", "changed_since"):
        value = filterset.form.cleaned_data.get(name)
        if value:
            active.append(
                ActiveFilter(
                    str(filterset.filters[name].label),
                    str(value),
                    query_with(params, **{name: None, "page": None}),
                )
            )
    return active


def download_response(export: Export, extension: str) -> HttpResponse:
    response = HttpResponse(export.render(extension), content_type=EXPORT_FORMATS[extension])
    response["Content-Disposition"] = f'attachment; filename="{export.filename(extension)}"'
    if export.internal:  # internal columns: never kept by a shared cache
        patch_cache_control(response, private=True, no_store=True)
    return response


def download_links(url_name: str, args: list, query: str = "") -> list[tuple[str, str]]:
    """(label, URL) of each download format."""
    return [
        (str(label), reverse(url_name, args=[*args, extension]) + query)
        for extension, label in EXPORT_LABELS
    ]


def describe_filters(filters: list[ActiveFilter]) -> list[str]:
    return [gettext("%(label)s: %(value)s") % {"label": f.label, "value": f.value} for f in filters]


def filtered_export(request, filterset, source: RowSource | None = None, **naming) -> Export:
    """Every row ``filterset`` gives, for a download (``naming``: Export's name and about).

    Editions and reconstructions hold public fields only."""
    source = source or RowSource()
    return Export(
        with_vocabulary(filterset.qs, filterset.vocabulary, topics=True),
        filters=describe_filters(active_filters(filterset, filterset.data)),
        internal=source.is_live and sees_internal_fields(request.user),
        as_of=source.moment,
        **naming,
    )

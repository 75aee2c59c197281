"""The pages of the Matrix's editions, the comparison of two moments, and the open data.

An edition's pages are the live Matrix's and dashboard's views (``views.matrix_page``,
``views.dashboard_page``) reading the edition's rows: same filters, charts and downloads.
"""

import json

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from recommendations import spreadsheets
from recommendations.editions import RowSource, compare, published_edition, source_for_key
from recommendations.exports import FORMATS as EXPORT_FORMATS
from recommendations.exports import file_name_part
from recommendations.filters import NONE, RecommendationFilterSet, Vocabulary
from recommendations.listing import (
    EXPORT_LABELS,
    active_filters,
    describe_filters,
    download_links,
    download_response,
    filtered_export,
    page_from,
    query_with,
)
from recommendations.models import NOT_YET_RECORDED, Edition
from recommendations.opendata import data_dictionary, licence
from recommendations.views import dashboard_page, matrix_page


@require_safe
def edition_list(request):
    editions = list(Edition.objects.published().select_related("session", "corrects"))
    # Each edition with the one before it, for "what moved since the previous edition".
    for index, edition in enumerate(editions):
        previous = editions[index + 1] if index + 1 < len(editions) else None
        edition.previous = previous
        edition.downloads = download_links("recommendations:edition_export", [edition.slug])
    return render(request, "recommendations/edition_list.html", {"editions": editions})


def _edition_context(request, edition: Edition) -> dict:
    return {
        "edition": edition,
        "citation": citation(request, edition),
        "corrections": list(edition.corrections.published()),
    }


@require_safe
def edition(request, slug: str):
    """The edition's Matrix: the live Matrix's view of its frozen rows."""
    edition = published_edition(slug)
    return matrix_page(
        request,
        RowSource(edition=edition),
        base=edition.get_absolute_url(),
        downloads=("recommendations:edition_export", [edition.slug]),
        context=_edition_context(request, edition),
    )


@require_safe
def edition_progress(request, slug: str):
    edition = published_edition(slug)
    return dashboard_page(
        request,
        RowSource(edition=edition),
        base=edition.get_absolute_url(),
        context=_edition_context(request, edition),
    )


@require_safe
def edition_export(request, slug: str, extension: str):
    edition = published_edition(slug)
    source = RowSource(edition=edition)
    filterset = RecommendationFilterSet(request.GET, queryset=source.rows())
    export = filtered_export(
        request,
        filterset,
        source,
        name=f"edition-{edition.slug}",
        about=file_name_part(filterset),
    )
    return download_response(export, extension)


def citation(request, edition: Edition) -> str:
    return gettext(
        "IER Tracker, “%(title)s”, state of %(date)s, published by the ASP Secretariat. %(url)s"
    ) % {
        "title": edition.title,
        "date": timezone.localtime(edition.cutoff).strftime("%Y-%m-%d %H:%M UTC"),
        "url": request.build_absolute_uri(edition.get_absolute_url()),
    }


#
# Comparison
#


def _comparison(request):
    """The two sources, the filtered rows of the later one, and what the page warns about."""
    warnings = []
    sides = {}
    for side, default in (("from", ""), ("to", "live")):
        raw = request.GET.get(side, default)
        source = source_for_key(raw) if raw else None
        if raw and source is None:
            warnings.append(
                gettext("“%(value)s” is neither a published edition, a date nor “live”.")
                % {"value": raw[:40]}
            )
        if source is not None:
            warnings += source.warnings
        sides[side] = source
    before, after = sides["from"], sides["to"] or RowSource()
    filterset = RecommendationFilterSet(request.GET, queryset=after.rows())
    warnings += filterset.warnings
    result = compare(before, after, filterset.qs) if before is not None else None
    return before, after, filterset, result, warnings


def _status_label(vocabulary_list, pk) -> str:
    if pk is None:
        return str(NOT_YET_RECORDED)
    return next((s.label for s in vocabulary_list if s.pk == pk), str(pk))


AXIS_TITLES = {
    "assessment": _("Assessment status"),
    "implementation": _("Implementation status"),
}


def _tables(result, vocabulary: Vocabulary):
    """Per axis: the statuses (with "not recorded") and the counts before x after."""
    tables = []
    for axis, statuses in (
        ("assessment", vocabulary.assessment_statuses),
        ("implementation", vocabulary.implementation_statuses),
    ):
        keys = [(s.pk, s.label, s.key) for s in statuses] + [(None, str(NOT_YET_RECORDED), NONE)]
        counts = result.transitions[axis]
        rows = []
        for before_pk, before_label, _key in keys:
            cells = [
                {"count": counts[before_pk, after_pk], "same": before_pk == after_pk}
                for after_pk, _label, _k in keys
            ]
            rows.append(
                {"label": before_label, "cells": cells, "total": sum(c["count"] for c in cells)}
            )
        moved = sum(n for (old, new), n in counts.items() if old != new)
        tables.append(
            {
                "axis": axis,
                "title": AXIS_TITLES[axis],
                "columns": [label for _pk, label, _key in keys],
                "rows": rows,
                "moved": moved,
            }
        )
    return tables


def _changed_rows(rows: list[dict], vocabulary: Vocabulary) -> list[dict]:
    lists = {
        "assessment": vocabulary.assessment_statuses,
        "implementation": vocabulary.implementation_statuses,
    }
    changed = []
    for row in rows:
        entry = {"number": row["number"], "code": f"R{row['number']}"}
        for axis in ("assessment", "implementation"):
            if axis in row:
                old, new = row[axis]
                entry[axis] = (_status_label(lists[axis], old), _status_label(lists[axis], new))
        changed.append(entry)
    return changed


UPDATES_PER_PAGE = 25  # published updates listed on a page of a comparison
CHANGED_PER_PAGE = 100  # recommendations whose status changed, on a page of a comparison


def _pages(request, paginator: Paginator, parameter: str, anchor: str, warnings) -> dict:
    """A page of one of the comparison's two lists, and the addresses of its neighbours (the
    other list stays on its page)."""
    page = page_from(paginator, request.GET.get(parameter), warnings)

    def url(number: int) -> str:
        return query_with(request.GET, **{parameter: None if number == 1 else number}) + anchor

    return {
        "page": page,
        "previous_url": url(page.previous_page_number()) if page.has_previous() else "",
        "next_url": url(page.next_page_number()) if page.has_next() else "",
    }


@require_safe
def compare_view(request):
    before, after, filterset, result, warnings = _comparison(request)
    editions = list(Edition.objects.published())
    context = {
        "before": before,
        "after": after,
        "from_value": request.GET.get("from", ""),
        "to_value": request.GET.get("to", "live"),
        "editions": editions,
        "filterset": filterset,
        "warnings": warnings,
        "active_filters": active_filters(filterset, filterset.data),
    }
    if result is not None:
        vocabulary = filterset.vocabulary
        query = request.GET.urlencode()
        updates = _pages(
            request,
            Paginator(result.updates, UPDATES_PER_PAGE),
            "page",
            "#updates-heading",
            warnings,
        )
        changed = _pages(
            request,
            Paginator(result.changed, CHANGED_PER_PAGE),
            "changed_page",
            "#changed-heading",
            warnings,
        )
        context.update(
            {
                "tables": _tables(result, vocabulary),
                "changed": changed,
                "changed_rows": _changed_rows(changed["page"].object_list, vocabulary),
                "updates": updates,
                "compared": sum(result.transitions["assessment"].values()),
                "downloads": [
                    (label, reverse("recommendations:compare_export", args=[ext]) + f"?{query}")
                    for ext, label in EXPORT_LABELS
                ],
            }
        )
    return render(request, "recommendations/compare.html", context)


@require_safe
def compare_export(request, extension: str):
    """The changed recommendations between the two moments, as a spreadsheet or JSON."""
    before, after, filterset, result, _warnings = _comparison(request)
    if result is None:
        raise Http404(gettext("Say what to compare: ?from=<edition, date or live>&to=..."))
    changed = _changed_rows(result.changed, filterset.vocabulary)
    filters = describe_filters(active_filters(filterset, filterset.data))
    name = f"ier-comparison-{before.key}-{after.key}"
    if extension == "json":
        body = json.dumps(
            {
                "from": before.key,
                "to": after.key,
                "filters": filters,
                "changed": [
                    {
                        "number": row["number"],
                        "code": row["code"],
                        **{
                            axis: {"from": row[axis][0], "to": row[axis][1]}
                            for axis in ("assessment", "implementation")
                            if axis in row
                        },
                    }
                    for row in changed
                ],
            },
            ensure_ascii=False,
            indent=2,
        ).encode()
    else:
        sheet = spreadsheets.Sheet(
            name=gettext("Comparison"),
            title_lines=[
                gettext("Comparison: %(from)s → %(to)s")
                % {"from": before.label, "to": after.label},
                gettext("Filters: %(filters)s") % {"filters": "; ".join(filters) or "-"},
            ],
            headers=[
                gettext("No."),
                gettext("Assessment status before"),
                gettext("Assessment status after"),
                gettext("Implementation status before"),
                gettext("Implementation status after"),
            ],
            rows=[
                [row["code"]]
                + [
                    value
                    for axis in ("assessment", "implementation")
                    for value in row.get(axis, ("", ""))
                ]
                for row in changed
            ],
            widths=[7, 26, 26, 26, 26],
        )
        body = spreadsheets.render(sheet, extension)
    response = HttpResponse(body, content_type=EXPORT_FORMATS[extension])
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


#
# Open data
#


@require_safe
def open_data(request):
    editions = list(Edition.objects.published())
    for edition in editions:
        edition.csv_url = reverse("recommendations:edition_export", args=[edition.slug, "csv"])
        edition.json_url = reverse("recommendations:edition_export", args=[edition.slug, "json"])
    return render(
        request,
        "recommendations/open_data.html",
        {
            "editions": editions,
            "dictionary": data_dictionary(Vocabulary()),
            "licence_name": licence()[0],
            "licence_url": licence()[1],
            "today": timezone.localdate(),
        },
    )

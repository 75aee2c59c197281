"""The public pages: dashboard, Matrix, recommendation and mandate-holder pages.

They only read (GET or HEAD; anything else gets 405).

Views stay thin: the Matrix's rows and facet counts come from ``RecommendationFilterSet``, the
charts from ``charts``, the timeline from ``history``.
"""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from recommendations.charts import mandate_holder_charts, progress_charts, trend_charts
from recommendations.converters import Code, canonical_redirect
from recommendations.editions import RowSource, source_for_day
from recommendations.exports import FORMATS as EXPORT_FORMATS
from recommendations.exports import Export, file_name_part
from recommendations.filters import (
    NONE,
    OWNER_ROLES,
    SORTS,
    RecommendationFilterSet,
    Vocabulary,
    with_vocabulary,
)
from recommendations.history import public_timeline
from recommendations.models import (
    NUMBER_MAX,
    NUMBER_MIN,
    AssemblySession,
    Edition,
    MandateAssignment,
    MandateHolder,
    ProgressStatement,
    Recommendation,
)
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
# Entries of a recommendation's history on a page (and in an API page of it by default).
TIMELINE_PER_PAGE = 20

# Matrix columns: (sort key or None, heading).
COLUMNS = [
    ("number", _("No.")),
    (None, _("Recommendation")),
    ("place", _("Cluster and section")),
    ("responsibility", _("Responsibility")),
    (None, _("Mandate-holders")),
    ("assessment", _("Assessment status")),
    ("implementation", _("Implementation status")),
    ("changed", _("Last change")),
]


@dataclass
class Column:
    heading: str
    url: str = ""
    aria_sort: str = ""


@dataclass
class ActiveFilter:
    label: str
    value: str
    remove_url: str


def _query(params: QueryDict, **changes) -> str:
    """``params`` with ``changes`` applied (None removes a key), as ``?...`` for a link."""
    params = params.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value is not None:
            params.setlist(key, value if isinstance(value, list) else [value])
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


def _per_page(raw: str | None, warnings: list[str]) -> int:
    if raw is None or raw == "":
        return DEFAULT_PER_PAGE
    if raw.isdigit() and int(raw) in PER_PAGE_CHOICES:
        return int(raw)
    warnings.append(
        gettext("Rows per page: “%(value)s” is not offered; showing %(default)s.")
        % {"value": raw[:20], "default": DEFAULT_PER_PAGE}
    )
    return DEFAULT_PER_PAGE


def _page(paginator: Paginator, raw: str | None, warnings: list[str]):
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


def _active_filters(filterset, params: QueryDict) -> list[ActiveFilter]:
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
                    _query(params, **{name: remaining or None, "page": None}),
                )
            )
    for name in ("q", "changed_since"):
        value = filterset.form.cleaned_data.get(name)
        if value:
            active.append(
                ActiveFilter(
                    str(filterset.filters[name].label),
                    str(value),
                    _query(params, **{name: None, "page": None}),
                )
            )
    return active


def _download(export: Export, extension: str) -> HttpResponse:
    response = HttpResponse(export.render(extension), content_type=EXPORT_FORMATS[extension])
    response["Content-Disposition"] = f'attachment; filename="{export.filename(extension)}"'
    if export.internal:  # internal columns: never kept by a shared cache
        patch_cache_control(response, private=True, no_store=True)
    return response


def _downloads(url_name: str, args: list, query: str = "") -> list[tuple[str, str]]:
    """(label, URL) of each download format."""
    return [
        (str(label), reverse(url_name, args=[*args, extension]) + query)
        for extension, label in EXPORT_LABELS
    ]


def _describe(filters: list[ActiveFilter]) -> list[str]:
    return [gettext("%(label)s: %(value)s") % {"label": f.label, "value": f.value} for f in filters]


def _filtered_export(request, filterset, source: RowSource | None = None, **naming) -> Export:
    """Every row ``filterset`` gives, for a download (``naming``: Export's name and about).

    Editions and reconstructions hold public fields only."""
    source = source or RowSource()
    return Export(
        with_vocabulary(filterset.qs, filterset.vocabulary, topics=True),
        filters=_describe(_active_filters(filterset, filterset.data)),
        internal=source.is_live and sees_internal_fields(request.user),
        as_of=source.moment,
        **naming,
    )


@require_safe
def matrix_export(request, extension: str):
    """The Matrix as filtered and sorted on the page, every row (not only one page)."""
    source = source_for_day(request.GET.get("as_of"))
    filterset = RecommendationFilterSet(request.GET, queryset=source.rows())
    return _download(
        _filtered_export(request, filterset, source, about=file_name_part(filterset)), extension
    )


@require_safe
def matrix(request):
    source = source_for_day(request.GET.get("as_of"))
    return matrix_page(
        request,
        source,
        base=reverse("recommendations:matrix"),
        downloads=("recommendations:matrix_export", []),
    )


def matrix_page(request, source: RowSource, *, base: str, downloads, context=None):
    """The Matrix of ``source`` (live, as of a day, or an edition) at ``base``: the same
    filters, facets, sorting, pages and downloads whatever the rows come from."""
    filterset = RecommendationFilterSet(request.GET, queryset=source.rows())
    total = filterset.count_facets()
    warnings = source.warnings + filterset.warnings
    per_page = _per_page(request.GET.get("per_page"), warnings)
    # The query string the page's links build on: without what was ignored, so a bad value
    # is reported once and not carried from page to page.
    params = filterset.data.copy()
    for name in filterset.form.errors:
        params.pop(name, None)
    if per_page == DEFAULT_PER_PAGE:
        params.pop("per_page", None)
    if not source.day:
        params.pop("as_of", None)
    paginator = Paginator(filterset.qs, per_page)
    paginator.count = total  # known from the facet query: saves a COUNT
    page = _page(paginator, request.GET.get("page"), warnings)

    sort = filterset.current_sort
    columns = []
    for key, heading in COLUMNS:
        column = Column(str(heading))
        if key:
            ascending = sort == key
            column.url = _query(params, sort=f"-{key}" if ascending else key, page=None)
            if sort.lstrip("-") == key:
                column.aria_sort = "descending" if sort.startswith("-") else "ascending"
        columns.append(column)

    active = _active_filters(filterset, params)
    download_query = _query(params, page=None, per_page=None).rstrip("?")

    facets = [
        (name, filterset.filters[name].label, filterset.options[name], name in filterset.active)
        for name in filterset.facet_names
    ]
    # What the filter form and the rows-per-page form carry along as hidden fields.
    keep_for_filters = [
        (key, params[key]) for key in ("sort", "per_page", "as_of") if params.get(key)
    ]
    keep_for_per_page = [
        (key, value)
        for key, values in params.lists()
        if key not in ("per_page", "page")
        for value in values
    ]
    url_name, args = downloads
    return render(
        request,
        "recommendations/matrix.html",
        {
            "source": source,
            "base": base,
            "clear_query": _query(QueryDict(), **source.params).rstrip("?"),
            "filterset": filterset,
            "facets": facets,
            "page": page,
            "rows": with_vocabulary(page.object_list, filterset.vocabulary),
            "total": total,
            "grand_total": NUMBER_MAX,
            "warnings": warnings,
            "columns": columns,
            "active_filters": active,
            "keep_for_filters": keep_for_filters,
            "downloads": _downloads(url_name, args, download_query),
            "keep_for_per_page": keep_for_per_page,
            "sort": sort,
            "sort_label": SORTS[sort.lstrip("-")][0],
            "per_page": paginator.per_page,
            "per_page_choices": PER_PAGE_CHOICES,
            "previous_url": _query(params, page=page.previous_page_number())
            if page.has_previous()
            else "",
            "next_url": _query(params, page=page.next_page_number()) if page.has_next() else "",
            "as_of": source.moment,
            **(context or {}),
        },
    )


@require_safe
def recommendation_detail(request, code: Code):
    if redirect_to := canonical_redirect(request, code):
        return redirect_to
    number = code.number
    recommendation = get_object_or_404(
        Recommendation.objects.for_list().prefetch_related(
            "topics",
            "sources",
            Prefetch(
                "progress_statements",
                queryset=ProgressStatement.objects.order_by("-date"),
            ),
        ),
        number=number,
    )
    assignments = list(recommendation.assignments.all())
    warnings: list[str] = []
    timeline = _page(
        Paginator(public_timeline(recommendation), TIMELINE_PER_PAGE),
        request.GET.get("page"),
        warnings,
    )
    params = QueryDict(mutable=True)
    return render(
        request,
        "recommendations/recommendation_detail.html",
        {
            "rec": recommendation,
            "owners": [a for a in assignments if a.is_owner],
            "procedural": [a for a in assignments if not a.is_owner],
            "timeline": timeline.object_list,
            "page": timeline,
            "timeline_start": timeline.paginator.count - timeline.start_index() + 1,
            "warnings": warnings,
            "previous_url": _query(params, page=timeline.previous_page_number())
            + "#timeline-heading"
            if timeline.has_previous()
            else "",
            "next_url": _query(params, page=timeline.next_page_number()) + "#timeline-heading"
            if timeline.has_next()
            else "",
            "downloads": _downloads("recommendations:detail_export", [recommendation.code]),
            "previous_code": f"R{number - 1}" if number > NUMBER_MIN else "",
            "next_code": f"R{number + 1}" if number < NUMBER_MAX else "",
            "as_of": timezone.now(),
        },
    )


@require_safe
def dashboard(request):
    return dashboard_page(request, source_for_day(request.GET.get("as_of")))


def dashboard_page(request, source: RowSource, *, base: str = "", context=None):
    """The progress charts of ``source``; each segment opens ``base`` (the Matrix by default)
    filtered to exactly its rows."""
    vocabulary = Vocabulary()
    recorded = source.rows().aggregate(
        # Demonstration values are not records: the banner announces them.
        assessment=Count(
            "pk", filter=Q(assessment_status__isnull=False, assessment_status_demo=False)
        ),
        implementation=Count(
            "pk", filter=Q(implementation_status__isnull=False, implementation_status_demo=False)
        ),
    )
    statements = list(
        ProgressStatement.objects.filter(recommendation__isnull=True)
        .select_related("session")
        .order_by("-date", "pk")
    )
    counted = [s for s in statements if s.count is not None]
    latest_date = counted[0].date if counted else None
    # The trend and "since the last session" belong to the live dashboard only.
    published = (
        list(Edition.objects.published().select_related("session")) if source.is_live else []
    )
    return render(
        request,
        "recommendations/dashboard.html",
        {
            "source": source,
            "charts": progress_charts(
                vocabulary, source.rows(), base=base, extra=source.params or None
            ),
            "trend": trend_charts(vocabulary, published) if published and source.is_live else [],
            "since": since_last_session(published) if source.is_live else None,
            "headline": [s for s in counted if s.date == latest_date],
            "issued": next((s for s in counted if s.count == NUMBER_MAX), None),
            "statements": statements,
            "recorded": recorded,
            "grand_total": NUMBER_MAX,
            "none": NONE,
            "matrix_base": base or reverse("recommendations:matrix"),
            "matrix_query": _query(QueryDict(), **source.params).rstrip("?"),
            **(context or {}),
        },
    )


def since_last_session(published) -> tuple[str, str] | None:
    """("ASP23", comparison URL): what moved since the last session that has begun, from its
    latest published edition, or from the day before it opened when none was published."""
    session = (
        AssemblySession.objects.filter(start_date__lte=timezone.localdate())
        .order_by("-start_date")
        .first()
    )
    if session is None:
        return None
    editions = [e for e in published if e.session_id == session.pk]
    start = editions[0].slug if editions else (session.start_date - timedelta(days=1)).isoformat()
    url = reverse("recommendations:compare") + "?" + urlencode({"from": start, "to": "live"})
    return session.code, url


@require_safe
def mandate_holder_list(request):
    holders = (
        MandateHolder.objects.select_related("parent")
        .annotate(
            owned=Count("assignments", filter=Q(assignments__role__in=OWNER_ROLES)),
            procedural=Count(
                "assignments", filter=Q(assignments__role=MandateAssignment.Role.PROCEDURAL)
            ),
        )
        .order_by("kind", "name")
    )
    kinds = dict(MandateHolder.Kind.choices)
    groups: dict[str, list[MandateHolder]] = {}
    for holder in holders:
        groups.setdefault(str(kinds[holder.kind]), []).append(holder)
    return render(request, "recommendations/mandate_holder_list.html", {"groups": groups})


@require_safe
def mandate_holder_detail(request, slug: str):
    holder = get_object_or_404(MandateHolder.objects.select_related("parent"), slug=slug)
    vocabulary = Vocabulary()
    owned = Recommendation.objects.filter(
        Exists(
            MandateAssignment.objects.filter(
                recommendation=OuterRef("pk"), mandate_holder=holder, role__in=OWNER_ROLES
            )
        )
    )
    procedural = Recommendation.objects.filter(
        assignments__mandate_holder=holder,
        assignments__role=MandateAssignment.Role.PROCEDURAL,
    ).select_related("assessment_status")
    return render(
        request,
        "recommendations/mandate_holder_detail.html",
        {
            "holder": holder,
            "charts": mandate_holder_charts(vocabulary, slug),
            "rows": with_vocabulary(owned, vocabulary),
            "procedural": procedural,
            "children": holder.children.all(),
            "topics": holder.overseen_topics.all(),
            "matrix_query": _query(QueryDict(), mandate_holder=slug),
            "downloads": _downloads("recommendations:mandate_holder_export", [slug]),
            "as_of": timezone.now(),
        },
    )


@require_safe
def recommendation_export(request, code: Code, extension: str):
    if redirect_to := canonical_redirect(request, code):
        return redirect_to
    number, code = code.number, code.canonical
    rows = with_vocabulary(Recommendation.objects.filter(number=number), Vocabulary(), topics=True)
    export = Export(
        rows,
        filters=[gettext("Recommendation %(code)s") % {"code": code}],
        name=code,
        internal=sees_internal_fields(request.user),
    )
    return _download(export, extension)


@require_safe
def mandate_holder_export(request, slug: str, extension: str):
    holder = get_object_or_404(MandateHolder, slug=slug)
    filterset = RecommendationFilterSet({"mandate_holder": [slug]})
    export = _filtered_export(request, filterset, name=f"mandate-holder-{holder.slug}")
    return _download(export, extension)

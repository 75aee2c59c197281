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
from django.http import QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from recommendations.charts import mandate_holder_charts, progress_charts, trend_charts
from recommendations.converters import Code, canonical_redirect
from recommendations.editions import RowSource, source_for_day
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
from recommendations.listing import (
    DEFAULT_PER_PAGE,
    PER_PAGE_CHOICES,
    active_filters,
    download_links,
    download_response,
    filtered_export,
    page_from,
    per_page_from,
    query_with,
)
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


@require_safe
def matrix_export(request, extension: str):
    """The Matrix as filtered and sorted on the page, every row (not only one page)."""
    source = source_for_day(request.GET.get("as_of"))
    filterset = RecommendationFilterSet(request.GET, queryset=source.rows())
    return download_response(
        filtered_export(request, filterset, source, about=file_name_part(filterset)), extension
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
    per_page = per_page_from(request.GET.get("per_page"), warnings)
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
    page = page_from(paginator, request.GET.get("page"), warnings)

    sort = filterset.current_sort
    columns = []
    for key, heading in COLUMNS:
        column = Column(str(heading))
        if key:
            ascending = sort == key
            column.url = query_with(params, sort=f"-{key}" if ascending else key, page=None)
            if sort.lstrip("-") == key:
                column.aria_sort = "descending" if sort.startswith("-") else "ascending"
        columns.append(column)

    active = active_filters(filterset, params)
    download_query = query_with(params, page=None, per_page=None).rstrip("?")

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
            "clear_query": query_with(QueryDict(), **source.params).rstrip("?"),
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
            "downloads": download_links(url_name, args, download_query),
            "keep_for_per_page": keep_for_per_page,
            "sort": sort,
            "sort_label": SORTS[sort.lstrip("-")][0],
            "per_page": paginator.per_page,
            "per_page_choices": PER_PAGE_CHOICES,
            "previous_url": query_with(params, page=page.previous_page_number())
            if page.has_previous()
            else "",
            "next_url": query_with(params, page=page.next_page_number()) if page.has_next() else "",
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
    timeline = page_from(
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
            "previous_url": query_with(params, page=timeline.previous_page_number())
            + "#timeline-heading"
            if timeline.has_previous()
            else "",
            "next_url": query_with(params, page=timeline.next_page_number()) + "#timeline-heading"
            if timeline.has_next()
            else "",
            "downloads": download_links("recommendations:detail_export", [recommendation.code]),
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
            "matrix_query": query_with(QueryDict(), **source.params).rstrip("?"),
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
            "matrix_query": query_with(QueryDict(), mandate_holder=slug),
            "downloads": download_links("recommendations:mandate_holder_export", [slug]),
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
    return download_response(export, extension)


@require_safe
def mandate_holder_export(request, slug: str, extension: str):
    holder = get_object_or_404(MandateHolder, slug=slug)
    filterset = RecommendationFilterSet({"mandate_holder": [slug]})
    export = filtered_export(request, filterset, name=f"mandate-holder-{holder.slug}")
    return download_response(export, extension)

"""The public JSON API: read-only, anonymous, throttled, described by an OpenAPI 3 schema.

``/api/v1/`` lists the endpoints; ``/api/schema/`` is the schema (drf-spectacular) and
``/api/docs/`` the Swagger UI reading it, served from the site's own static files (the sidecar
package), so the documentation loads without a CDN.

* The recommendations' list takes the Matrix's query parameters and uses the Matrix's
  ``RecommendationFilterSet`` unchanged. A value the schema refuses (a sort, priority or
  responsibility it does not list, a date that is not one, a page or page size out of range)
  is a 400 naming the parameter; an unknown key of a vocabulary (cluster, section, status,
  topic, mandate-holder: lists that grow with the data) is ignored and named in ``warnings``.
  An edition's rows use the same FilterSet on ``EditionRow`` and answer in the same shape.
* Every error is JSON (``{"detail": ..., "errors": ...}``) and in the schema: 400, 404 (an
  address under /api/ that names nothing included), 405, 414 (a URL over
  ``MAX_URL_LENGTH``), 429 (``errors_in_schema`` adds them to every operation).
* Pages cost a fixed number of queries whatever their length: the option lists the FilterSet
  reads anyway, a count, the rows, and their mandate-holders and topics in one query each
  (``filters.with_vocabulary``).
* Public only, for everyone: no internal field (``internal_remarks``), no staff names, no
  unpublished update. A signed-in user gets the same answers, only under the "user" rate
  instead of the "anon" one.
* Read-only: GET, HEAD and OPTIONS; anything else is 405. Nothing is written, so the session
  cookie (kept only to tell signed-in users apart for the throttle) carries no CSRF risk.

The django-filter DRF backend is not used: it turns invalid input into a 400 and requires the
queryset's model to be the FilterSet's (``EditionRow`` is not ``Recommendation``); the views
call the FilterSet the way the Matrix does.
"""

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, re_path, reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import status
from rest_framework.exceptions import APIException, MethodNotAllowed, NotFound, ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from recommendations import api_serializers as s
from recommendations import converters  # noqa: F401 (registers <rec:>)
from recommendations.editions import published_edition
from recommendations.filters import (
    SORT_CHOICES,
    RecommendationFilterSet,
    Vocabulary,
    with_vocabulary,
)
from recommendations.history import public_timeline
from recommendations.models import (
    Edition,
    EditionRow,
    MandateAssignment,
    MandateHolder,
    Recommendation,
)

DEFAULT_PAGE_SIZE = 100
DEFAULT_HISTORY_PAGE_SIZE = 20  # entries of a recommendation's history, as on its page
MAX_PAGE_SIZE = 400
# The longest URL (path and query) the API reads; gunicorn reads request lines of up to 8,190
# bytes (gunicorn.conf.py), so a longer one gets this JSON answer rather than the server's.
MAX_URL_LENGTH = 4096
MAX_PAGE_NUMBER = 10**6  # a larger number is refused (400) before counting the pages

#
# Access: read-only for everyone, throttled
#


class ReadOnly(BasePermission):
    """GET, HEAD and OPTIONS; any other method is not allowed (405), whoever asks."""

    def has_permission(self, request, view):
        if request.method not in SAFE_METHODS:
            raise MethodNotAllowed(request.method)
        return True


class _RateFromSettings:
    """DRF's throttles read their rates once, at import; these read ``REST_FRAMEWORK``'s
    ``DEFAULT_THROTTLE_RATES`` on each request, so a deployment or a test can change them."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class AnonThrottle(_RateFromSettings, AnonRateThrottle):
    """Anonymous clients, by IP address: the ``anon`` rate."""


class UserThrottle(_RateFromSettings, UserRateThrottle):
    """Signed-in users, by account: the ``user`` rate."""


class URLTooLong(APIException):
    status_code = status.HTTP_414_REQUEST_URI_TOO_LONG
    default_code = "url_too_long"


class PublicView(APIView):
    permission_classes = [ReadOnly]
    throttle_classes = [AnonThrottle, UserThrottle]

    def initial(self, request, *args, **kwargs):
        length = len(request.get_full_path())
        if length > MAX_URL_LENGTH:
            raise URLTooLong(
                gettext("This address is %(length)s characters long: at most %(limit)s.")
                % {"length": length, "limit": MAX_URL_LENGTH}
            )
        super().initial(request, *args, **kwargs)


class NoSuchAddress(PublicView):
    """Any address under /api/ that names nothing: a JSON 404 like the API's others."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        raise NotFound(gettext("Nothing is at this address: see /api/v1/ for the endpoints."))


def refused(errors: dict[str, list[str]]) -> ValidationError:
    """A 400 naming each parameter the request got wrong."""
    return ValidationError(
        {
            "detail": gettext("The request was refused: %(names)s.")
            % {"names": ", ".join(sorted(errors))},
            "errors": errors,
        }
    )


#
# Parameters
#

_CODE = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="A recommendation's code, R1 to R384 (exactly so: r14 or R014 is not found).",
)
_SLUG = OpenApiParameter(
    "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The edition's address."
)
_HOLDER_SLUG = OpenApiParameter(
    "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The mandate-holder's slug."
)
_NONE = " `none` gives those where it is not yet recorded. Repeat the parameter for several "
_OR = "values (OR-ed); different parameters are AND-ed."


def _facet(name: str, description: str, enum=None) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        many=True,
        explode=True,
        enum=enum,
        description=description + _NONE + _OR,
    )


# The parameters whose values the schema lists: any other value is a 400 (empty: not given).
CLOSED_LISTS = {
    "responsibility": ["", *Recommendation.Responsibility.values, "none"],
    "priority": ["", *Recommendation.Priority.values],
    "sort": ["", *(value for value, _label in SORT_CHOICES)],
}

_PAGE = OpenApiParameter(
    "page",
    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_NUMBER, "default": 1},
    OpenApiParameter.QUERY,
    description="From 1; past the last page (`num_pages`) is a 404.",
)


def _page_size(default: int, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": default},
        OpenApiParameter.QUERY,
        description=description,
    )


FILTER_PARAMETERS = [
    OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description="A number (R14), a range (R14-R20), a list (R2, R10) or words of the "
        "short title or text (full-text search on PostgreSQL).",
    ),
    _facet("cluster", "Cluster (the report's part) code: I, II... (see /api/v1/vocabularies/)."),
    _facet("section", "Section key, e.g. I.A (includes its subsections) or I.A.4."),
    _facet(
        "responsibility",
        "Who is responsible.",
        enum=CLOSED_LISTS["responsibility"],
    ),
    _facet(
        "mandate_holder",
        "Mandate-holder slug (see /api/v1/mandate-holders/): the recommendations it leads or "
        "contributes to (a procedural mention is not ownership).",
    ),
    _facet("assessment", "Assessment status key (see /api/v1/vocabularies/)."),
    _facet("implementation", "Implementation status key (see /api/v1/vocabularies/)."),
    OpenApiParameter(
        "priority",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        many=True,
        explode=True,
        enum=CLOSED_LISTS["priority"],
        description="Priority in annex I of the report. Repeat the parameter for several " + _OR,
    ),
    _facet("topic", "Topic key (see /api/v1/vocabularies/)."),
    OpenApiParameter(
        "changed_since",
        # Empty (as the Matrix's form sends it) is the same as not given.
        {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]},
        OpenApiParameter.QUERY,
        description="Changed on or after this day (YYYY-MM-DD); empty: any day.",
    ),
    OpenApiParameter(
        "sort",
        {"type": "string", "enum": CLOSED_LISTS["sort"]},
        OpenApiParameter.QUERY,
        default="number",
        description="The order of the rows; a leading minus reverses it; empty: by number.",
    ),
    _PAGE,
    _page_size(
        DEFAULT_PAGE_SIZE, f"Rows per page, 1 to {MAX_PAGE_SIZE} (all 384 fit on one page)."
    ),
]
_LENIENT = (
    " An unknown cluster, section, status, topic or mandate-holder key is ignored and named in "
    "`warnings` (still 200); a sort, priority, responsibility, date, page or page size the "
    "schema does not allow is a 400."
)


#
# Recommendations (live or of an edition)
#


def _whole_number(params, name: str, default: int, maximum: int) -> int:
    """A page or page size: a whole number from 1 to ``maximum``, else a 400."""
    raw = params.get(name)
    if raw is None:
        return default
    if raw.isdigit() and 1 <= int(raw) <= maximum:
        return int(raw)
    raise refused(
        {
            name: [
                gettext("“%(value)s” is not a whole number from 1 to %(maximum)s.")
                % {"value": raw[:20], "maximum": maximum}
            ]
        }
    )


def _paged(request, rows, params: QueryDict, default_size: int):
    """The page of ``rows`` the request's ``page`` and ``page_size`` ask for (a 400 for a bad
    one, a 404 past the last), and what the response says of it: count, page, page_size,
    num_pages, and the next and previous pages' addresses (``params`` plus the page)."""
    query = request.query_params
    paginator = Paginator(rows, _whole_number(query, "page_size", default_size, MAX_PAGE_SIZE))
    number = _whole_number(query, "page", 1, MAX_PAGE_NUMBER)
    if number > paginator.num_pages:
        raise NotFound(
            gettext("There is no page %(number)s: the last is %(last)s.")
            % {"number": number, "last": paginator.num_pages}
        )
    page = paginator.page(number)
    params = params.copy()
    params.pop("page", None)
    if paginator.per_page != default_size:
        params["page_size"] = str(paginator.per_page)
    else:
        params.pop("page_size", None)

    def link(number):
        linked = params.copy()
        if number > 1:
            linked["page"] = str(number)
        encoded = linked.urlencode()
        return request.build_absolute_uri(request.path + (f"?{encoded}" if encoded else ""))

    return page, {
        "count": paginator.count,
        "page": page.number,
        "page_size": paginator.per_page,
        "num_pages": paginator.num_pages,
        "next": link(page.next_page_number()) if page.has_next() else None,
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
    }


def _refuse_what_the_schema_refuses(params, filterset) -> None:
    """A 400 for a value outside a closed list, or a date that is not one."""
    errors = {}
    for name, allowed in CLOSED_LISTS.items():
        wrong = [value for value in params.getlist(name) if value not in allowed]
        if wrong:
            errors[name] = [
                gettext("“%(value)s” is not one of: %(allowed)s.")
                % {"value": wrong[0][:40], "allowed": ", ".join(v for v in allowed if v)}
            ]
    if "changed_since" in filterset.form.errors:
        errors["changed_since"] = list(filterset.form.errors["changed_since"])
    if errors:
        raise refused(errors)


class RowsView(PublicView):
    """A page of rows: the live records, or an edition's."""

    def rows(self):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        params = request.query_params
        filterset = RecommendationFilterSet(params, queryset=self.rows())
        queryset = filterset.qs  # adds the warnings of invalid values
        _refuse_what_the_schema_refuses(params, filterset)
        warnings = filterset.warnings
        # The links carry the query without what was ignored, so a bad value is reported once.
        kept = filterset.data.copy()
        for name in filterset.form.errors:
            kept.pop(name, None)
        page, paging = _paged(request, queryset, kept, DEFAULT_PAGE_SIZE)
        rows = with_vocabulary(page.object_list, filterset.vocabulary, topics=True)
        return Response(
            {
                **paging,
                "filters": filterset.active,
                "sort": filterset.current_sort,
                "warnings": warnings,
                "results": s.RecommendationSerializer(
                    rows, many=True, context={"request": request}
                ).data,
            }
        )


class RowView(PublicView):
    """One row, by code: a live record or an edition's."""

    def rows(self):
        raise NotImplementedError

    def get(self, request, code, **kwargs):
        number = code.strict_number()
        rows = with_vocabulary(self.rows().filter(number=number), Vocabulary(), topics=True)
        if not rows:
            raise Http404(gettext("There is no recommendation %(code)s.") % {"code": code})
        return Response(s.RecommendationSerializer(rows[0], context={"request": request}).data)


class RecommendationList(RowsView):
    @extend_schema(
        operation_id="recommendations_list",
        summary="The recommendations, filtered as on the Matrix page",
        description="The Matrix's filters, sort and pagination." + _LENIENT,
        parameters=FILTER_PARAMETERS,
        responses=s.PageSerializer,
        tags=["recommendations"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def rows(self):
        return Recommendation.objects.all()


class RecommendationDetail(RowView):
    @extend_schema(
        operation_id="recommendations_retrieve",
        summary="One recommendation",
        parameters=[_CODE],
        responses=s.RecommendationSerializer,
        tags=["recommendations"],
    )
    def get(self, request, code, **kwargs):
        return super().get(request, code, **kwargs)

    def rows(self):
        return Recommendation.objects.all()


class RecommendationHistory(PublicView):
    @extend_schema(
        operation_id="recommendations_history",
        summary="The published history of a recommendation, newest first",
        description="What changed, when, through which path and why, and the progress updates "
        "the Secretariat published. Never who (staff names), internal remarks or "
        "demonstration data.",
        parameters=[
            _CODE,
            _PAGE,
            _page_size(
                DEFAULT_HISTORY_PAGE_SIZE, f"Entries per page, 1 to {MAX_PAGE_SIZE}; newest first."
            ),
        ],
        responses=s.HistoryPageSerializer,
        tags=["recommendations"],
    )
    def get(self, request, code):
        recommendation = get_object_or_404(Recommendation, number=code.strict_number())
        page, paging = _paged(
            request, public_timeline(recommendation), QueryDict(), DEFAULT_HISTORY_PAGE_SIZE
        )
        return Response(
            {
                **paging,
                "results": s.HistoryEntrySerializer(
                    page.object_list, many=True, context={"request": request}
                ).data,
            }
        )


#
# Vocabularies and mandate-holders
#


class Vocabularies(PublicView):
    @extend_schema(
        operation_id="vocabularies_retrieve",
        summary="The values the filters take, with their labels",
        responses=s.VocabulariesSerializer,
        tags=["vocabularies"],
    )
    def get(self, request):
        vocabulary = Vocabulary()
        keys = {section.pk: section.key for section in vocabulary.sections}
        codes = {cluster.pk: cluster.code for cluster in vocabulary.clusters}
        holders = dict(MandateHolder.objects.values_list("pk", "slug"))
        data = {
            "assessment_statuses": s.AssessmentStatusSerializer(
                vocabulary.assessment_statuses, many=True
            ).data,
            "implementation_statuses": s.ImplementationStatusSerializer(
                vocabulary.implementation_statuses, many=True
            ).data,
            "clusters": s.ClusterSerializer(vocabulary.clusters, many=True).data,
            "sections": [
                {
                    "key": section.key,
                    "cluster": codes[section.cluster_id],
                    "parent": keys.get(section.parent_id),
                    "code": section.code,
                    "title": section.title,
                    "title_fr": section.title_fr,
                    "order": section.order,
                }
                for section in vocabulary.sections
            ],
            "topics": [
                {
                    "key": topic.key,
                    "name": topic.name,
                    "name_fr": topic.name_fr,
                    "order": topic.order,
                    "oversight_forum": holders.get(topic.oversight_forum_id),
                }
                for topic in vocabulary.topics
            ],
            "responsibilities": [
                s.key_label(key, label) for key, label in Recommendation.Responsibility.choices
            ],
            "priorities": [
                s.key_label(key, label) for key, label in Recommendation.Priority.choices
            ],
            "sorts": [s.key_label(key, label) for key, label in SORT_CHOICES],
        }
        return Response(s.VocabulariesSerializer(data).data)


def _holders():
    """Mandate-holders with their parent and their number of recommendations by role."""
    role = MandateAssignment.Role
    return MandateHolder.objects.select_related("parent").annotate(
        lead=Count("assignments", filter=Q(assignments__role=role.LEAD)),
        contributing=Count("assignments", filter=Q(assignments__role=role.CONTRIBUTING)),
        procedural=Count("assignments", filter=Q(assignments__role=role.PROCEDURAL)),
    )


class MandateHolderList(PublicView):
    @extend_schema(
        operation_id="mandate_holders_list",
        summary="The mandate-holders, by name",
        responses=s.MandateHolderSerializer(many=True),
        tags=["mandate-holders"],
    )
    def get(self, request):
        return Response(
            s.MandateHolderSerializer(
                _holders().order_by("name"), many=True, context={"request": request}
            ).data
        )


class MandateHolderDetail(PublicView):
    @extend_schema(
        operation_id="mandate_holders_retrieve",
        summary="One mandate-holder, with its recommendations",
        parameters=[_HOLDER_SLUG],
        responses=s.MandateHolderDetailSerializer,
        tags=["mandate-holders"],
    )
    def get(self, request, slug):
        holder = get_object_or_404(_holders(), slug=slug)
        assignments = (
            MandateAssignment.objects.filter(mandate_holder=holder)
            .order_by("recommendation__number")
            .values_list("recommendation__number", "role", "is_demo")
        )
        data = s.MandateHolderSerializer(holder, context={"request": request}).data
        data["children"] = list(holder.children.order_by("name").values_list("slug", flat=True))
        data["overseen_topics"] = list(holder.overseen_topics.values_list("key", flat=True))
        data["recommendations"] = [
            {
                "code": f"R{number}",
                "number": number,
                "role": s.ROLE_KEYS[role],
                "is_demo": is_demo,
            }
            for number, role, is_demo in assignments
        ]
        return Response(data)


#
# Editions
#


class EditionList(PublicView):
    @extend_schema(
        operation_id="editions_list",
        summary="The published editions of the Matrix, newest first",
        description="Each is the Matrix frozen at a moment (e.g. before an Assembly session), "
        "a document of record that never changes.",
        responses=s.EditionSerializer(many=True),
        tags=["editions"],
    )
    def get(self, request):
        editions = Edition.objects.published().select_related("session", "corrects")
        return Response(s.EditionSerializer(editions, many=True, context={"request": request}).data)


class EditionDetail(PublicView):
    @extend_schema(
        operation_id="editions_retrieve",
        summary="One published edition",
        parameters=[_SLUG],
        responses=s.EditionSerializer,
        tags=["editions"],
    )
    def get(self, request, slug):
        edition = published_edition(slug)
        return Response(s.EditionSerializer(edition, context={"request": request}).data)


class EditionRows(RowsView):
    @extend_schema(
        operation_id="editions_recommendations_list",
        summary="An edition's recommendations, filtered as on the Matrix page",
        description="The rows as the edition froze them, in the shape of the live list, with "
        "the same parameters." + _LENIENT,
        parameters=[_SLUG, *FILTER_PARAMETERS],
        responses=s.PageSerializer,
        tags=["editions"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def rows(self):
        return EditionRow.objects.filter(edition=published_edition(self.kwargs["slug"]))


class EditionRowDetail(RowView):
    @extend_schema(
        operation_id="editions_recommendations_retrieve",
        summary="One recommendation as an edition froze it",
        parameters=[_SLUG, _CODE],
        responses=s.RecommendationSerializer,
        tags=["editions"],
    )
    def get(self, request, code, **kwargs):
        return super().get(request, code, **kwargs)

    def rows(self):
        return EditionRow.objects.filter(edition=published_edition(self.kwargs["slug"]))


#
# The index, the schema and its documentation
#


class Index(PublicView):
    @extend_schema(exclude=True)
    def get(self, request):
        def url(name, *args):
            return request.build_absolute_uri(reverse(name, args=args))

        return Response(
            {
                "recommendations": url("api:recommendations"),
                "recommendation": url("api:recommendation", "R14"),
                "history": url("api:recommendation-history", "R14"),
                "vocabularies": url("api:vocabularies"),
                "mandate_holders": url("api:mandate-holders"),
                "editions": url("api:editions"),
                "schema": url("api:schema"),
                "docs": url("api:docs"),
            }
        )


class Root(PublicView):
    """``/api/``: to the current version's index (a view of the API's own, so POST is 405)."""

    @extend_schema(exclude=True)
    def get(self, request):
        return redirect("api:index")


class Schema(SpectacularAPIView):
    throttle_classes = PublicView.throttle_classes


class Docs(SpectacularSwaggerSplitView):
    """Swagger UI; its script is a separate request (no inline script), its files are the
    sidecar's, served as the site's static files."""

    throttle_classes = PublicView.throttle_classes
    url_name = "api:schema"
    title = "IER Tracker API"


app_name = "api"

urlpatterns = [
    path("", Root.as_view(), name="root"),
    path("v1/", Index.as_view(), name="index"),
    path("v1/recommendations/", RecommendationList.as_view(), name="recommendations"),
    path("v1/recommendations/<rec:code>/", RecommendationDetail.as_view(), name="recommendation"),
    path(
        "v1/recommendations/<rec:code>/history/",
        RecommendationHistory.as_view(),
        name="recommendation-history",
    ),
    path("v1/vocabularies/", Vocabularies.as_view(), name="vocabularies"),
    path("v1/mandate-holders/", MandateHolderList.as_view(), name="mandate-holders"),
    path("v1/mandate-holders/<slug:slug>/", MandateHolderDetail.as_view(), name="mandate-holder"),
    path("v1/editions/", EditionList.as_view(), name="editions"),
    path("v1/editions/<slug:slug>/", EditionDetail.as_view(), name="edition"),
    path(
        "v1/editions/<slug:slug>/recommendations/",
        EditionRows.as_view(),
        name="edition-recommendations",
    ),
    path(
        "v1/editions/<slug:slug>/recommendations/<rec:code>/",
        EditionRowDetail.as_view(),
        name="edition-recommendation",
    ),
    path("schema/", Schema.as_view(), name="schema"),
    path("docs/", Docs.as_view(), name="docs"),
    # Last: JSON, never the site's HTML 404. Only addresses ending in "/", so that one without
    # its slash is still redirected to it first (APPEND_SLASH).
    re_path(r"^[\s\S]*/$", NoSuchAddress.as_view(), name="no-such-address"),  # any character
]


#
# The errors, in the schema of every operation
#

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in the request's language."},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "For a 400: each refused parameter, with why.",
        },
    },
    "required": ["detail"],
}
ERRORS = {
    "400": "A parameter's value is not one the schema allows (named in `errors`).",
    "404": "Nothing is at this address (no such recommendation, edition, mandate-holder or page).",
    "405": "Only GET, HEAD and OPTIONS: the API is read-only.",
    "414": f"The address is longer than {MAX_URL_LENGTH} characters.",
    "429": "Too many requests from this address or account: wait (see Retry-After).",
}


def errors_in_schema(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the API's errors."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for code, description in ERRORS.items():
                operation["responses"].setdefault(
                    code, {"description": description, "content": reference}
                )
    return result

"""The Matrix's filters: one FilterSet for the page, and later for exports, feeds and the API.

Each facet (cluster, section, responsibility, statuses, priority, mandate-holder, topic) takes
several values, OR-ed within the facet and AND-ed across facets, and the value ``none`` for
"Not yet recorded". Unknown values are dropped with a warning instead of failing the request,
so any URL gives a page.

Facet counts (how many rows each option would give with the other active filters) come from
three grouped queries whatever the number of rows: one over the combinations of the
single-valued columns, which yields the counts of six facets and the total, and one each for
the two many-valued facets (mandate-holders, topics).
"""

from collections import Counter
from dataclasses import dataclass

import django_filters
from django import forms
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q
from django.http import QueryDict
from django.utils.functional import cached_property
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from recommendations.models import (
    NOT_YET_RECORDED,
    AssessmentStatus,
    Cluster,
    ImplementationStatus,
    MandateAssignment,
    MandateHolder,
    Recommendation,
    RecommendationQuerySet,
    Section,
    Topic,
)

NONE = "none"
OWNER_ROLES = (MandateAssignment.Role.LEAD, MandateAssignment.Role.CONTRIBUTING)


@dataclass
class Option:
    """One choice of a facet, as the page shows it."""

    value: str
    label: str
    count: int = 0
    selected: bool = False
    colour: str = ""
    depth: int = 0
    lang: str = ""  # "en" where French is chosen and only the English label is recorded


class Vocabulary:
    """The option lists of the facets and charts: each read at most once per request."""

    @cached_property
    def clusters(self) -> list[Cluster]:
        return list(Cluster.objects.all())

    @cached_property
    def sections(self) -> list[Section]:
        return list(Section.objects.all())

    @cached_property
    def assessment_statuses(self) -> list[AssessmentStatus]:
        return list(AssessmentStatus.objects.all())

    @cached_property
    def implementation_statuses(self) -> list[ImplementationStatus]:
        return list(ImplementationStatus.objects.all())

    @cached_property
    def mandate_holders(self) -> list[MandateHolder]:
        return list(MandateHolder.objects.all())

    @cached_property
    def topics(self) -> list[Topic]:
        return list(Topic.objects.all())

    LISTS = {
        Cluster: "clusters",
        Section: "sections",
        AssessmentStatus: "assessment_statuses",
        ImplementationStatus: "implementation_statuses",
        MandateHolder: "mandate_holders",
        Topic: "topics",
    }

    def by_pk(self, model, pk):
        """The vocabulary entry of ``model`` with primary key ``pk`` (None for None)."""
        if pk is None:
            return None
        indexes = self.__dict__.setdefault("_indexes", {})
        if model not in indexes:
            indexes[model] = {entry.pk: entry for entry in getattr(self, self.LISTS[model])}
        return indexes[model][pk]


def assignments_of(model):
    """The model of ``model``'s mandate-holder rows and its foreign key to ``model``: the live
    records' MandateAssignment, an edition's EditionAssignment, or a history record's
    snapshot of its assignments (HistoricalMandateAssignment)."""
    relation = model._meta.get_field("assignments")
    return relation.related_model, relation.field.name


def topic_links_of(model):
    """The table linking ``model``'s rows to their topics, and its key to ``model``: the
    many-to-many table of the live records and of editions' rows, or a history record's
    snapshot of its topics."""
    topics = model._meta.get_field("topics")
    if topics.many_to_many:
        return topics.remote_field.through, topics.m2m_field_name()
    return topics.related_model, topics.field.name


def topic_key_of(model) -> str:
    """The lookup from ``model``'s rows to their topics' keys."""
    return "topics__key" if model._meta.get_field("topics").many_to_many else "topics__topic__key"


@dataclass(frozen=True)
class Owner:
    """A lead or contributing mandate-holder of a row, as list pages show it."""

    mandate_holder: MandateHolder
    role: int
    is_demo: bool


def with_vocabulary(rows, vocabulary: Vocabulary, *, topics: bool = False) -> list[Recommendation]:
    """The rows with their cluster, section, statuses and owners (lead first) attached.

    List pages have read the vocabularies already (for the facets or the charts), so the rows
    need no joins: their foreign keys are looked up there, and the owners come in one extra
    query of plain tuples, whatever the number of rows. On PostgreSQL this took the full
    Matrix from 28 to 21 ms median, against select_related (bench/public_pages.py).
    """
    rows = list(rows)
    if not rows:
        return rows
    lookup = vocabulary.by_pk
    owners: dict[int, list[Owner]] = {row.pk: [] for row in rows}
    model = type(rows[0])
    assignment_model, key = assignments_of(model)
    assignments = assignment_model.objects.filter(
        **{f"{key}__in": list(owners)}, role__in=OWNER_ROLES
    ).values_list(f"{key}_id", "mandate_holder_id", "role", "is_demo")
    for recommendation_id, holder_id, role, is_demo in assignments:
        owners[recommendation_id].append(Owner(lookup(MandateHolder, holder_id), role, is_demo))
    for row in rows:
        row.cluster = lookup(Cluster, row.cluster_id)
        row.section = lookup(Section, row.section_id)
        row.assessment_status = lookup(AssessmentStatus, row.assessment_status_id)
        row.implementation_status = lookup(ImplementationStatus, row.implementation_status_id)
        row.owners = sorted(owners[row.pk], key=lambda o: (o.role, o.mandate_holder.name))
    if topics:  # one more query, for the exports
        links: dict[int, list[Topic]] = {row.pk: [] for row in rows}
        through, key = topic_links_of(model)
        for recommendation_id, topic_id in through.objects.filter(
            **{f"{key}__in": list(links)}
        ).values_list(f"{key}_id", "topic_id"):
            links[recommendation_id].append(lookup(Topic, topic_id))
        for row in rows:
            row.topic_list = sorted(links[row.pk], key=lambda topic: (topic.order, topic.key))
    return rows


class FacetFilter(django_filters.MultipleChoiceFilter):
    """A facet on one column; ``column`` is also the column of the facet-count query."""

    def __init__(self, *, column: str, none: bool = True, **kwargs) -> None:
        self.column = column
        self.allows_none = none
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(field_name=column, distinct=False, **kwargs)

    def options(self, vocabulary: Vocabulary) -> list[Option]:
        raise NotImplementedError

    def value_q(self, values: list[str]) -> Q:
        return Q(**{f"{self.column}__in": values})

    def none_q(self) -> Q:
        return Q(**{f"{self.column}__isnull": True})

    def predicate(self, values: list[str]) -> Q:
        known = [value for value in values if value != NONE]
        condition = self.value_q(known) if known else Q(pk__in=[])
        if NONE in values:
            condition |= self.none_q()
        return condition

    def filter(self, qs, value):
        return qs.filter(self.predicate(list(value))) if value else qs

    def counted_under(self, column_value: str) -> tuple[str, ...]:
        """The options a row whose column holds ``column_value`` counts under."""
        return (column_value,)


class ClusterFilter(FacetFilter):
    def options(self, vocabulary):
        return [
            Option(c.code, str(c), lang="en" if c.in_english_only else "")
            for c in vocabulary.clusters
        ]


class SectionFilter(FacetFilter):
    """A section includes its subsections: ``I.A`` gives the rows of I.A.1, I.A.2..."""

    def options(self, vocabulary):
        return [
            Option(
                s.key,
                f"{s.key} {s.display_title}",
                depth=s.key.count(".") - 1,
                lang="en" if s.in_english_only else "",
            )
            for s in vocabulary.sections
        ]

    def value_q(self, values):
        condition = Q(pk__in=[])
        for key in values:
            condition |= Q(section__key=key) | Q(section__key__startswith=f"{key}.")
        return condition

    def counted_under(self, column_value):
        """The section and each of its ancestors: "I.A.4" counts under "I.A" and "I.A.4"."""
        if column_value == NONE:
            return (NONE,)
        parts = column_value.split(".")
        return tuple(".".join(parts[:depth]) for depth in range(2, len(parts) + 1))


class ChoicesFilter(FacetFilter):
    """A facet on a model field with choices; ``blank`` is the stored "not recorded" value."""

    def __init__(self, *, choices, blank: str | None = "", **kwargs) -> None:
        self.field_choices = choices
        self.blank = blank
        super().__init__(none=blank is not None, **kwargs)

    def options(self, vocabulary):
        return [Option(value, str(label)) for value, label in self.field_choices]

    def none_q(self):
        return Q(**{self.column: self.blank})


class StatusFilter(FacetFilter):
    def __init__(self, *, vocabulary_attribute: str, **kwargs) -> None:
        self.vocabulary_attribute = vocabulary_attribute
        super().__init__(**kwargs)

    def options(self, vocabulary):
        return [
            Option(s.key, s.label, colour=s.colour)
            for s in getattr(vocabulary, self.vocabulary_attribute)
        ]


class MandateHolderFilter(FacetFilter):
    """Recommendations a mandate-holder leads or contributes to (procedural mentions do not
    count as ownership); ``none`` gives those with no owner recorded."""

    def options(self, vocabulary):
        return [Option(h.slug, str(h)) for h in vocabulary.mandate_holders]

    def _owners(self):
        model, key = assignments_of(self.parent.queryset.model)
        return model.objects.filter(**{key: OuterRef("pk")}, role__in=OWNER_ROLES)

    def value_q(self, values):
        return Q(Exists(self._owners().filter(mandate_holder__slug__in=values)))

    def none_q(self):
        return ~Q(Exists(self._owners()))


class TopicFilter(FacetFilter):
    def options(self, vocabulary):
        return [Option(t.key, str(t)) for t in vocabulary.topics]

    def _links(self):
        through, key = topic_links_of(self.parent.queryset.model)
        return through.objects.filter(**{key: OuterRef("pk")})

    def value_q(self, values):
        return Q(Exists(self._links().filter(topic__key__in=values)))

    def none_q(self):
        return ~Q(Exists(self._links()))


# Sort keys offered in the URL (``?sort=assessment``, ``?sort=-changed``) and their ordering.
SORTS = {
    "number": (_("number"), ["number"]),
    "place": (_("place in the report"), ["cluster__order", "section__order"]),
    "responsibility": (_("responsibility"), ["responsibility"]),
    "assessment": (_("assessment status"), ["assessment_status__order"]),
    "implementation": (_("implementation status"), ["implementation_status__order"]),
    "changed": (_("date of last change"), ["updated_at"]),
}
SORT_CHOICES = [
    (f"{sign}{key}", label) for key, (label, _columns) in SORTS.items() for sign in ("", "-")
]


class RecommendationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        max_length=200,
        help_text=_("A number (R14), a range (R14-R20), a list (R2, R10) or words of the text."),
    )
    cluster = ClusterFilter(column="cluster__code", label=_("Cluster"))
    section = SectionFilter(column="section__key", label=_("Section"))
    responsibility = ChoicesFilter(
        column="responsibility",
        choices=Recommendation.Responsibility.choices,
        label=_("Responsibility"),
    )
    mandate_holder = MandateHolderFilter(column="mandate_holder", label=_("Mandate-holder"))
    assessment = StatusFilter(
        column="assessment_status__key",
        vocabulary_attribute="assessment_statuses",
        label=_("Assessment status"),
    )
    implementation = StatusFilter(
        column="implementation_status__key",
        vocabulary_attribute="implementation_statuses",
        label=_("Implementation status"),
    )
    priority = ChoicesFilter(
        column="priority",
        choices=Recommendation.Priority.choices,
        blank=None,
        label=_("Priority (report annex I)"),
    )
    topic = TopicFilter(column="topic", label=_("Topic"))
    changed_since = django_filters.DateFilter(
        label=_("Changed since"),
        field_name="updated_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=SORT_CHOICES, method="filter_sort", empty_label=None
    )

    # Facets counted from one query over the combinations of their columns.
    COMBINED_FACETS = (
        "cluster",
        "section",
        "responsibility",
        "assessment",
        "implementation",
        "priority",
    )
    # Facets on many-valued relations, counted by a query each.
    RELATION_FACETS = ("mandate_holder", "topic")

    class Meta:
        model = Recommendation
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, vocabulary: Vocabulary | None = None, **kw):
        # Always bound: no parameters is the unfiltered Matrix, not an unvalidated form.
        data = QueryDict() if data is None else data
        if not isinstance(data, QueryDict):
            query = QueryDict(mutable=True)
            for key, value in data.items():
                query.setlist(key, value if isinstance(value, list | tuple) else [value])
            data = query
        if queryset is None:
            # No joins: list pages attach what the rows show with with_vocabulary(), from the
            # vocabularies already read for the facets (faster than select_related).
            queryset = Recommendation.objects.all()
        self.vocabulary = vocabulary or Vocabulary()
        self.warnings: list[str] = []
        super().__init__(data, queryset, **kw)
        self.options: dict[str, list[Option]] = {}
        for name in self.facet_names:
            facet = self.filters[name]
            self.options[name] = facet.options(self.vocabulary)
            if facet.allows_none:
                self.options[name].append(Option(NONE, str(NOT_YET_RECORDED)))
            facet.extra["choices"] = [(o.value, o.label) for o in self.options[name]]
        self.data = self._drop_unknown_values(self.data)

    @property
    def facet_names(self) -> tuple[str, ...]:
        return self.COMBINED_FACETS + self.RELATION_FACETS

    def _drop_unknown_values(self, data):
        """Keep the known values of each facet; say which were dropped and why."""
        data = data.copy()
        for name in self.facet_names:
            known = {option.value for option in self.options[name]}
            values = [value for value in data.getlist(name) if value != ""]
            unknown = list(dict.fromkeys(value for value in values if value not in known))
            if unknown:
                quoted = ", ".join(
                    pgettext("a value quoted in a message", "“%(value)s”") % {"value": value[:50]}
                    for value in unknown[:5]
                )
                self.warnings.append(
                    ngettext(
                        "%(filter)s: %(values)s is not a known value and was ignored.",
                        "%(filter)s: %(values)s are not known values and were ignored.",
                        len(unknown),
                    )
                    % {
                        "filter": self.filters[name].label,
                        "values": quoted + ("…" if len(unknown) > 5 else ""),
                    }
                )
            data.setlist(name, [value for value in values if value in known])
        return data

    @property
    def qs(self):
        if not hasattr(self, "_qs"):
            qs = super().qs
            for name, errors in self.form.errors.items():
                label = self.filters[name].label if name in self.filters else name
                value = str(self.data.get(name, ""))[:100]
                self.warnings.append(
                    gettext("%(filter)s: “%(value)s” was ignored (%(error)s).")
                    % {"filter": label, "value": value, "error": " ".join(errors)}
                )
            if not self.form.cleaned_data.get("sort"):
                qs = self.filter_sort(qs, "sort", "number")
            self._qs = qs
        return self._qs

    # Filter methods

    def filter_q(self, queryset: RecommendationQuerySet, name, value):
        return queryset.search(value)

    def filter_sort(self, queryset, name, value):
        descending = value.startswith("-")
        _label, columns = SORTS[value.lstrip("-")]
        ordering = [
            F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)
            for column in columns
        ]
        if value.lstrip("-") != "number":
            ordering.append("number")
        return queryset.order_by(*ordering)

    # What the page shows about the filters

    @property
    def active(self) -> dict[str, list[str]]:
        """The facet values in force, after unknown values were dropped."""
        self.qs  # noqa: B018 - validates the form
        cleaned = self.form.cleaned_data
        return {name: list(cleaned[name]) for name in self.facet_names if cleaned.get(name)}

    @property
    def current_sort(self) -> str:
        self.qs  # noqa: B018
        return self.form.cleaned_data.get("sort") or "number"

    def queryset_without(self, *excluded: str):
        """The rows the active filters give, leaving out the filters named in ``excluded``."""
        self.qs  # noqa: B018
        queryset = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name in excluded or name == "sort":
                continue
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def count_facets(self) -> int:
        """Fill each option's ``count`` and ``selected``; return the number of matching rows.

        Each count is what the option alone would give together with the other facets' active
        filters, which is what a click on it shows.
        """
        active = self.active
        wanted = {name: set(values) for name, values in active.items()}
        total = 0
        counts = {name: Counter() for name in self.COMBINED_FACETS}
        for values, number in self._combinations():
            under = {
                name: self.filters[name].counted_under(values[name])
                for name in self.COMBINED_FACETS
            }
            failing = [
                name
                for name in self.COMBINED_FACETS
                if name in wanted and wanted[name].isdisjoint(under[name])
            ]
            if not failing:
                total += number
            elif len(failing) > 1:
                continue
            # With no failing facet the row counts in every facet; with one, only in that one.
            for name in failing or self.COMBINED_FACETS:
                for option_value in under[name]:
                    counts[name][option_value] += number
        for name in self.RELATION_FACETS:
            counts[name] = self._relation_counts(name)
        for name in self.facet_names:
            selected = set(active.get(name, ()))
            for option in self.options[name]:
                option.count = counts[name][option.value]
                option.selected = option.value in selected
        return total

    def _combinations(self) -> list[tuple[dict[str, str], int]]:
        columns = {name: self.filters[name].column for name in self.COMBINED_FACETS}
        rows = (
            self.queryset_without(*self.COMBINED_FACETS)
            .order_by()
            .values(*columns.values())
            .annotate(rows=Count("pk"))
        )
        return [
            ({name: row[column] or NONE for name, column in columns.items()}, row["rows"])
            for row in rows
        ]

    def _relation_counts(self, name: str) -> Counter:
        queryset = self.queryset_without(name).order_by()
        if name == "mandate_holder":
            queryset = queryset.annotate(
                owner=FilteredRelation(
                    "assignments", condition=Q(assignments__role__in=OWNER_ROLES)
                )
            )
            column = "owner__mandate_holder__slug"
        else:
            column = topic_key_of(queryset.model)
        rows = queryset.values(column).annotate(rows=Count("pk"))
        return Counter({row[column] or NONE: row["rows"] for row in rows})

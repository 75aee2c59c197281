"""Progress charts for the dashboard and the mandate-holder pages, computed on the server.

A chart is a list of stacked bars (one per cluster, responsibility or mandate-holder), each
split into the statuses of one vocabulary plus "Not yet recorded". Every segment carries the
Matrix URL that lists exactly its recommendations, built from the same filter values the
Matrix understands, so the segment's count and the number of rows there agree.
"""

from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, FilteredRelation, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recommendations.filters import NONE, OWNER_ROLES, Vocabulary
from recommendations.models import NOT_YET_RECORDED, Recommendation

UNKNOWN_COLOUR = "#e6e6e6"


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with ``background`` (WCAG relative luminance)."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(background[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


@dataclass
class Segment:
    label: str
    colour: str
    count: int
    url: str
    group: str = ""
    x: float = 0.0
    width: float = 0.0

    @property
    def name(self) -> str:
        """What a screen reader announces and a tooltip shows: "I. Governance, Implemented: 3"."""
        return gettext("%(group)s, %(status)s: %(count)s") % {
            "group": self.group,
            "status": self.label,
            "count": self.count,
        }

    @property
    def text_colour(self) -> str:
        return text_colour(self.colour)

    @property
    def text_x(self) -> float:
        return self.x + self.width / 2

    @property
    def shows_count(self) -> bool:
        """Whether the count fits inside the segment (it is always in the title and table)."""
        return self.width >= 2 + 3.5 * len(str(self.count))


@dataclass
class Bar:
    label: str
    url: str
    lang: str = ""  # "en" for a cluster name shown in English on a French page
    segments: list[Segment] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(segment.count for segment in self.segments)

    @property
    def visible_segments(self) -> list[Segment]:
        return [segment for segment in self.segments if segment.count]


@dataclass
class Chart:
    slug: str
    title: str
    group_label: str
    legend: list[tuple[str, str]]
    bars: list[Bar]

    def scale(self) -> "Chart":
        """Place the segments: bar lengths are proportional to the largest bar's total."""
        largest = max((bar.total for bar in self.bars), default=0) or 1
        for bar in self.bars:
            x = 0.0
            for segment in bar.segments:
                segment.x = round(x, 3)
                segment.width = round(100 * segment.count / largest, 3)
                x += segment.width
        return self


def matrix_url(base: str = "", **params: str) -> str:
    """The Matrix (or ``base``: an edition's Matrix) filtered by ``params``."""
    return f"{base or reverse('recommendations:matrix')}?{urlencode(params)}"


def _axes(vocabulary: Vocabulary):
    """(facet name, title, statuses) for the two status axes."""
    return [
        ("assessment", _("Assessment status"), vocabulary.assessment_statuses),
        ("implementation", _("Implementation status"), vocabulary.implementation_statuses),
    ]


def _build(slug, title, group_label, groups, counts, axis, statuses, extra=None, base="") -> Chart:
    """``groups``: (facet, value, label[, lang]); ``counts``: Counter of (group, status);
    ``base`` and ``extra``: the Matrix the links open and what their query strings carry
    besides (an edition's Matrix, ``as_of``)."""
    extra = extra or {}
    legend = [(status.label, status.colour) for status in statuses]
    legend.append((str(NOT_YET_RECORDED), UNKNOWN_COLOUR))
    bars = []
    for facet, value, label, *lang in groups:
        bar = Bar(
            label=label,
            url=matrix_url(base, **extra, **{facet: value}) if facet else "",
            lang="".join(lang),
        )
        for status, colour in [(s.key, s.colour) for s in statuses] + [(NONE, UNKNOWN_COLOUR)]:
            status_label = (
                str(NOT_YET_RECORDED)
                if status == NONE
                else next(s.label for s in statuses if s.key == status)
            )
            bar.segments.append(
                Segment(
                    label=status_label,
                    colour=colour,
                    count=counts[value, status],
                    url=matrix_url(
                        base, **extra, **({facet: value} if facet else {}), **{axis: status}
                    )
                    if facet or base
                    else "",
                    group=label,
                )
            )
        bars.append(bar)
    return Chart(slug=slug, title=title, group_label=group_label, legend=legend, bars=bars).scale()


def progress_charts(vocabulary: Vocabulary, rows=None, base: str = "", extra=None) -> list[Chart]:
    """Both statuses by cluster, by responsibility and by mandate-holder (two queries).

    ``rows``: the live records by default, or an edition's rows (``editions.RowSource``);
    ``base`` and ``extra`` say which Matrix the segments open (see ``_build``)."""
    records = Recommendation.objects.all() if rows is None else rows
    link = {"base": base, "extra": extra}
    combos = (
        records.order_by()
        .values_list(
            "cluster__code",
            "responsibility",
            "assessment_status__key",
            "implementation_status__key",
        )
        .annotate(rows=Count("pk"))
    )
    by_cluster = {"assessment": Counter(), "implementation": Counter()}
    by_responsibility = {"assessment": Counter(), "implementation": Counter()}
    for cluster, responsibility, assessment, implementation, rows in combos:
        for axis, status in (("assessment", assessment), ("implementation", implementation)):
            by_cluster[axis][cluster or NONE, status or NONE] += rows
            by_responsibility[axis][responsibility or NONE, status or NONE] += rows

    holder_rows = (
        records.order_by()
        .annotate(
            owner=FilteredRelation("assignments", condition=Q(assignments__role__in=OWNER_ROLES))
        )
        .values_list(
            "owner__mandate_holder__slug",
            "assessment_status__key",
            "implementation_status__key",
        )
        .annotate(rows=Count("pk"))
    )
    by_holder = {"assessment": Counter(), "implementation": Counter()}
    holder_totals = Counter()
    for holder, assessment, implementation, rows in holder_rows:
        by_holder["assessment"][holder or NONE, assessment or NONE] += rows
        by_holder["implementation"][holder or NONE, implementation or NONE] += rows
        holder_totals[holder or NONE] += rows

    not_recorded = str(NOT_YET_RECORDED)
    cluster_groups = [
        ("cluster", c.code, str(c), "en" if c.in_english_only else "") for c in vocabulary.clusters
    ]
    if any(key[0] == NONE for key in by_cluster["assessment"]):
        cluster_groups.append(("cluster", NONE, not_recorded))
    responsibility_groups = [
        ("responsibility", value, str(label))
        for value, label in Recommendation.Responsibility.choices
    ]
    if any(key[0] == NONE for key in by_responsibility["assessment"]):
        responsibility_groups.append(("responsibility", NONE, not_recorded))
    holder_groups = [
        ("mandate_holder", h.slug, h.short_name)
        for h in vocabulary.mandate_holders
        if holder_totals[h.slug]
    ]
    if holder_totals[NONE]:
        holder_groups.append(("mandate_holder", NONE, not_recorded))

    charts = []
    for axis, axis_title, statuses in _axes(vocabulary):
        charts += [
            _build(
                f"{axis}-by-cluster",
                _("%(axis)s by cluster") % {"axis": axis_title},
                _("Cluster"),
                cluster_groups,
                by_cluster[axis],
                axis,
                statuses,
                **link,
            ),
            _build(
                f"{axis}-by-responsibility",
                _("%(axis)s by responsibility") % {"axis": axis_title},
                _("Responsibility"),
                responsibility_groups,
                by_responsibility[axis],
                axis,
                statuses,
                **link,
            ),
            _build(
                f"{axis}-by-mandate-holder",
                _("%(axis)s by mandate-holder (lead or contributing)") % {"axis": axis_title},
                _("Mandate-holder"),
                holder_groups,
                by_holder[axis],
                axis,
                statuses,
                **link,
            ),
        ]
    return charts


def mandate_holder_charts(vocabulary: Vocabulary, slug: str) -> list[Chart]:
    """One bar per status axis for the recommendations a mandate-holder owns (one query)."""
    rows = (
        Recommendation.objects.order_by()
        .filter(assignments__mandate_holder__slug=slug, assignments__role__in=OWNER_ROLES)
        .values_list("assessment_status__key", "implementation_status__key")
        .annotate(rows=Count("pk"))
    )
    counts = {"assessment": Counter(), "implementation": Counter()}
    for assessment, implementation, number in rows:
        counts["assessment"][slug, assessment or NONE] += number
        counts["implementation"][slug, implementation or NONE] += number
    return [
        _build(
            axis,
            axis_title,
            _("Mandate-holder"),
            [("mandate_holder", slug, str(axis_title))],
            counts[axis],
            axis,
            statuses,
        )
        for axis, axis_title, statuses in _axes(vocabulary)
    ]


def trend_charts(vocabulary: Vocabulary, editions) -> list[Chart]:
    """Counts per status at each published edition, oldest first (one query): a bar per
    edition, each segment opening that edition's Matrix filtered to the status."""
    from recommendations.models import EditionRow

    editions = sorted(editions, key=lambda edition: edition.cutoff)
    counts = {"assessment": Counter(), "implementation": Counter()}
    rows = (
        EditionRow.objects.filter(edition__in=editions)
        .order_by()
        .values_list("edition_id", "assessment_status__key", "implementation_status__key")
        .annotate(rows=Count("pk"))
    )
    for edition_id, assessment, implementation, number in rows:
        counts["assessment"][edition_id, assessment or NONE] += number
        counts["implementation"][edition_id, implementation or NONE] += number
    charts = []
    for axis, axis_title, statuses in _axes(vocabulary):
        chart = _build(
            f"{axis}-trend",
            _("%(axis)s at each edition") % {"axis": axis_title},
            _("Edition"),
            [],
            counts[axis],
            axis,
            statuses,
        )
        for edition in editions:
            one = _build(
                "",
                "",
                "",
                [("", edition.pk, str(edition))],
                counts[axis],
                axis,
                statuses,
                base=edition.get_absolute_url(),
            )
            one.bars[0].url = edition.get_absolute_url()
            chart.bars += one.bars
        charts.append(chart.scale())
    return charts

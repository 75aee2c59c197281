"""The snapshot path: editions of the Matrix, its state as of a date, and comparisons.

* ``publish_edition`` copies the live records (statuses, mandate-holders, texts, the latest
  published update) into immutable ``EditionRow`` rows, in one transaction.
* ``rows_as_of`` reads the records as they stood at the end of a past day from their history,
  in place: each recommendation's newest history record in effect then, found by index, with
  its snapshots of mandate-holders and topics. Nothing is written (a visitor's GET never is),
  and nothing kept can go stale.
* ``RowSource`` is what the Matrix, the dashboard, the downloads and the API read: the live
  records, an edition, or a date. It swaps the rows, never the filters: ``EditionRow`` and the
  history records have the live record's field names, so the one FilterSet applies to all.
* ``compare`` counts, per status axis, how many recommendations moved from each status to each
  other between two sources, in the database, and lists the changed rows.
"""

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from django.db import models, transaction
from django.db.models import F, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from recommendations import audit
from recommendations.models import (
    NOT_YET_RECORDED,
    AssemblySession,
    Edition,
    EditionAssignment,
    EditionRow,
    MandateAssignment,
    ProgressUpdate,
    Recommendation,
    RecommendationQuerySet,
)

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")

# The columns an edition copies, named alike on Recommendation, its history and EditionRow.
COPIED = [
    "number",
    "short_title",
    "short_title_fr",
    "text",
    "text_fr",
    "cluster_id",
    "section_id",
    "responsibility",
    "priority",
    "assessment_status_id",
    "assessment_status_demo",
    "implementation_status_id",
    "implementation_status_demo",
    "public_remarks",
]


def _latest_published_update(cutoff: datetime.datetime):
    return Subquery(
        ProgressUpdate.objects.published()
        .filter(recommendation=OuterRef("pk"), reviewed_at__lte=cutoff)
        .order_by("-reviewed_at", "-pk")
        .values("pk")[:1]
    )


def _write_rows(edition: Edition, rows: list[dict], assignments, topics) -> int:
    """Insert the rows, then their assignments and topics (rows keyed by recommendation id)."""
    EditionRow.objects.bulk_create(
        [EditionRow(edition=edition, **row) for row in rows], batch_size=1000
    )
    row_ids = dict(
        EditionRow.objects.filter(edition=edition).values_list("recommendation_id", "pk")
    )
    EditionAssignment.objects.bulk_create(
        [
            EditionAssignment(
                row_id=row_ids[rec_id],
                mandate_holder_id=holder_id,
                role=role,
                note=note,
                is_demo=is_demo,
            )
            for rec_id, holder_id, role, note, is_demo in assignments
            if rec_id in row_ids
        ],
        batch_size=2000,
    )
    through = EditionRow.topics.through
    through.objects.bulk_create(
        [
            through(editionrow_id=row_ids[rec_id], topic_id=topic_id)
            for rec_id, topic_id in topics
            if rec_id in row_ids
        ],
        batch_size=2000,
    )
    return len(rows)


def publish_edition(
    *,
    title: str,
    user,
    session: AssemblySession | None = None,
    slug: str = "",
    note: str = "",
    corrects: Edition | None = None,
) -> Edition:
    """Freeze the live records now as a published edition; all or nothing."""
    with transaction.atomic():
        cutoff = timezone.now()
        rows = list(
            Recommendation.objects.annotate(latest=_latest_published_update(cutoff)).values(
                "pk",
                "latest",
                "updated_at",
                "assessment_status_changed_at",
                "implementation_status_changed_at",
                *COPIED,
            )
        )
        for row in rows:
            row["recommendation_id"] = row.pop("pk")
            row["latest_update_id"] = row.pop("latest")
        # Written once, complete: the database refuses any later change (migration 0011).
        edition = Edition(
            kind=Edition.Kind.PUBLISHED,
            title=title.strip(),
            slug=slug or _free_slug(session.code.lower() if session else slugify(title)),
            session=session,
            cutoff=cutoff,
            note=note,
            corrects=corrects,
            published_by=user,
            row_count=len(rows),
        )
        edition.full_clean()
        edition.save()
        _write_rows(
            edition,
            rows,
            MandateAssignment.objects.values_list(
                "recommendation_id", "mandate_holder_id", "role", "note", "is_demo"
            ),
            Recommendation.topics.through.objects.values_list("recommendation_id", "topic_id"),
        )
        audit.record(
            audit.Action.EDITION_PUBLISHED,
            user=user,
            target=edition.slug,
            detail=f"{edition.title} ({len(rows)} recommendations)",
        )
    return edition


def _free_slug(base: str) -> str:
    base = base or "edition"
    taken = set(Edition.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def published_edition(slug: str) -> Edition:
    """The published edition at ``slug`` (404 otherwise: a reconstruction is never served)."""
    return get_object_or_404(
        Edition.objects.published().select_related("session", "corrects", "published_by"),
        slug=slug,
    )


def first_record_date() -> datetime.date | None:
    """The day of the oldest history record, or the oldest day a record says its change took
    effect (an imported status's date): before it, the tracker knows nothing."""
    found = Recommendation.history.aggregate(
        first=Min("history_date"), effective=Min("history_effective_date")
    )
    first, effective = found["first"], found["effective"]
    days = [day for day in (timezone.localdate(first) if first else None, effective) if day]
    return min(days, default=None)


def in_effect_before(end: datetime.datetime) -> Q:
    """History records in effect before ``end`` (the start of a day, UTC): by the day their
    source says the change took effect (a status date in an imported Matrix), else by the
    moment they were entered. A three-year-old Matrix imported today shows its statuses as of
    their own dates, not as today's news."""
    return Q(history_effective_date__isnull=True, history_date__lt=end) | Q(
        history_effective_date__lt=end.date()
    )


def records_in_effect(end: datetime.datetime, of: QuerySet, field: str = "pk") -> QuerySet:
    """The newest history record in effect before ``end`` of each recommendation of ``of``
    (a queryset whose ``field`` is a recommendation's id): one index seek per recommendation,
    not a subquery per history record."""
    history = Recommendation.history.model
    last = (
        history.objects.filter(in_effect_before(end), id=OuterRef(field))
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    return history.objects.filter(
        history_id__in=of.annotate(last_in_effect=Subquery(last)).values("last_in_effect")
    )


def end_of(day: datetime.date) -> datetime.datetime:
    """The start of the next day (UTC): what "as of ``day``" includes comes before it."""
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
    )


class AsOfRows(models.QuerySet):
    """History records read as the Matrix's rows: they have the live record's field names, and
    their snapshots of the mandate-holders and topics are ``assignments`` and ``topics``
    (models.RecommendationHistoricalRecords), so the one FilterSet, the charts and the
    downloads read them as they read the live records (the FilterSet calls ``search``)."""

    search = RecommendationQuerySet.search


def records_as_of(day: datetime.date) -> list[int]:
    """The history records that were in effect at the end of ``day``: each recommendation's
    newest (deleted ones left out). One query, an index seek per recommendation."""
    history = Recommendation.history.model
    recorded = history.objects.order_by().values("id").distinct()  # deleted ones included
    return list(
        records_in_effect(end_of(day), recorded, "id")
        .exclude(history_type="-")
        .values_list("history_id", flat=True)
    )


def rows_as_of(records: list[int]) -> QuerySet:
    """Those records (``records_as_of``) as the Matrix's rows, read where they are: nothing is
    copied or written, and a status imported with a date in the past is seen at once."""
    history = Recommendation.history.model
    never_recorded = Value(None, output_field=models.DateTimeField())
    return (
        AsOfRows(history)
        .filter(history_id__in=records)
        .annotate(
            updated_at=F("history_date"),
            # The history does not keep the dates of the statuses (only of its records).
            assessment_status_changed_at=never_recorded,
            implementation_status_changed_at=never_recorded,
        )
        .order_by("number")
    )


#
# What the pages read
#


@dataclass
class RowSource:
    """The live records, a published edition, or the state as of a day."""

    edition: Edition | None = None
    day: datetime.date | None = None  # the state at the end of a past day, from the history
    warnings: list[str] = field(default_factory=list)

    @property
    def is_live(self) -> bool:
        return self.edition is None and self.day is None

    def rows(self) -> QuerySet:
        if self.day:
            return rows_as_of(self._records)
        if self.edition is None:
            return Recommendation.objects.all()
        return EditionRow.objects.filter(edition=self.edition)

    @cached_property
    def _records(self) -> list[int]:
        """Read once for every query a page makes of a past day."""
        return records_as_of(self.day)

    @property
    def params(self) -> dict[str, str]:
        """What the source adds to a live page's query string (``as_of``), if anything."""
        return {"as_of": self.day.isoformat()} if self.day else {}

    @property
    def moment(self) -> datetime.datetime:
        if self.day:
            return end_of(self.day)
        return self.edition.cutoff if self.edition else timezone.now()

    @property
    def label(self) -> str:
        if self.day:
            return _("as of %(date)s") % {"date": date_format(self.day, "j F Y")}
        if self.edition:
            return str(self.edition)
        return _("now")

    @property
    def key(self) -> str:
        """How a comparison names it: an edition's address, a date, or "live"."""
        if self.day:
            return self.day.isoformat()
        return self.edition.slug if self.edition else "live"


def source_for_day(raw: str) -> RowSource:
    """``?as_of=`` read leniently: a bad or future value is named and the live state shown."""
    raw = (raw or "").strip()
    if not raw:
        return RowSource()
    try:
        day = datetime.date.fromisoformat(raw[:10])
    except ValueError:
        return RowSource(
            warnings=[
                _("As of: “%(value)s” is not a date (YYYY-MM-DD) and was ignored.")
                % {"value": raw[:20]}
            ]
        )
    today = timezone.localdate()
    if day >= today:
        if day == today:
            return RowSource()
        return RowSource(
            warnings=[
                _("As of: %(date)s is in the future: the live state is shown.")
                % {"date": day.isoformat()}
            ]
        )
    source = RowSource(day=day)
    first = first_record_date()
    if first is None or day < first:
        source.warnings.append(
            _(
                "Nothing was recorded in the tracker before %(first)s: as of %(date)s, every "
                "recommendation reads “%(unknown)s”."
            )
            % {
                "first": date_format(first, "j F Y") if first else _("today"),
                "date": date_format(day, "j F Y"),
                "unknown": NOT_YET_RECORDED,
            }
        )
    return source


def source_for_key(key: str) -> RowSource | None:
    """A comparison's side: "live", a date (YYYY-MM-DD) or a published edition's address."""
    key = (key or "").strip()
    if key in ("", "live"):
        return RowSource()
    try:
        datetime.date.fromisoformat(key)
    except ValueError:
        if not SLUG.fullmatch(key):  # never a query with what cannot be an address
            return None
        edition = Edition.objects.published().filter(slug=key).first()
        return RowSource(edition=edition) if edition else None
    return source_for_day(key)


#
# Comparison
#

AXES = [
    ("assessment", "assessment_status"),
    ("implementation", "implementation_status"),
]


@dataclass
class Comparison:
    before: RowSource
    after: RowSource
    # axis -> Counter of (status pk or None before, status pk or None after) -> rows
    transitions: dict[str, Counter]
    changed: list[dict]  # one per recommendation with a changed status: number, before, after
    updates: QuerySet  # published updates accepted between the two moments


def compare(before: RowSource, after: RowSource, rows: QuerySet | None = None) -> Comparison:
    """What moved between two sources, for ``rows`` of ``after`` (by default all; pass the
    Matrix's FilterSet results on ``after.rows()`` to compare a filtered view)."""
    rows = after.rows() if rows is None else rows
    other = before.rows().filter(number=OuterRef("number"))
    pairs = list(
        rows.order_by("number")
        .annotate(
            **{
                f"before_{column}": Subquery(other.values(f"{column}_id")[:1])
                for _axis, column in AXES
            }
        )
        .values(
            "number",
            *[f"{column}_id" for _axis, column in AXES],
            *[f"before_{column}" for _axis, column in AXES],
        )
    )
    transitions = {axis: Counter() for axis, _column in AXES}
    changed = []
    for pair in pairs:
        moved = {}
        for axis, column in AXES:
            old, new = pair[f"before_{column}"], pair[f"{column}_id"]
            transitions[axis][old, new] += 1
            if old != new:
                moved[axis] = (old, new)
        if moved:
            changed.append({"number": pair["number"], **moved})
    updates = (
        ProgressUpdate.objects.published()
        .for_display()
        .filter(
            reviewed_at__gt=before.moment,
            reviewed_at__lte=after.moment,
            recommendation__number__in=[pair["number"] for pair in pairs],
        )
        .order_by("-reviewed_at")
    )
    return Comparison(before, after, transitions, changed, updates)

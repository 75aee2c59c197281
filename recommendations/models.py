"""The IER domain: the report's clusters and sections, its 384 recommendations, who owns them,
the status vocabularies, and where each recorded fact comes from.

Writes to a Recommendation go through ``recommendations.services`` (one history record per
change, with who, when, what and why); reads go through ``RecommendationQuerySet``.
"""

import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
    URLValidator,
)
from django.db import connections, models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

NUMBER_MIN = 1
NUMBER_MAX = 384
NUMBER_RANGE_MESSAGE = _("Recommendation numbers run from R1 to R384.")

NOT_YET_RECORDED = _("Not yet recorded")


def _french_active() -> bool:
    return (translation.get_language() or "").startswith("fr")


def english_only(english: str, french: str) -> bool:
    """French is chosen but only the English is recorded: pages mark it ``lang="en"``."""
    return bool(english) and not french and _french_active()


def in_language(english: str, french: str) -> str:
    """The French value when the active language is French and one is recorded, else English."""
    return french if french and _french_active() else english


# Links. Every address the site turns into a link is http or https: a "javascript:" or "data:"
# address in a source must not become <a href> (the CSP would block it in most browsers; the
# site does not depend on that). The models refuse other schemes; pages link only these.

_WEB_URL = URLValidator(schemes=["http", "https"])
_NAMES_A_SCHEME = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.\-]*:")


def is_web_url(value: str) -> bool:
    """An http or https address (what a page may link to)."""
    try:
        _WEB_URL(value.strip())
    except ValidationError:
        return False
    return True


def _lines(value: str) -> list[tuple[int, str]]:
    return [(n, line.strip()) for n, line in enumerate(value.splitlines(), 1) if line.strip()]


def validate_web_urls(value: str) -> None:
    """One web address per line."""
    for n, line in _lines(value):
        if not is_web_url(line):
            raise ValidationError(
                _("Line %(line)s is not a web address (http:// or https://): %(value)s"),
                code="invalid_url",
                params={"line": n, "value": line[:200]},
            )


def validate_links(value: str) -> None:
    """Addresses or document symbols, one per line: a line that names a scheme is http(s)."""
    for n, line in _lines(value):
        if _NAMES_A_SCHEME.match(line) and not is_web_url(line):
            raise ValidationError(
                _("Line %(line)s is not a web address (http:// or https://): %(value)s"),
                code="invalid_url",
                params={"line": n, "value": line[:200]},
            )


class ChangeSource(models.TextChoices):
    """Which path a change came through; kept on every history record beside who and why."""

    REFERENCE = "reference", _("Reference data")
    DEMO = "demo", _("Demonstration data")
    ADMIN = "admin", _("Back-office")
    BULK = "bulk", _("Back-office bulk action")
    IMPORT = "import", _("Spreadsheet import")
    UPDATE = "update", _("Progress update from a focal point")


class AuditFields(models.Model):
    """Extra columns on history tables (filled by apps.stamp_history_source)."""

    history_source = models.CharField(
        _("source of the change"), max_length=20, choices=ChangeSource.choices, blank=True
    )
    # The focal point's update a change applies (ChangeSource.UPDATE): its author, its text.
    history_progress_update = models.ForeignKey(
        "recommendations.ProgressUpdate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("progress update"),
    )
    # The day a status took effect when its source says so (an imported Matrix's
    # "Assessment / Date" column); the record's own date says when it was entered.
    history_effective_date = models.DateField(_("took effect on"), null=True, blank=True)

    class Meta:
        abstract = True


class RecommendationAuditFields(AuditFields):
    """A recommendation's history records also say whether the public sees a change in them."""

    # Whether the record changed what the public pages show of the recommendation (its public
    # fields, mandate-holders or topics) against the record before it, or created it; never
    # for demonstration data. Set once the record and its snapshots are written
    # (history.mark_public_changes), so the public timelines read only these records, newest
    # first, a page at a time.
    history_public_change = models.BooleanField(_("public change"), default=False, editable=False)

    class Meta:
        abstract = True


class RecommendationHistoricalRecords(HistoricalRecords):
    """The history of a recommendation, with the indexes its public timelines read by: one
    recommendation's records in order (and the record before one), and every public change
    newest first (the feeds)."""

    # The history records' snapshots of the mandate-holders and topics, named as on the live
    # record and an edition's row, so the Matrix's filters and facets read a past day's records.
    M2M_RELATED_NAMES = {"MandateAssignment": "assignments", "Recommendation_topics": "topics"}

    def get_extra_fields_m2m(self, model, through_model, fields):
        extra = super().get_extra_fields_m2m(model, through_model, fields)
        extra["history"] = models.ForeignKey(
            model,
            db_constraint=False,
            on_delete=models.DO_NOTHING,
            related_name=self.M2M_RELATED_NAMES[through_model.__name__],
        )
        return extra

    def get_meta_options(self, model):
        options = super().get_meta_options(model)
        options["indexes"] = [
            models.Index(
                fields=["id", "history_date", "history_id"], name="history_of_recommendation"
            ),
            models.Index(
                fields=["history_date", "history_id"],
                condition=Q(history_public_change=True),
                name="history_public_changes",
            ),
        ]
        return options


#
# The report's structure
#


class Cluster(models.Model):
    """The top level of the report, as the categorization table calls it ("Cluster"): the
    report's parts (I. Governance, II. Human Resources...), not the experts' working clusters."""

    code = models.CharField(_("code"), max_length=8, unique=True, help_text=_("I, II or III"))
    name = models.CharField(_("name"), max_length=200)
    name_fr = models.CharField(_("name in French"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    source_url = models.TextField(
        _("source URLs"), blank=True, help_text=_("One per line."), validators=[validate_links]
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")

    def __str__(self) -> str:
        return f"{self.code}. {self.display_name}"

    @property
    def display_name(self) -> str:
        return in_language(self.name, self.name_fr)

    @property
    def in_english_only(self) -> bool:
        return english_only(self.name, self.name_fr)


class Section(models.Model):
    """A section or subsection of the report, in a tree under a cluster (e.g. I > A > 4)."""

    key = models.CharField(
        _("key"),
        max_length=40,
        unique=True,
        validators=[RegexValidator(r"^[IVX]+(\.[A-Za-z0-9()]+)+$", _("Use a dotted path: I.A.4"))],
        help_text=_("Dotted path used in spreadsheets and URLs, e.g. I.A.4."),
    )
    cluster = models.ForeignKey(
        Cluster, on_delete=models.PROTECT, related_name="sections", verbose_name=_("cluster")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent section"),
    )
    code = models.CharField(_("number in the report"), max_length=20, help_text=_("A, 4, (2)"))
    title = models.CharField(_("title"), max_length=300)
    title_fr = models.CharField(_("title in French"), max_length=300, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0, help_text=_("Position in the tree."))
    source_url = models.TextField(
        _("source URLs"), blank=True, help_text=_("One per line."), validators=[validate_links]
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return f"{self.key} {self.display_title}"

    @property
    def display_title(self) -> str:
        return in_language(self.title, self.title_fr)

    @property
    def in_english_only(self) -> bool:
        return english_only(self.title, self.title_fr)

    @property
    def label(self) -> str:
        """As the report numbers it: "A. Unified Governance", "(2) Executive Committee"."""
        separator = ". " if self.code[-1:].isalnum() else " "
        return f"{self.code}{separator}{self.display_title}"

    @property
    def lineage(self) -> list["Section"]:
        """This section and its ancestors, outermost first.

        Walks ``parent``: fetch with select_related("section__parent__parent") to avoid queries.
        """
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]

    def clean(self) -> None:
        if self.parent_id:
            if self.parent_id == self.pk:
                raise ValidationError({"parent": _("A section cannot be its own parent.")})
            if self.parent.cluster_id != self.cluster_id:
                raise ValidationError({"parent": _("The parent section is in another cluster.")})


#
# Vocabularies the Secretariat edits (the real Matrix may use other words)
#


class StatusVocabulary(models.Model):
    key = models.SlugField(_("key"), max_length=60, unique=True)
    label_en = models.CharField(_("label (English)"), max_length=120)
    label_fr = models.CharField(_("label (French)"), max_length=120, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#767676",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a hex colour such as #1b7837."))],
    )
    is_final = models.BooleanField(
        _("final"), default=False, help_text=_("No further change is expected.")
    )
    source_url = models.TextField(
        _("source URLs"), blank=True, help_text=_("One per line."), validators=[validate_links]
    )
    source_note = models.TextField(
        _("where the term comes from"),
        blank=True,
        help_text=_("Say when the term was not found in any source."),
    )

    class Meta:
        abstract = True
        ordering = ["order", "key"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return in_language(self.label_en, self.label_fr)


class AssessmentStatus(StatusVocabulary):
    """Where the assessment of a recommendation stands (e.g. positively assessed)."""

    counts_as_assessed = models.BooleanField(_("counts as assessed"), default=True)
    counts_as_positive = models.BooleanField(
        _("counts as positive"),
        default=False,
        help_text=_(
            "Positively assessed, with or without modifications: goes on to implementation."
        ),
    )

    class Meta(StatusVocabulary.Meta):
        verbose_name = _("assessment status")
        verbose_name_plural = _("assessment statuses")


class ImplementationStatus(StatusVocabulary):
    """Where the implementation of a recommendation stands (e.g. in progress)."""

    counts_as_implemented = models.BooleanField(_("counts as implemented"), default=False)

    class Meta(StatusVocabulary.Meta):
        verbose_name = _("implementation status")
        verbose_name_plural = _("implementation statuses")


#
# Who owns what
#


class MandateHolder(models.Model):
    """An Assembly or Court body that can own recommendations (Bureau, CBF, OTP, Registry...)."""

    class Kind(models.TextChoices):
        ASSEMBLY = "assembly", _("Assembly, Bureau or Secretariat")
        WORKING_GROUP = "working_group", _("Working group or study group of the Bureau")
        FACILITATION = "facilitation", _("Facilitation")
        SUBSIDIARY_BODY = "subsidiary_body", _("Committee or subsidiary body")
        COURT_ORGAN = "court_organ", _("Court organ")
        OTHER = "other", _("Other Rome Statute body")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    name_fr = models.CharField(_("name in French"), max_length=200, blank=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=20, blank=True)
    abbreviation_fr = models.CharField(_("abbreviation in French"), max_length=20, blank=True)
    name_fr_source = models.TextField(
        _("source of the French name"),
        blank=True,
        help_text=_("The official French document that gives the French name."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
    )
    source_url = models.TextField(
        _("source URLs"), blank=True, help_text=_("One per line."), validators=[validate_links]
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mandate-holder")
        verbose_name_plural = _("mandate-holders")
        constraints = [
            models.UniqueConstraint(
                fields=["abbreviation"],
                condition=~Q(abbreviation=""),
                name="%(app_label)s_%(class)s_unique_abbreviation",
                violation_error_message=_("Another mandate-holder already uses this abbreviation."),
            )
        ]

    def __str__(self) -> str:
        name = in_language(self.name, self.name_fr)
        return f"{name} ({self.abbreviation})" if self.abbreviation else name

    def get_absolute_url(self) -> str:
        return reverse("recommendations:mandate_holder", args=[self.slug])

    @property
    def short_name(self) -> str:
        return self.abbreviation or in_language(self.name, self.name_fr)


class MandateAssignment(models.Model):
    """A mandate-holder's role on a recommendation (lead, contributing, or a procedural step)."""

    class Role(models.IntegerChoices):
        LEAD = 1, _("Lead")
        CONTRIBUTING = 2, _("Contributing")
        PROCEDURAL = 3, _("Procedural step (not an assignment)")

    recommendation = models.ForeignKey(
        "Recommendation", on_delete=models.CASCADE, related_name="assignments"
    )
    mandate_holder = models.ForeignKey(
        MandateHolder,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("mandate-holder"),
    )
    role = models.PositiveSmallIntegerField(_("role"), choices=Role.choices, default=Role.LEAD)
    note = models.CharField(_("note"), max_length=300, blank=True)
    is_demo = models.BooleanField(_("demonstration data"), default=False, editable=False)

    class Meta:
        ordering = ["role", "mandate_holder__name"]
        verbose_name = _("mandate-holder assignment")
        verbose_name_plural = _("mandate-holder assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "mandate_holder"],
                name="%(app_label)s_%(class)s_unique_holder",
                violation_error_message=_("This mandate-holder is already listed."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.mandate_holder.short_name} ({self.get_role_display()})"

    @property
    def is_owner(self) -> bool:
        """Procedural mentions are not ownership (NOTES.md: do not show CBF as the owner)."""
        return self.role != self.Role.PROCEDURAL


class Topic(models.Model):
    """A topic the Review Mechanism took responsibility for (ICC-ASP/23/Res.4, para. 9)."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_fr = models.CharField(_("name in French"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    oversight_forum = models.ForeignKey(
        MandateHolder,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="overseen_topics",
        verbose_name=_("forum overseeing implementation"),
        help_text=_("Designated by the Bureau; empty means to be determined."),
    )
    source_url = models.TextField(
        _("source URLs"), blank=True, help_text=_("One per line."), validators=[validate_links]
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return in_language(self.name, self.name_fr)


class AssemblySession(models.Model):
    """An annual session of the Assembly of States Parties (ASP19 ...), for later editions."""

    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    start_date = models.DateField(_("first day"), null=True, blank=True)
    end_date = models.DateField(_("last day"), null=True, blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    source_url = models.TextField(
        _("source URLs"), blank=True, help_text=_("One per line."), validators=[validate_links]
    )

    class Meta:
        ordering = ["number"]
        verbose_name = _("Assembly session")
        verbose_name_plural = _("Assembly sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="%(app_label)s_%(class)s_ends_after_start",
                violation_error_message=_("A session cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        return f"ASP{self.number}"


class ProgressStatement(models.Model):
    """What a source said about the review's progress at a date ("383 of 384 assessed")."""

    class Precision(models.TextChoices):
        DAY = "day", _("day")
        MONTH = "month", _("month")

    context = models.CharField(
        _("occasion"), max_length=120, help_text=_("As the source names it.")
    )
    session = models.ForeignKey(
        AssemblySession, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("session")
    )
    date = models.DateField(_("date"))
    date_precision = models.CharField(
        _("date precision"), max_length=5, choices=Precision.choices, default=Precision.DAY
    )
    recommendation = models.ForeignKey(
        "Recommendation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="progress_statements",
        verbose_name=_("recommendation"),
    )
    statement = models.CharField(_("statement"), max_length=200)
    count = models.PositiveIntegerField(_("count"), null=True, blank=True)
    source_url = models.TextField(
        _("source"),
        help_text=_("URLs or document symbol, one per line."),
        validators=[validate_links],
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = _("progress statement")
        verbose_name_plural = _("progress statements")

    def __str__(self) -> str:
        figure = f"{self.count} " if self.count is not None else ""
        return f"{self.date:%Y-%m-%d}: {figure}{self.statement}"


#
# The recommendations
#

_NUMBER_RANGE = re.compile(r"^(?:r)?0*(\d{1,4})-(?:r)?0*(\d{1,4})$", re.IGNORECASE)
# "R14", "R 14", "R.14", "R-14", "14", "14.", "014", "Rec. 14", "Recommendation 14",
# "Recommandation no 14", "#14", then an optional part ("(a)", "(b)", ".a", "a") and the rest.
_REFERENCE = re.compile(
    r"^\s*(?:(?:recommendations?|recommandations?|recs?)\s*\.?\s*(?:n[o°º]\.?\s*)?"
    r"|r\s*[.\-]?\s*|[#№]\s*)?"
    r"0*(?P<number>\d{1,4})(?![\d])"
    r"(?:\s*\((?P<bracketed>[a-z]|[ivx]{1,4})\)|[.\-]?(?P<letter>[a-z])(?![\w]))?"
    r"(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_REST_SEPARATORS = " \t\n.:;,-\u2013\u2014)"
# After a number, another whole one: "-R16", ", R-15", " to 16", " and 15", " à R16" (a number
# that starts a text, "R14 - 2 years on...", is not one).
_SEPARATOR = r"(?:[-\u2013\u2014,;&/+]|to\b|and\b|et\b|à\b)"
_MORE_NUMBERS = re.compile(
    rf"^\s*{_SEPARATOR}\s*(?:(?:recommendations?|recommandations?|recs?)\.?\s*|r\s*[.\-]?\s*)?"
    rf"\d+(?:\s*\([a-z]\)|[a-z])?\s*(?:$|{_SEPARATOR})",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RecommendationReference:
    """What a cell says about a recommendation: its number, which part, and any text after."""

    number: int
    part: str = ""  # "a" for "R63 (a)", "R63(a)" or "63.a"
    rest: str = ""  # "The Court should..." for "R14 - The Court should..."


def parse_recommendation_reference(value) -> RecommendationReference | None:
    """The one parser of recommendation numbers (R<n>); None when ``value`` is not one.

    A number cell (14 or 14.0), or a text that starts with the number: "R14", "R 14",
    "R.14", "R-14", "14.", "014", "Rec. 14", "Recommendation 14", "Recommandation 14",
    "R63 (a)", "14.a", "R14 - The Court should...", "14. The Court...". "14.5" or "14abc" are
    not. The number is not checked against the range R1-R384 here.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return RecommendationReference(value) if 0 <= value < 10_000 else None
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and 0 <= value < 10_000:
            return RecommendationReference(int(value))
        return None
    match = _REFERENCE.match(str(value).replace("\u00a0", " "))
    if not match:
        return None
    rest = match.group("rest")
    if rest and rest[0] not in _REST_SEPARATORS:
        return None
    if re.match(r"^[.,]0*$", rest.strip()) and rest.strip():
        rest = ""  # "14.0"
    if re.match(r"^\s*[.,]\d", rest):
        return None  # "14.5" is a paragraph, not a recommendation
    if _MORE_NUMBERS.match(rest):
        return None  # "R14-R16", "14-16", "R14, R15": several recommendations, not one
    part = (match.group("bracketed") or match.group("letter") or "").lower()
    return RecommendationReference(
        int(match.group("number")), part, rest.lstrip(_REST_SEPARATORS).strip()
    )


def names_several_recommendations(value) -> bool:
    """Whether a cell names several recommendations: "R14-R16", "R14, R15", "14 to 16"."""
    if not isinstance(value, str):
        return False  # a number cell is one number (1e+30 is not "1e, 30")
    match = _REFERENCE.match(value.replace("\u00a0", " "))
    return bool(match and _MORE_NUMBERS.match(match.group("rest")))


def parse_recommendation_number(text: str) -> int | None:
    """The number in "R14", "r014", "14", "Rec. 14", "Recommendation 14"; None otherwise
    (nothing may follow the number: "R14 (a)" or "R14 - text" are not)."""
    reference = parse_recommendation_reference(str(text).strip())
    if reference is None or reference.part or reference.rest:
        return None
    return reference.number


def parse_recommendation_numbers(text: str) -> list[int] | None:
    """Numbers in a query such as "R14", "14", "R14-R20", "R2, R10"; None if it is not one.

    A range is capped at the 384 numbers so that "R1-R99999" cannot build a huge query.
    """
    normalised = re.sub(r"\s*(?:-|\u2013|\bto\b)\s*", "-", str(text).strip(), flags=re.IGNORECASE)
    normalised = re.sub(r"(?i)\b(rec(?:ommendation)?\.?|r)\s+(?=\d)", r"\1", normalised)
    tokens = [token for token in re.split(r"[,;\s]+", normalised) if token]
    if not tokens:
        return None
    numbers: list[int] = []
    for token in tokens:
        single = parse_recommendation_number(token)
        if single is not None:
            numbers.append(single)
            continue
        span = _NUMBER_RANGE.match(token)
        if not span:
            return None
        low, high = sorted((int(span.group(1)), int(span.group(2))))
        numbers.extend(range(max(low, NUMBER_MIN), min(high, NUMBER_MAX) + 1))
    return sorted(set(numbers))


# The full-text search documents on PostgreSQL; the GIN indexes use the same expressions.
SEARCH_VECTORS = {
    "english": SearchVector("short_title", "text", config="english"),
    "french": SearchVector("short_title_fr", "text_fr", config="french"),
}


class RecommendationQuerySet(models.QuerySet):
    def for_list(self) -> "RecommendationQuerySet":
        """Everything a recommendation's line or page shows, fetched up front.

        Adds cluster, section (and two levels of parents), both statuses, and the
        mandate-holder assignments (lead first) in one extra query. The public lists read bare
        rows instead and attach these from the vocabularies (``filters.with_vocabulary``).
        """
        return self.select_related(
            "cluster",
            "section__parent__parent",
            "assessment_status",
            "implementation_status",
        ).prefetch_related(
            Prefetch(
                "assignments",
                queryset=MandateAssignment.objects.select_related("mandate_holder").order_by(
                    "role", "mandate_holder__name"
                ),
            )
        )

    def search(self, query: str) -> "RecommendationQuerySet":
        """Recommendations whose number matches ("R14", "14", "R14-R20") or whose text does."""
        query = (query or "").strip()
        if not query:
            return self
        numbers = parse_recommendation_numbers(query)
        if numbers is not None:
            return self.filter(number__in=numbers)
        if connections[self.db].vendor == "postgresql":
            # Full-text search, served by the GIN indexes of migration 0002: English words
            # against the English fields, French words against the French ones.
            return self.annotate(
                search_en=SEARCH_VECTORS["english"], search_fr=SEARCH_VECTORS["french"]
            ).filter(
                Q(search_en=SearchQuery(query, config="english", search_type="websearch"))
                | Q(search_fr=SearchQuery(query, config="french", search_type="websearch"))
            )
        return self.filter(
            Q(text__icontains=query)
            | Q(text_fr__icontains=query)
            | Q(short_title__icontains=query)
            | Q(short_title_fr__icontains=query)
        )

    def with_demo_values(self) -> "RecommendationQuerySet":
        """Recommendations that carry any demonstration value (status or assignment)."""
        return self.filter(
            Q(assessment_status_demo=True)
            | Q(implementation_status_demo=True)
            | Q(assignments__is_demo=True)
        ).distinct()


class RecommendationReading:
    """How a recommendation reads, whichever record holds it: the live record, an edition's
    row, or a history record (the Matrix as of a past day), which have the same field names:
    so the templates and downloads take any of them."""

    def get_absolute_url(self) -> str:
        return reverse("recommendations:detail", args=[self.code])

    @property
    def code(self) -> str:
        return f"R{self.number}"

    @property
    def display_text(self) -> str:
        return in_language(self.text, self.text_fr)

    @property
    def display_title(self) -> str:
        return in_language(self.short_title, self.short_title_fr)

    @property
    def text_in_english_only(self) -> bool:
        return english_only(self.text, self.text_fr)

    @property
    def title_in_english_only(self) -> bool:
        return english_only(self.short_title, self.short_title_fr)

    @property
    def placement(self) -> list[str]:
        """Cluster, then each section level down to this recommendation's section."""
        return [label for label, _english in self.placement_levels]

    @property
    def placement_levels(self) -> list[tuple[str, bool]]:
        """``placement`` with, for each level, whether it is shown in English only."""
        cluster = (
            self.cluster if self.cluster_id else (self.section.cluster if self.section_id else None)
        )
        if cluster is None:
            return []
        levels = [(str(cluster), cluster.in_english_only)]
        if self.section_id:
            levels += [(s.label, s.in_english_only) for s in self.section.lineage]
        return levels


class Recommendation(RecommendationReading, models.Model):
    """One of the 384 recommendations of the IER final report (30 September 2020)."""

    class Responsibility(models.TextChoices):
        COURT = "court", _("Court")
        ASSEMBLY = "assembly", _("Assembly")
        ASSEMBLY_AND_COURT = "assembly_court", _("Assembly & Court")

    class Priority(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        UNKNOWN = "unknown", _("Unknown")

    number = models.PositiveSmallIntegerField(
        _("number"),
        unique=True,
        validators=[
            MinValueValidator(NUMBER_MIN, NUMBER_RANGE_MESSAGE),
            MaxValueValidator(NUMBER_MAX, NUMBER_RANGE_MESSAGE),
        ],
        error_messages={"unique": _("This recommendation number is already taken.")},
    )
    short_title = models.CharField(_("short title"), max_length=200, blank=True)
    short_title_fr = models.CharField(_("short title in French"), max_length=200, blank=True)
    text = models.TextField(_("text"), blank=True)
    text_fr = models.TextField(_("text in French"), blank=True)
    cluster = models.ForeignKey(
        Cluster,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recommendations",
        verbose_name=_("cluster"),
        help_text=_(
            "Set from the section when there is one; alone when only the cluster is known."
        ),
    )
    section = models.ForeignKey(
        Section,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recommendations",
        verbose_name=_("section"),
    )
    responsibility = models.CharField(
        _("responsibility"), max_length=20, choices=Responsibility.choices, blank=True
    )
    priority = models.CharField(
        _("priority (report annex I)"),
        max_length=10,
        choices=Priority.choices,
        default=Priority.UNKNOWN,
    )
    assessment_status = models.ForeignKey(
        AssessmentStatus,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recommendations",
        verbose_name=_("assessment status"),
    )
    assessment_status_changed_at = models.DateTimeField(
        _("assessment status last changed"), null=True, blank=True, editable=False
    )
    assessment_status_demo = models.BooleanField(
        _("assessment status is demonstration data"), default=False, editable=False
    )
    implementation_status = models.ForeignKey(
        ImplementationStatus,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recommendations",
        verbose_name=_("implementation status"),
    )
    implementation_status_changed_at = models.DateTimeField(
        _("implementation status last changed"), null=True, blank=True, editable=False
    )
    implementation_status_demo = models.BooleanField(
        _("implementation status is demonstration data"), default=False, editable=False
    )
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="recommendations", verbose_name=_("topics")
    )
    mandate_holders = models.ManyToManyField(
        MandateHolder,
        through=MandateAssignment,
        blank=True,
        related_name="recommendations",
        verbose_name=_("mandate-holders"),
    )
    public_remarks = models.TextField(_("public remarks"), blank=True)
    internal_remarks = models.TextField(
        _("internal remarks"), blank=True, help_text=_("Never shown to the public.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = RecommendationHistoricalRecords(
        bases=[RecommendationReading, RecommendationAuditFields],
        m2m_fields=[topics, mandate_holders],
        # Timestamps are the history records' own dates; keeping them would only add noise.
        excluded_fields=[
            "created_at",
            "updated_at",
            "assessment_status_changed_at",
            "implementation_status_changed_at",
        ],
    )
    objects = RecommendationQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=NUMBER_MIN) & Q(number__lte=NUMBER_MAX),
                name="%(app_label)s_%(class)s_number_range",
                violation_error_message=NUMBER_RANGE_MESSAGE,
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def owner_assignments(self) -> list["MandateAssignment"]:
        """Lead and contributing mandate-holders, from the prefetched assignments."""
        return [a for a in self.assignments.all() if a.is_owner]

    def clean(self) -> None:
        if self.section_id and self.cluster_id and self.section.cluster_id != self.cluster_id:
            raise ValidationError(
                {
                    "section": _("Section %(section)s is not in cluster %(cluster)s.")
                    % {"section": self.section.key, "cluster": self.cluster.code}
                }
            )


class Source(models.Model):
    """Where a recorded fact about a recommendation comes from: document, URL, note."""

    class Fact(models.TextChoices):
        PLACEMENT = "placement", _("Place in the report")
        RESPONSIBILITY = "responsibility", _("Responsibility")
        PRIORITY = "priority", _("Priority")
        TEXT = "text", _("Text")
        SHORT_TITLE = "short_title", _("Short title")
        ASSESSMENT_STATUS = "assessment_status", _("Assessment status")
        IMPLEMENTATION_STATUS = "implementation_status", _("Implementation status")
        MANDATE_HOLDER = "mandate_holder", _("Mandate-holder")
        OTHER = "other", _("Other")

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="sources"
    )
    fact = models.CharField(_("fact"), max_length=30, choices=Fact.choices)
    value = models.TextField(
        _("value given by the source"),
        blank=True,
        help_text=_("Empty when the source records that nothing was found."),
    )
    document = models.CharField(_("document"), max_length=300, blank=True)
    url = models.TextField(
        _("URLs"), blank=True, help_text=_("One per line."), validators=[validate_web_urls]
    )
    note = models.TextField(_("note"), blank=True)
    from_reference_data = models.BooleanField(
        _("from the reference data"), default=False, editable=False
    )

    history = HistoricalRecords(bases=[AuditFields])

    class Meta:
        ordering = ["recommendation", "fact", "pk"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            models.CheckConstraint(
                condition=~Q(document="", url=""),
                name="%(app_label)s_%(class)s_document_or_url",
                violation_error_message=_("Give the document, a URL, or both."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_fact_display()}: {self.document or ' '.join(self.urls)}"

    @property
    def urls(self) -> list[str]:
        """The web addresses (a line that is not one is never linked)."""
        return [line for _n, line in _lines(self.url) if is_web_url(line)]


class SpreadsheetUpload(models.Model):
    """A spreadsheet uploaded to the import, kept between its preview and its confirmation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="spreadsheet_uploads"
    )
    filename = models.CharField(_("file name"), max_length=200)
    content = models.BinaryField(_("content"))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("spreadsheet upload")
        verbose_name_plural = _("spreadsheet uploads")

    def __str__(self) -> str:
        return self.filename


class ImportColumnMapping(models.Model):
    """A column header the import did not know, and the field the Secretariat chose for it.

    Saved from the import's preview ("remember these choices"), used by every later import.
    """

    header = models.CharField(
        _("header (normalised)"),
        max_length=200,
        unique=True,
        help_text=_("Lower case, no accents."),
    )
    field = models.CharField(
        _("field"), max_length=40, blank=True, help_text=_("Empty: the column is ignored.")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["header"]
        verbose_name = _("import column mapping")
        verbose_name_plural = _("import column mappings")

    def __str__(self) -> str:
        return f"{self.header} → {self.field or '-'}"


class ValueAlias(models.Model):
    """A word the import reads as a vocabulary term or a mandate-holder ("Ongoing" = In
    progress, "Greffe" = Registry), or as no value at all ("N/A").

    Reference data (``fixtures/value_aliases.csv``) gives the words every reader of a progress
    Matrix takes the same way; the Secretariat adds the ones it maps in an import's preview.
    """

    class Kind(models.TextChoices):
        ASSESSMENT = "assessment_status", _("Assessment status")
        IMPLEMENTATION = "implementation_status", _("Implementation status")
        MANDATE_HOLDER = "mandate_holder", _("Mandate-holder")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    value = models.CharField(
        _("value (normalised)"), max_length=200, help_text=_("Lower case, no accents.")
    )
    target = models.CharField(
        _("read as"),
        max_length=80,
        blank=True,
        help_text=_(
            "The key of the status or the slug of the mandate-holder; empty: the cell gives no "
            "value and is left out."
        ),
    )
    from_reference_data = models.BooleanField(_("from the reference data"), default=False)
    note = models.TextField(_("note"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("import value alias")
        verbose_name_plural = _("import value aliases")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value"], name="%(app_label)s_%(class)s_unique_value"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value} → {self.target or '-'}"

    def clean(self) -> None:
        from recommendations.importer.text import normalise

        self.value = normalise(normalise(self.value)[:200])  # as the import compares it
        model, field = {
            self.Kind.ASSESSMENT: (AssessmentStatus, "key"),
            self.Kind.IMPLEMENTATION: (ImplementationStatus, "key"),
            self.Kind.MANDATE_HOLDER: (MandateHolder, "slug"),
        }.get(self.kind, (None, None))
        if model and self.target and not model.objects.filter(**{field: self.target}).exists():
            raise ValidationError(
                {"target": _("“%(target)s” is not a %(field)s of %(model)s.")
                 % {"target": self.target, "field": field, "model": model._meta.verbose_name}}
            )  # fmt: skip


class ImportLock(models.Model):
    """One row that an import's apply locks (it updates it first thing in its transaction), so
    that two applies run one after the other: the second re-plans against what the first
    wrote."""

    name = models.CharField(max_length=40, unique=True)
    taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import lock")
        verbose_name_plural = _("import locks")

    def __str__(self) -> str:
        return self.name


#
# Progress reporting by focal points (ICC-ASP/23/Res.4, paras. 10-11)
#


class FocalPoint(models.Model):
    """A user who reports for a mandate-holder: a Court organ's focal point, a facilitator.

    The link gives access to the mandate-holder's recommendations (lead or contributing);
    the permissions come from the "Focal point" group (``roles.py``).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="focal_points",
        verbose_name=_("user"),
    )
    mandate_holder = models.ForeignKey(
        MandateHolder,
        on_delete=models.CASCADE,
        related_name="focal_points",
        verbose_name=_("mandate-holder"),
    )

    class Meta:
        ordering = ["mandate_holder__name"]
        verbose_name = _("focal point")
        verbose_name_plural = _("focal points")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "mandate_holder"],
                name="%(app_label)s_%(class)s_unique_link",
                violation_error_message=_("This user is already a focal point for it."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.mandate_holder.short_name})"


# A UN or ICC document symbol: ICC-ASP/23/Res.4, ICC-ASP/22/20/Add.1, A/RES/77/1,
# ICC-01/04-01/06-3121; optionally followed by " Add.1", " Corr.1" or " Rev.1".
_DOCUMENT_SYMBOL = re.compile(
    r"^[A-Z][A-Za-z]*(?:[-/][A-Za-z0-9.()]+)+(?: (?:Add|Corr|Rev)\.\d+)*$"
)


def _is_evidence(value: str) -> bool:
    """A link (http or https) or a document symbol."""
    return is_web_url(value) or bool(_DOCUMENT_SYMBOL.match(value))


class ProgressUpdateQuerySet(models.QuerySet):
    def for_display(self) -> "ProgressUpdateQuerySet":
        """With everything a page shows of an update: its recommendation and statuses, its
        mandate-holder, its author, its proposed statuses."""
        return self.select_related(
            "recommendation__assessment_status",
            "recommendation__implementation_status",
            "mandate_holder",
            "author",
            "proposed_assessment_status",
            "proposed_implementation_status",
        )

    def published(self) -> "ProgressUpdateQuerySet":
        return self.filter(state=ProgressUpdate.State.ACCEPTED, is_public=True)

    def accepted(self) -> "ProgressUpdateQuerySet":
        return self.filter(state=ProgressUpdate.State.ACCEPTED)


class ProgressUpdate(models.Model):
    """A focal point's report on one recommendation for a period: action taken, impediments,
    next steps, proposed statuses. Drafted and submitted by the focal point, then accepted
    (public or internal) or returned by the Secretariat (``recommendations.reporting``).
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted, awaiting review")
        RETURNED = "returned", _("Returned for changes")
        ACCEPTED = "accepted", _("Accepted")

    recommendation = models.ForeignKey(
        "Recommendation",
        on_delete=models.CASCADE,
        related_name="progress_updates",
        verbose_name=_("recommendation"),
    )
    mandate_holder = models.ForeignKey(
        MandateHolder,
        on_delete=models.PROTECT,
        related_name="progress_updates",
        verbose_name=_("reporting for"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="progress_updates",
        verbose_name=_("author"),
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    action_taken = models.TextField(_("action taken"), blank=True)
    impediments = models.TextField(_("impediments"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    proposed_assessment_status = models.ForeignKey(
        AssessmentStatus,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed assessment status"),
    )
    proposed_implementation_status = models.ForeignKey(
        ImplementationStatus,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed implementation status"),
    )
    evidence = models.CharField(
        _("evidence"),
        max_length=500,
        blank=True,
        help_text=_("A link (https://...) or a document symbol (e.g. ICC-ASP/23/20)."),
    )
    may_publish = models.BooleanField(
        _("may be published"),
        default=True,
        help_text=_("Untick if the update is for the Secretariat only."),
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.DRAFT, db_index=True
    )
    is_public = models.BooleanField(_("published"), default=False)
    show_author = models.BooleanField(_("show the author's name on the public page"), default=False)
    review_comment = models.TextField(_("comment from the Secretariat"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )

    objects = ProgressUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        permissions = [("review_progressupdate", _("Can review and publish progress updates"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="%(app_label)s_%(class)s_period_ends_after_start",
                violation_error_message=_("The period cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(is_public=False) | Q(state="accepted", may_publish=True),
                name="%(app_label)s_%(class)s_public_only_when_accepted_and_allowed",
                violation_error_message=_(
                    "Only an accepted update that may be published can be public."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recommendation.code} · {self.mandate_holder.short_name} · {self.period}"

    @property
    def period(self) -> str:
        return f"{self.period_start:%Y-%m-%d} to {self.period_end:%Y-%m-%d}"

    @property
    def is_editable(self) -> bool:
        """The author may still change it: a draft, or returned with a comment."""
        return self.state in (self.State.DRAFT, self.State.RETURNED)

    @property
    def evidence_is_url(self) -> bool:
        return is_web_url(self.evidence)

    def clean(self) -> None:
        errors = {}
        reported = (self.action_taken, self.impediments, self.next_steps)
        proposed = (self.proposed_assessment_status_id, self.proposed_implementation_status_id)
        if not any(text.strip() for text in reported) and not any(proposed):
            errors["action_taken"] = _(
                "The update is empty: describe the action taken, the impediments or the next "
                "steps, or propose a status."
            )
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("The period ends (%(end)s) before it starts (%(start)s).") % {
                "end": self.period_end.isoformat(),
                "start": self.period_start.isoformat(),
            }
        if self.period_start and self.period_start > timezone.localdate():
            errors["period_start"] = _("The period cannot start in the future.")
        if self.evidence and not _is_evidence(self.evidence):
            errors["evidence"] = _(
                "“%(value)s” is neither a link (https://...) nor a document symbol such as "
                "ICC-ASP/23/20."
            ) % {"value": self.evidence[:80]}
        if self.proposed_assessment_status_id and self.recommendation_id:
            current = self.recommendation.assessment_status
            if current is not None and current.counts_as_assessed:
                errors["proposed_assessment_status"] = _(
                    "%(code)s is already assessed (%(status)s): propose an implementation "
                    "status instead."
                ) % {"code": self.recommendation.code, "status": current}
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None):
        # clean() reports a period that ends before it starts, with the dates; the check
        # constraint would repeat it without them.
        if self.period_start and self.period_end and self.period_end < self.period_start:
            exclude = {*(exclude or ()), "period_end"}
        super().validate_constraints(exclude=exclude)


class ProgressUpdateEvent(models.Model):
    """One dated, attributed step of an update: saved, submitted, returned, accepted."""

    class Action(models.TextChoices):
        CREATED = "created", _("Draft created")
        SAVED = "saved", _("Draft saved")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned with a comment")
        ACCEPTED = "accepted", _("Accepted and published")
        ACCEPTED_INTERNAL = "accepted_internal", _("Accepted, kept internal")

    update = models.ForeignKey(ProgressUpdate, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("step"), max_length=20, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("date"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("progress update step")
        verbose_name_plural = _("progress update steps")

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d %H:%M})"


#
# Editions of the Matrix (ICC-ASP/23/Res.4, para. 12) and reconstructions as of a date
#


PUBLISHED_NEVER_CHANGES = _("A published edition never changes: publish a correction.")


class EditionQuerySet(models.QuerySet):
    """Published editions are refused here and by the database (migration 0011)."""

    def published(self) -> "EditionQuerySet":
        """The editions the public sees: all of them (``kind`` has one value since the Matrix
        as of a date is read from the history, migrations 0014 and 0015)."""
        return self.filter(kind=Edition.Kind.PUBLISHED)

    def _refuse_published(self) -> None:
        if self.published().exists():
            raise ValidationError(PUBLISHED_NEVER_CHANGES)

    def update(self, **kwargs):
        self._refuse_published()
        return super().update(**kwargs)

    def delete(self):
        self._refuse_published()
        return super().delete()


class Edition(models.Model):
    """The Matrix frozen at a moment: a published edition, circulated before a session, a
    document of record that never changes. Its rows are ``EditionRow``.
    """

    class Kind(models.TextChoices):
        PUBLISHED = "published", _("Published edition")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, editable=False)
    slug = models.SlugField(
        _("permanent address"),
        max_length=60,
        unique=True,
        help_text=_("Part of its URL, e.g. asp24 for /editions/asp24/."),
    )
    title = models.CharField(_("title"), max_length=200, help_text=_("e.g. Matrix as of ASP24"))
    session = models.ForeignKey(
        AssemblySession,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="editions",
        verbose_name=_("Assembly session"),
    )
    cutoff = models.DateTimeField(_("state as of"), editable=False)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects the edition"),
    )
    note = models.TextField(_("note"), blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    row_count = models.PositiveIntegerField(_("recommendations"), default=0, editable=False)

    objects = EditionQuerySet.as_manager()

    class Meta:
        ordering = ["-cutoff", "-pk"]
        verbose_name = _("Matrix edition")
        verbose_name_plural = _("Matrix editions")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.pk and self.is_published:
            raise ValidationError(PUBLISHED_NEVER_CHANGES)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("recommendations:edition", args=[self.slug])

    def delete(self, *args, **kwargs):
        if self.is_published:
            raise ValidationError(_("A published edition cannot be deleted."))
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.kind == self.Kind.PUBLISHED


class EditionRowQuerySet(models.QuerySet):
    """The same reads as the live records (the FilterSet calls ``search``)."""

    search = RecommendationQuerySet.search

    def update(self, **kwargs):
        raise ValidationError(_("Edition rows never change."))

    def delete(self):
        if self.filter(edition__kind=Edition.Kind.PUBLISHED).exists():
            raise ValidationError(PUBLISHED_NEVER_CHANGES)
        return super().delete()


class EditionRow(RecommendationReading, models.Model):
    """One recommendation as an edition froze it: the fields of the live record, with the same
    names, so the Matrix's FilterSet, charts and downloads read editions as they read the live
    records."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="rows")
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="edition_rows"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    short_title = models.CharField(_("short title"), max_length=200, blank=True)
    short_title_fr = models.CharField(_("short title in French"), max_length=200, blank=True)
    text = models.TextField(_("text"), blank=True)
    text_fr = models.TextField(_("text in French"), blank=True)
    cluster = models.ForeignKey(
        Cluster, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responsibility = models.CharField(
        _("responsibility"),
        max_length=20,
        choices=Recommendation.Responsibility.choices,
        blank=True,
    )
    priority = models.CharField(
        _("priority (report annex I)"),
        max_length=10,
        choices=Recommendation.Priority.choices,
        default=Recommendation.Priority.UNKNOWN,
    )
    assessment_status = models.ForeignKey(
        AssessmentStatus, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessment_status_changed_at = models.DateTimeField(null=True, blank=True)
    assessment_status_demo = models.BooleanField(default=False)
    implementation_status = models.ForeignKey(
        ImplementationStatus, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    implementation_status_changed_at = models.DateTimeField(null=True, blank=True)
    implementation_status_demo = models.BooleanField(default=False)
    topics = models.ManyToManyField(Topic, blank=True, related_name="+")
    public_remarks = models.TextField(_("public remarks"), blank=True)
    updated_at = models.DateTimeField(_("last changed"), null=True, blank=True)
    latest_update = models.ForeignKey(
        ProgressUpdate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("latest published update"),
    )

    objects = EditionRowQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("edition row")
        verbose_name_plural = _("edition rows")
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "number"], name="%(app_label)s_%(class)s_unique_number"
            )
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValidationError(_("Edition rows never change."))
        super().save(*args, **kwargs)


class EditionAssignment(models.Model):
    """A mandate-holder's role on an edition row, as it was."""

    row = models.ForeignKey(EditionRow, on_delete=models.CASCADE, related_name="assignments")
    mandate_holder = models.ForeignKey(MandateHolder, on_delete=models.PROTECT, related_name="+")
    role = models.PositiveSmallIntegerField(choices=MandateAssignment.Role.choices)
    note = models.CharField(max_length=300, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["role", "mandate_holder__name"]

    def __str__(self) -> str:
        return f"{self.mandate_holder_id} ({self.get_role_display()})"


class DataVersion(models.Model):
    """One row: a token that changes with every committed change to the data, and when.

    The public pages' cache keys on it (``recommendations.caching``): a change anywhere makes
    every cached page stale at once, on every server. A random token rather than a counter, so
    that a rolled-back bump is never reused.
    """

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("data version")

    def __str__(self) -> str:
        return f"{self.token} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


class AuditEntry(models.Model):
    """A sign-in or a sensitive action on accounts or records of reference: who, when, from
    which address (``recommendations.audit``). Read by superusers in the back-office; never
    changed (a record of what happened)."""

    class Action(models.TextChoices):
        LOGIN = "login", _("signed in")
        ROLE_CHANGED = "role_changed", _("roles changed")
        PASSWORD_CHANGED = "password_changed", _("password changed")
        MFA_ENROLLED = "mfa_enrolled", _("two-step verification turned on")
        MFA_CODES_RENEWED = "mfa_codes_renewed", _("new recovery codes made")
        MFA_RECOVERY_USED = "mfa_recovery_used", _("signed in with a recovery code")
        MFA_REMOVED = "mfa_removed", _("two-step verification device removed")
        EDITION_PUBLISHED = "edition_published", _("edition published")
        IMPORT_APPLIED = "import_applied", _("import applied")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    target = models.CharField(_("concerning"), max_length=300, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    address = models.GenericIPAddressField(_("from the address"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or '-'}: {self.get_action_display()}"

"""The data dictionary of the open data: each column of the downloads, what it holds, its values
and where they come from. The columns are those of ``RecommendationResource`` (a test checks
that every public column is described), so the dictionary cannot drift from the files."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from recommendations.filters import Vocabulary
from recommendations.models import NOT_YET_RECORDED, Recommendation
from recommendations.resources import RecommendationResource

REPORT = _("IER final report, 30 September 2020")
SECRETARIAT = _("ASP Secretariat (back-office, import of its Matrix), or a cited source")

DESCRIPTIONS = {
    "code": (_("The recommendation's number as the report writes it."), _("R1 to R384"), REPORT),
    "number": (_("The same number, as an integer, for sorting."), _("1 to 384"), REPORT),
    "short_title": (_("A short title, where one is recorded."), _("text"), SECRETARIAT),
    "text": (_("The recommendation's text, where recorded."), _("text"), REPORT),
    "cluster": (_("The report's part (I, II...), its top level."), "cluster", REPORT),
    "section": (_("The section key, e.g. I.A.4."), _("section keys"), REPORT),
    "section_title": (_("The section's title."), _("text"), REPORT),
    "responsibility": (_("Who the report makes responsible."), "responsibility", REPORT),
    "lead": (
        _("Mandate-holders leading the work, separated by semicolons."),
        _("mandate-holder abbreviations or names"),
        SECRETARIAT,
    ),
    "contributing": (
        _("Mandate-holders contributing, separated by semicolons."),
        _("mandate-holder abbreviations or names"),
        SECRETARIAT,
    ),
    "assessment_status": (_("Where the assessment stands."), "assessment", SECRETARIAT),
    "assessment_status_since": (
        _("When the assessment status was last changed in the tracker."),
        _("date (YYYY-MM-DD)"),
        _("the tracker's history"),
    ),
    "implementation_status": (
        _("Where the implementation stands."),
        "implementation",
        SECRETARIAT,
    ),
    "implementation_status_since": (
        _("When the implementation status was last changed in the tracker."),
        _("date (YYYY-MM-DD)"),
        _("the tracker's history"),
    ),
    "priority": (_("Whether annex I of the report lists it as a priority."), "priority", REPORT),
    "topics": (
        _("Topics the Review Mechanism took responsibility for, separated by semicolons."),
        _("topic names"),
        _("ICC-ASP/23/Res.4, para. 9"),
    ),
    "public_remarks": (_("Remarks published with the record."), _("text"), SECRETARIAT),
    "last_change": (_("When the record last changed."), _("date and time (UTC)"), _("the tracker")),
    "demonstration": (
        _("Which values are demonstration data, not official (empty when none)."),
        _("column names"),
        _("the tracker's demonstration seeder"),
    ),
}


@dataclass
class Column:
    key: str
    header: str
    description: str
    values: list[str]
    source: str


def _values(kind, vocabulary: Vocabulary) -> list[str]:
    unknown = str(NOT_YET_RECORDED)
    if kind == "assessment":
        return [f"{s.key}: {s.label}" for s in vocabulary.assessment_statuses] + [unknown]
    if kind == "implementation":
        return [f"{s.key}: {s.label}" for s in vocabulary.implementation_statuses] + [unknown]
    if kind == "cluster":
        return [str(c) for c in vocabulary.clusters] + [unknown]
    if kind == "responsibility":
        return [str(label) for _value, label in Recommendation.Responsibility.choices] + [unknown]
    if kind == "priority":
        return [str(label) for _value, label in Recommendation.Priority.choices]
    return [str(kind)]


def data_dictionary(vocabulary: Vocabulary) -> list[Column]:
    resource = RecommendationResource(internal=False)
    columns = []
    for key, field in zip(resource.keys, resource.get_export_fields(), strict=True):
        description, kind, source = DESCRIPTIONS[key]
        columns.append(
            Column(
                key,
                str(field.column_name),
                str(description),
                _values(kind, vocabulary),
                str(source),
            )
        )
    return columns


def licence() -> tuple[str, str]:
    """(name, URL) of the data's licence, from the settings."""
    return settings.OPEN_DATA_LICENCE, settings.OPEN_DATA_LICENCE_URL

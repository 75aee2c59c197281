"""django-import-export resources: the columns of the spreadsheets the tracker writes.

``RecommendationResource`` turns rows (fetched by the Matrix's FilterSet and passed through
``filters.with_vocabulary``) into a ``tablib.Dataset``: one column per fact, headers in the
reader's language, natural keys (``R14``, ``I.A.4``) rather than database ids. Values are native
(numbers, dates) so spreadsheets can sort them; ``exports`` writes the files.
"""

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import resources
from import_export.fields import Field

from recommendations.models import MandateAssignment, Recommendation


def _field(name: str, header, *, internal: bool = False) -> Field:
    field = Field(attribute=name, column_name=header, readonly=True)
    field.internal = internal
    return field


class RecommendationResource(resources.Resource):
    code = _field("code", _("No."))
    number = _field("number", _("Number"))
    short_title = _field("short_title", _("Short title"))
    text = _field("text", _("Text"))
    cluster = _field("cluster", _("Cluster"))
    section = _field("section", _("Section"))
    section_title = _field("section_title", _("Section title"))
    responsibility = _field("responsibility", _("Responsibility"))
    lead = _field("lead", _("Lead mandate-holders"))
    contributing = _field("contributing", _("Contributing mandate-holders"))
    assessment_status = _field("assessment_status", _("Assessment status"))
    assessment_status_since = _field("assessment_status_since", _("Assessment status since"))
    implementation_status = _field("implementation_status", _("Implementation status"))
    implementation_status_since = _field(
        "implementation_status_since", _("Implementation status since")
    )
    priority = _field("priority", _("Priority (report annex I)"))
    topics = _field("topics", _("Topics"))
    public_remarks = _field("public_remarks", _("Public remarks"))
    last_change = _field("last_change", _("Last change"))
    demonstration = _field("demonstration", _("Demonstration values (not official)"))
    internal_remarks = _field("internal_remarks", _("Internal remarks"), internal=True)

    # Status columns, for the exports that colour their cells.
    STATUS_COLUMNS = ("assessment_status", "implementation_status")

    class Meta:
        model = Recommendation

    def __init__(self, *, internal: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.internal = internal

    def get_export_fields(self, selected_fields=None):
        return [
            field
            for field in super().get_export_fields(selected_fields)
            if self.internal or not field.internal
        ]

    @property
    def keys(self) -> list[str]:
        """The stable name of each exported column (JSON keys), in order."""
        return [self.get_field_name(field) for field in self.get_export_fields()]

    # Values. Each reads what ``with_vocabulary`` attached: no query per row. Each column has
    # its dehydrate method, so values stay native (a number sorts as a number).

    def dehydrate_code(self, rec):
        return rec.code

    def dehydrate_number(self, rec):
        return rec.number

    def dehydrate_public_remarks(self, rec):
        return rec.public_remarks

    def dehydrate_internal_remarks(self, rec):
        return rec.internal_remarks

    def dehydrate_short_title(self, rec):
        return rec.display_title

    def dehydrate_text(self, rec):
        return rec.display_text

    def dehydrate_cluster(self, rec):
        return rec.cluster.code if rec.cluster else ""

    def dehydrate_section(self, rec):
        return rec.section.key if rec.section else ""

    def dehydrate_section_title(self, rec):
        return rec.section.display_title if rec.section else ""

    def dehydrate_responsibility(self, rec):
        return rec.get_responsibility_display() if rec.responsibility else ""

    def _holders(self, rec, role) -> str:
        return "; ".join(o.mandate_holder.short_name for o in rec.owners if o.role == role)

    def dehydrate_lead(self, rec):
        return self._holders(rec, MandateAssignment.Role.LEAD)

    def dehydrate_contributing(self, rec):
        return self._holders(rec, MandateAssignment.Role.CONTRIBUTING)

    def dehydrate_assessment_status(self, rec):
        return rec.assessment_status.label if rec.assessment_status else ""

    def dehydrate_implementation_status(self, rec):
        return rec.implementation_status.label if rec.implementation_status else ""

    @staticmethod
    def _date(value):
        return timezone.localtime(value).date() if value else None

    def dehydrate_assessment_status_since(self, rec):
        return self._date(rec.assessment_status_changed_at)

    def dehydrate_implementation_status_since(self, rec):
        return self._date(rec.implementation_status_changed_at)

    def dehydrate_priority(self, rec):
        return "" if rec.priority == Recommendation.Priority.UNKNOWN else rec.get_priority_display()

    def dehydrate_topics(self, rec):
        return "; ".join(str(topic) for topic in rec.topic_list)

    def dehydrate_last_change(self, rec):
        return self._date(rec.updated_at)

    def dehydrate_demonstration(self, rec):
        demo = []
        if rec.assessment_status_demo:
            demo.append(gettext("assessment status"))
        if rec.implementation_status_demo:
            demo.append(gettext("implementation status"))
        if any(o.is_demo for o in rec.owners):
            demo.append(gettext("mandate-holders"))
        return "; ".join(demo)

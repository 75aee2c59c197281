"""The JSON shapes of the public API (``recommendations.api``).

Read-only serializers over what the public pages show. A recommendation's serializer reads what
``filters.with_vocabulary`` attached to the rows (cluster, section, statuses, owners, topics),
so a page of rows costs no query per row, and it takes a live ``Recommendation`` or an
``EditionRow`` alike (same field names). It never declares ``internal_remarks``: the API is
public, whoever asks.

Labels (status labels, cluster names, section titles...) are in the request's language
(``Accept-Language`` or the site's language cookie); keys (``positively_assessed``, ``I.A.4``)
never change with it.
"""

import datetime

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recommendations.history import PUBLIC_FIELDS
from recommendations.models import (
    NOT_YET_RECORDED,
    ChangeSource,
    MandateAssignment,
    in_language,
)


def absolute(context, path: str | None) -> str | None:
    """``path`` as an absolute URL for the request in ``context`` (None stays None)."""
    if path is None:
        return None
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class KeyLabelSerializer(serializers.Serializer):
    """A value of a vocabulary: its stable key and its label in the request's language."""

    key = serializers.CharField(help_text="Stable key, as used in the filters.")
    label = serializers.CharField(help_text="In the request's language.")


def key_label(key: str, label) -> dict:
    return {"key": key, "label": str(label)}


class ClusterRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="I, II or III.")
    name = serializers.CharField(source="display_name")


class SectionRefSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Dotted path in the report, e.g. I.A.4.")
    title = serializers.CharField(source="display_title")


class TopicRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField(source="__str__")


ROLE_KEYS = {role.value: role.name.lower() for role in MandateAssignment.Role}


class OwnerSerializer(serializers.Serializer):
    """A lead or contributing mandate-holder of a recommendation (``filters.Owner``)."""

    slug = serializers.CharField(source="mandate_holder.slug")
    name = serializers.SerializerMethodField()
    abbreviation = serializers.CharField(source="mandate_holder.abbreviation")
    role = serializers.SerializerMethodField(help_text="lead or contributing.")
    role_label = serializers.SerializerMethodField()
    is_demo = serializers.BooleanField(help_text="Demonstration data, not official.")

    def get_name(self, owner) -> str:
        holder = owner.mandate_holder
        return in_language(holder.name, holder.name_fr)

    def get_role(self, owner) -> str:
        return ROLE_KEYS[owner.role]

    def get_role_label(self, owner) -> str:
        return str(MandateAssignment.Role(owner.role).label)


class RecommendationSerializer(serializers.Serializer):
    """One recommendation (a live record or an edition's row): its public columns."""

    number = serializers.IntegerField()
    code = serializers.CharField(help_text="R1 to R384.")
    short_title = serializers.CharField(help_text="In English, as recorded; may be empty.")
    short_title_fr = serializers.CharField(help_text="In French, as recorded; may be empty.")
    text = serializers.CharField(help_text="In English, as recorded; may be empty.")
    text_fr = serializers.CharField(help_text="In French, as recorded; may be empty.")
    cluster = ClusterRefSerializer(allow_null=True)
    section = SectionRefSerializer(allow_null=True)
    responsibility = serializers.SerializerMethodField()
    priority = serializers.SerializerMethodField()
    assessment_status = KeyLabelSerializer(allow_null=True)
    assessment_status_since = serializers.SerializerMethodField()
    assessment_status_demo = serializers.BooleanField(
        help_text="The assessment status is demonstration data, not official."
    )
    implementation_status = KeyLabelSerializer(allow_null=True)
    implementation_status_since = serializers.SerializerMethodField()
    implementation_status_demo = serializers.BooleanField(
        help_text="The implementation status is demonstration data, not official."
    )
    mandate_holders = OwnerSerializer(
        source="owners",
        many=True,
        help_text="Lead and contributing mandate-holders, lead first (procedural mentions are "
        "not ownership and are not listed).",
    )
    topics = TopicRefSerializer(source="topic_list", many=True)
    public_remarks = serializers.CharField()
    last_change = serializers.DateTimeField(source="updated_at", allow_null=True)
    url = serializers.SerializerMethodField(help_text="The recommendation's public page.")

    @extend_schema_field(KeyLabelSerializer(allow_null=True))
    def get_responsibility(self, row):
        if not row.responsibility:
            return None
        return key_label(row.responsibility, row.get_responsibility_display())

    @extend_schema_field(KeyLabelSerializer(help_text="yes, no or unknown (annex I not found)."))
    def get_priority(self, row):
        return key_label(row.priority, row.get_priority_display())

    @staticmethod
    def _date(value):
        return timezone.localdate(value) if value else None

    def get_assessment_status_since(self, row) -> datetime.date | None:
        return self._date(row.assessment_status_changed_at)

    def get_implementation_status_since(self, row) -> datetime.date | None:
        return self._date(row.implementation_status_changed_at)

    def get_url(self, row) -> OpenApiTypes.URI:
        return absolute(self.context, row.get_absolute_url())


class PagingSerializer(serializers.Serializer):
    """What every paged answer says about its place among the pages (see ``api._paged``)."""

    count = serializers.IntegerField(help_text="Rows on all pages.")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class PageSerializer(PagingSerializer):
    """A page of recommendations, with what the filters did."""

    count = serializers.IntegerField(help_text="Rows matching the filters, on all pages.")
    filters = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="The facet values in force, after unknown values were dropped.",
    )
    sort = serializers.CharField()
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="What was ignored (unknown values, bad dates or page numbers), in the "
        "request's language. The request still succeeds.",
    )
    results = RecommendationSerializer(many=True)


#
# Vocabularies
#


class ClusterSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_fr = serializers.CharField()
    order = serializers.IntegerField()


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Dotted path in the report, e.g. I.A.4.")
    cluster = serializers.CharField(help_text="The cluster's code.")
    parent = serializers.CharField(allow_null=True, help_text="The parent section's key.")
    code = serializers.CharField(help_text="Its number in the report: A, 4, (2).")
    title = serializers.CharField()
    title_fr = serializers.CharField()
    order = serializers.IntegerField()


class StatusSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField(help_text="In the request's language.")
    label_en = serializers.CharField()
    label_fr = serializers.CharField()
    description_en = serializers.CharField()
    description_fr = serializers.CharField()
    colour = serializers.CharField(help_text="As on the site, e.g. #1b7837.")
    is_final = serializers.BooleanField(help_text="No further change is expected.")
    order = serializers.IntegerField()


class AssessmentStatusSerializer(StatusSerializer):
    counts_as_assessed = serializers.BooleanField()
    counts_as_positive = serializers.BooleanField()


class ImplementationStatusSerializer(StatusSerializer):
    counts_as_implemented = serializers.BooleanField()


class TopicSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    name_fr = serializers.CharField()
    order = serializers.IntegerField()
    oversight_forum = serializers.CharField(
        allow_null=True,
        help_text="The slug of the mandate-holder overseeing it; null: to be determined.",
    )


class VocabulariesSerializer(serializers.Serializer):
    assessment_statuses = AssessmentStatusSerializer(many=True)
    implementation_statuses = ImplementationStatusSerializer(many=True)
    clusters = ClusterSerializer(many=True)
    sections = SectionSerializer(many=True)
    topics = TopicSerializer(many=True)
    responsibilities = KeyLabelSerializer(many=True)
    priorities = KeyLabelSerializer(many=True)
    sorts = KeyLabelSerializer(many=True, help_text="The values of the ``sort`` parameter.")


#
# Mandate-holders
#


class MandateHolderSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    name_fr = serializers.CharField()
    abbreviation = serializers.CharField()
    kind = serializers.SerializerMethodField()
    parent = serializers.SerializerMethodField(help_text="The slug of the body it is part of.")
    lead = serializers.IntegerField(help_text="Recommendations it leads.")
    contributing = serializers.IntegerField(help_text="Recommendations it contributes to.")
    procedural = serializers.IntegerField(
        help_text="Recommendations that mention it as a procedural step (not ownership)."
    )
    url = serializers.SerializerMethodField(help_text="Its public page.")
    recommendations_url = serializers.SerializerMethodField(
        help_text="The API list of the recommendations it leads or contributes to."
    )

    @extend_schema_field(KeyLabelSerializer)
    def get_kind(self, holder):
        return key_label(holder.kind, holder.get_kind_display())

    def get_parent(self, holder) -> str | None:
        return holder.parent.slug if holder.parent_id else None

    def get_url(self, holder) -> OpenApiTypes.URI:
        return absolute(self.context, holder.get_absolute_url())

    def get_recommendations_url(self, holder) -> OpenApiTypes.URI:
        return absolute(
            self.context, f"{reverse('api:recommendations')}?mandate_holder={holder.slug}"
        )


class HolderRecommendationSerializer(serializers.Serializer):
    code = serializers.CharField()
    number = serializers.IntegerField()
    role = serializers.CharField(help_text="lead, contributing or procedural.")
    is_demo = serializers.BooleanField(help_text="Demonstration data, not official.")


class MandateHolderDetailSerializer(MandateHolderSerializer):
    children = serializers.ListField(
        child=serializers.CharField(), help_text="Slugs of the bodies that are part of it."
    )
    overseen_topics = serializers.ListField(
        child=serializers.CharField(), help_text="Keys of the topics it oversees."
    )
    recommendations = HolderRecommendationSerializer(many=True)


#
# Editions
#


class EditionSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    session = serializers.SerializerMethodField(help_text="The Assembly session, e.g. ASP24.")
    cutoff = serializers.DateTimeField(help_text="The moment the edition froze the records.")
    note = serializers.CharField()
    corrects = serializers.SerializerMethodField(
        help_text="The slug of the edition this one corrects."
    )
    row_count = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text="Its public page (null if none yet).")
    recommendations_url = serializers.SerializerMethodField(help_text="Its rows in the API.")

    def get_session(self, edition) -> str | None:
        return edition.session.code if edition.session_id else None

    def get_corrects(self, edition) -> str | None:
        return edition.corrects.slug if edition.corrects_id else None

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_url(self, edition):
        try:
            return absolute(self.context, edition.get_absolute_url())
        except NoReverseMatch:
            return None

    def get_recommendations_url(self, edition) -> OpenApiTypes.URI:
        return absolute(self.context, reverse("api:edition-recommendations", args=[edition.slug]))


#
# The published history of a recommendation
#


class PublishedUpdateSerializer(serializers.Serializer):
    """A focal point's update the Secretariat published."""

    mandate_holder = serializers.SerializerMethodField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    action_taken = serializers.CharField()
    impediments = serializers.CharField()
    next_steps = serializers.CharField()
    proposed_assessment_status = KeyLabelSerializer(allow_null=True)
    proposed_implementation_status = KeyLabelSerializer(allow_null=True)
    evidence = serializers.CharField(help_text="A link or a document symbol; may be empty.")
    published_at = serializers.DateTimeField(source="reviewed_at")
    author = serializers.SerializerMethodField(
        help_text="The author's name, only where the Secretariat chose to show it."
    )

    @extend_schema_field(KeyLabelSerializer)
    def get_mandate_holder(self, update):
        return key_label(update.mandate_holder.slug, update.mandate_holder.short_name)

    def get_author(self, update) -> str | None:
        if not update.show_author:
            return None
        return update.author.get_full_name() or update.author.get_username()


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField(allow_null=True, help_text="null: not yet recorded.")
    new = serializers.CharField(allow_null=True, help_text="null: not yet recorded.")


class HistoryEntrySerializer(serializers.Serializer):
    date = serializers.DateTimeField()
    source = serializers.SerializerMethodField(help_text="The path the change came through.")
    reason = serializers.CharField()
    is_creation = serializers.BooleanField()
    changes = serializers.SerializerMethodField()
    update = PublishedUpdateSerializer(allow_null=True)

    @extend_schema_field(KeyLabelSerializer)
    def get_source(self, entry):
        keys = {str(label): key for key, label in ChangeSource.choices}
        return key_label(keys.get(entry.source, ""), entry.source)

    @extend_schema_field(ChangeSerializer(many=True))
    def get_changes(self, entry):
        fields = {str(label): name for name, label, _long in PUBLIC_FIELDS}
        unknown = str(NOT_YET_RECORDED)
        return [
            {
                "field": fields.get(change.label, ""),
                "label": change.label,
                "old": None if change.old == unknown else change.old,
                "new": None if change.new == unknown else change.new,
            }
            for change in entry.changes
        ]


class HistoryPageSerializer(PagingSerializer):
    """A page of a recommendation's published history, newest first."""

    count = serializers.IntegerField(help_text="Entries of the history, on all pages.")
    results = HistoryEntrySerializer(many=True)

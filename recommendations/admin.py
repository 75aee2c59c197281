"""The ASP Secretariat's back-office.

Built for someone updating 384 rows before a session: a numeric list with filters on every
column that matters, search by number ("R14", "14", "R14-R20") or text, a bulk action that sets
statuses with a reason, and a history page that says who changed what, when and why. Every
write to a recommendation goes through ``services.recommendation_update``.
"""

from functools import partial
from itertools import pairwise

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject, ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper

from iertracker.accounts import send_invitation
from recommendations import admin_import
from recommendations.editions import publish_edition
from recommendations.history import snapshots
from recommendations.models import (
    NOT_YET_RECORDED,
    AssemblySession,
    AssessmentStatus,
    AuditEntry,
    ChangeSource,
    Cluster,
    Edition,
    EditionRow,
    FocalPoint,
    ImplementationStatus,
    ImportColumnMapping,
    MandateAssignment,
    MandateHolder,
    ProgressStatement,
    ProgressUpdate,
    ProgressUpdateEvent,
    Recommendation,
    Section,
    Source,
    Topic,
    ValueAlias,
)
from recommendations.roles import GROUP_PERMISSIONS
from recommendations.services import (
    UPDATABLE_FIELDS,
    Assignment,
    current_version,
    recommendation_update,
    recommendations_bulk_update,
    refuse_if_changed_since,
)

REASON_HELP = _("Kept in the history with your name and the date. Required.")


def status_badge(status, demo: bool = False):
    if status is None:
        return format_html('<span class="unknown">{}</span>', NOT_YET_RECORDED)
    return format_html(
        '<span class="status"><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true">'
        '<rect width="10" height="10" fill="{}"/></svg> {}</span>{}',
        status.colour,
        status.label,
        format_html(' <span class="demo-tag">{}</span>', _("demo")) if demo else "",
    )


#
# Recommendations
#


class RecommendationForm(forms.ModelForm):
    change_reason = forms.CharField(
        label=_("Reason for this change"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=REASON_HELP,
    )

    # The record's version when the form was opened (optimistic locking: see clean()).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Recommendation
        fields = [*UPDATABLE_FIELDS, "topics"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = current_version(self.instance)

    def clean(self):
        cleaned = super().clean()
        section, cluster = cleaned.get("section"), cleaned.get("cluster")
        if section and cluster is None:
            cleaned["cluster"] = section.cluster
        # Someone saved the record after this form was opened: say what changed, save nothing.
        if self.instance.pk and cleaned.get("version") is not None:
            refuse_if_changed_since(self.instance, cleaned["version"])
        return cleaned


class MandateAssignmentInline(admin.TabularInline):
    model = MandateAssignment
    fields = ["mandate_holder", "role", "note", "is_demo"]
    readonly_fields = ["is_demo"]
    autocomplete_fields = ["mandate_holder"]
    extra = 0


class SourceInline(admin.StackedInline):
    model = Source
    fields = [("fact", "from_reference_data"), "value", "document", "url", "note"]
    readonly_fields = ["from_reference_data"]
    extra = 0
    classes = ["collapse"]


class DemoDataFilter(admin.SimpleListFilter):
    title = _("demonstration data")
    parameter_name = "demo"

    def lookups(self, request, model_admin):
        return [("yes", _("Has demonstration values")), ("no", _("No demonstration values"))]

    def queryset(self, request, queryset):
        demo = Recommendation.objects.with_demo_values().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=demo)
        if self.value() == "no":
            return queryset.exclude(pk__in=demo)
        return queryset


class BulkStatusForm(forms.Form):
    UNCHANGED = ""
    CLEAR = "none"

    assessment_status = forms.ChoiceField(label=_("Assessment status"), required=False)
    implementation_status = forms.ChoiceField(label=_("Implementation status"), required=False)
    reason = forms.CharField(
        label=_("Reason for this change"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=REASON_HELP,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, model in (
            ("assessment_status", AssessmentStatus),
            ("implementation_status", ImplementationStatus),
        ):
            self.fields[name].choices = [
                (self.UNCHANGED, _("— leave unchanged —")),
                (self.CLEAR, _("Not yet recorded (clear)")),
                *[(str(status.pk), status.label) for status in model.objects.all()],
            ]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("assessment_status") and not cleaned.get("implementation_status"):
            raise ValidationError(
                _("Choose a new assessment status, implementation status, or both.")
            )
        return cleaned

    def changes(self) -> dict:
        changes = {}
        for name, model in (
            ("assessment_status", AssessmentStatus),
            ("implementation_status", ImplementationStatus),
        ):
            value = self.cleaned_data[name]
            if value == self.CLEAR:
                changes[name] = None
            elif value:
                changes[name] = model.objects.get(pk=value)
        return changes


class RecommendationHistoryHelper(HistoricalRecordContextHelper):
    """Show empty values as "Not yet recorded", lists as text, mandate-holders with their role."""

    def prepare_delta_change_value(self, change, value):
        if isinstance(value, DeletedObject) and value.pk is None:
            return NOT_YET_RECORDED  # simple-history's placeholder for an empty foreign key
        if change.field == "mandate_holders":
            value = [
                f"{row['mandate_holder'].short_name} ({MandateAssignment.Role(row['role']).label})"
                for row in value
            ]
        else:
            value = super().prepare_delta_change_value(change, value)
        if isinstance(value, list):
            return ", ".join(str(item) for item in value) or NOT_YET_RECORDED
        return value


def _m2m_value(rows) -> list[tuple]:
    """A snapshot's rows as ``diff_against`` gives them: (what it compares, the through row's
    editable columns; what it shows, the row with its related objects), by related object."""
    result = []
    for row in rows:
        fields = [
            f
            for f in row._meta.fields
            if f.editable and f.name not in ("id", "m2m_history_id", "history")
        ]
        key = tuple(getattr(row, f.attname) for f in fields)
        # What RecommendationHistoryHelper shows (the related objects were selected with the rows).
        if hasattr(row, "mandate_holder_id"):
            related, shown = (
                row.mandate_holder,
                {"mandate_holder": row.mandate_holder, "role": row.role},
            )
        else:
            related, shown = row.topic, {"topic": row.topic}
        result.append((related.pk, key, shown))
    return [(key, shown) for _pk, key, shown in sorted(result, key=lambda item: item[:2])]


class HistoryAdmin(SimpleHistoryAdmin):
    """simple-history's pages, read-only: a past version can be looked at, never restored.

    Restoring would write a record without a reason or a source, past the status service;
    SIMPLE_HISTORY_REVERT_DISABLED only hides the button, so the view refuses the POST too."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Recommendation)
class RecommendationAdmin(HistoryAdmin):
    form = RecommendationForm
    list_display = [
        "code",
        "summary",
        "placement",
        "responsibility_display",
        "assessment",
        "implementation",
        "holders",
        "updated_at",
    ]
    list_filter = [
        "cluster",
        "section",
        "responsibility",
        "assessment_status",
        "implementation_status",
        "mandate_holders",
        "priority",
        "topics",
        DemoDataFilter,
    ]
    search_fields = ["text", "short_title"]
    search_help_text = _(
        "A number (R14, 14), a range (R14-R20), a list (R2, R10) or words of the text."
    )
    ordering = ["number"]
    list_per_page = 100
    empty_value_display = NOT_YET_RECORDED
    autocomplete_fields = ["topics"]
    inlines = [MandateAssignmentInline, SourceInline]
    actions = ["set_statuses"]
    readonly_fields = [
        "code",
        "assessment_status_changed_at",
        "assessment_status_demo",
        "implementation_status_changed_at",
        "implementation_status_demo",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["code", "short_title", "text"]}),
        (_("In French"), {"fields": ["short_title_fr", "text_fr"], "classes": ["collapse"]}),
        (_("Place in the report"), {"fields": ["cluster", "section", "priority", "topics"]}),
        (
            _("Status"),
            {
                "fields": [
                    "responsibility",
                    ("assessment_status", "assessment_status_changed_at", "assessment_status_demo"),
                    (
                        "implementation_status",
                        "implementation_status_changed_at",
                        "implementation_status_demo",
                    ),
                ]
            },
        ),
        (_("Remarks"), {"fields": ["public_remarks", "internal_remarks"]}),
        (_("This change"), {"fields": ["change_reason", "version"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    history_list_display = ["via"]
    object_history_list_template = "admin/recommendations/recommendation/object_history_list.html"
    change_list_template = "admin/recommendations/recommendation/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).for_list()

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "import/",
                wrap(partial(admin_import.import_view, self)),
                name="recommendations_recommendation_import",
            ),
            path(
                "import/template/",
                wrap(partial(admin_import.import_template_view, self)),
                name="recommendations_recommendation_import_template",
            ),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        # The 384 numbers are fixed: the reference loader creates them, nobody adds more.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        return queryset.search(search_term), False

    def get_historical_record_context_helper(self, request, historical_record):
        return RecommendationHistoryHelper(self.model, historical_record)

    M2M_FIELDS = ("mandate_holders", "topics")

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """simple-history's deltas, with the page's many-to-many snapshots read at once (two
        queries) rather than four queries per record (``diff_against`` asks for each)."""
        records = list(historical_records)  # newest first
        holders, topics = snapshots([record.history_id for record in records])
        rows = {"mandate_holders": holders, "topics": topics}
        for newer, older in pairwise(records):
            delta = newer.diff_against(
                older, excluded_fields=self.M2M_FIELDS, foreign_keys_are_objs=foreign_keys_are_objs
            )
            helper = self.get_historical_record_context_helper(request, newer)
            changes = helper.context_for_delta_changes(delta)
            for name in self.M2M_FIELDS:
                old = _m2m_value(rows[name].get(older.history_id, []))
                new = _m2m_value(rows[name].get(newer.history_id, []))
                if [key for key, _shown in old] != [key for key, _shown in new]:
                    change = helper.format_delta_change(
                        ModelChange(
                            name, [shown for _k, shown in old], [shown for _k, shown in new]
                        )
                    )
                    changes.append({"field": change.field, "old": change.old, "new": change.new})
            newer.history_delta_changes = changes

    @admin.display(description=_("through"))
    def via(self, record):
        if record.history_progress_update_id:
            return format_html(
                '{} (<a href="{}">{}</a>)',
                record.get_history_source_display(),
                reverse("recommendations:update", args=[record.history_progress_update_id]),
                _("the update"),
            )
        return record.get_history_source_display()

    # Columns

    def action_checkbox(self, obj):
        """Django's row checkbox (``ModelAdmin.action_checkbox``), written out: rendering its
        widget's template for each row took a third of the 100-row list's time."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    @admin.display(description=_("No."), ordering="number")
    def code(self, obj):
        return obj.code

    @admin.display(description=_("Recommendation"))
    def summary(self, obj):
        text = obj.short_title or obj.text
        if not text:
            return format_html('<span class="unknown">{}</span>', _("Text not yet recorded"))
        return Truncator(text).words(14)

    @admin.display(description=_("Place"), ordering="section__order")
    def placement(self, obj):
        if obj.section_id:
            return obj.section.key
        return obj.cluster.code if obj.cluster_id else None

    @admin.display(description=_("Responsibility"), ordering="responsibility")
    def responsibility_display(self, obj):
        return obj.get_responsibility_display() if obj.responsibility else None

    @admin.display(description=_("Assessment"), ordering="assessment_status__order")
    def assessment(self, obj):
        return status_badge(obj.assessment_status, obj.assessment_status_demo)

    @admin.display(description=_("Implementation"), ordering="implementation_status__order")
    def implementation(self, obj):
        return status_badge(obj.implementation_status, obj.implementation_status_demo)

    @admin.display(description=_("Mandate-holders"))
    def holders(self, obj):
        rows = obj.assignments.all()
        if not rows:
            return None
        return format_html_join(
            ", ",
            "{}{}",
            (
                (
                    a.mandate_holder.short_name,
                    ""
                    if a.role == MandateAssignment.Role.LEAD
                    else f" ({a.get_role_display().lower()})",
                )
                for a in rows
            ),
        )

    # Saving: one call to the service with the form's fields, topics and assignments.

    def save_model(self, request, obj, form, change):
        """Nothing here: save_related writes everything once the inlines are known."""

    def save_related(self, request, form, formsets, change):
        # Only what the person changed is passed on: the service treats a status or an
        # assignment list it is given as confirmed (demonstration values become real).
        recommendation = form.instance
        changes = {
            name: form.cleaned_data[name]
            for name in [*UPDATABLE_FIELDS, "topics"]
            if name in form.changed_data
        }
        reason = form.cleaned_data["change_reason"]
        for formset in formsets:
            if formset.model is MandateAssignment:
                if not formset.has_changed():
                    continue
                changes["assignments"] = [
                    Assignment(
                        f.cleaned_data["mandate_holder"],
                        f.cleaned_data["role"],
                        f.cleaned_data["note"],
                    )
                    for f in formset.forms
                    if f.cleaned_data.get("mandate_holder") and not f.cleaned_data.get("DELETE")
                ]
            else:
                for instance in formset.save(commit=False):
                    instance._history_user = request.user
                    instance._change_reason = reason
                    instance._history_source = ChangeSource.ADMIN
                    instance.save()
                for instance in formset.deleted_objects:
                    instance._change_reason = reason
                    instance._history_source = ChangeSource.ADMIN
                    instance.delete()
        changed = recommendation_update(
            recommendation.pk,
            changes=changes,
            user=request.user,
            reason=reason,
            source=ChangeSource.ADMIN,
            expected_version=form.cleaned_data.get("version"),
        )
        if changed:
            labels = ", ".join(
                str(Recommendation._meta.get_field(name).verbose_name) for name in changed
            )
            self.message_user(
                request, _("Recorded in the history: %(fields)s.") % {"fields": labels}
            )

    def construct_change_message(self, request, form, formsets, add):
        # The assignments are written by the service, not by their formset; the history
        # record (not this log entry) holds what changed in them.
        formsets = [f for f in formsets if f.model is not MandateAssignment]
        return super().construct_change_message(request, form, formsets, add)

    # Bulk action

    @admin.action(
        description=_("Set status on the selected recommendations…"), permissions=["change"]
    )
    def set_statuses(self, request, queryset):
        form = BulkStatusForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            changed = recommendations_bulk_update(
                queryset,
                changes=form.changes(),
                user=request.user,
                reason=form.cleaned_data["reason"],
                source=ChangeSource.BULK,
            )
            unchanged = queryset.count() - changed
            self.message_user(
                request,
                ngettext(
                    "Updated %(count)d recommendation.",
                    "Updated %(count)d recommendations.",
                    changed,
                )
                % {"count": changed}
                + (
                    " "
                    + ngettext(
                        "%(count)d already had these values.",
                        "%(count)d already had these values.",
                        unchanged,
                    )
                    % {"count": unchanged}
                    if unchanged
                    else ""
                ),
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/recommendations/recommendation/set_statuses.html",
            {
                **self.admin_site.each_context(request),
                "title": ngettext(
                    "Set status on %(count)d recommendation",
                    "Set status on %(count)d recommendations",
                    len(queryset),
                )
                % {"count": len(queryset)},
                "form": form,
                "queryset": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "media": self.media,
            },
        )


#
# Reference lists and vocabularies
#


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "order"]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "cluster", "parent", "recommendation_count"]
    list_filter = ["cluster"]
    list_select_related = ["cluster", "parent"]
    search_fields = ["key", "title", "title_fr"]
    autocomplete_fields = ["parent"]

    def get_queryset(self, request):
        # Meta.ordering does not apply to aggregate queries: order explicitly.
        return (
            super()
            .get_queryset(request)
            .annotate(recommendation_count=Count("recommendations"))
            .order_by("order", "key")
        )

    @admin.display(description=_("recommendations"), ordering="recommendation_count")
    def recommendation_count(self, obj):
        return obj.recommendation_count


class StatusVocabularyAdmin(admin.ModelAdmin):
    list_display = [
        "label_en",
        "label_fr",
        "key",
        "order",
        "swatch",
        "is_final",
        "recommendation_count",
    ]
    list_editable = ["order"]
    search_fields = ["key", "label_en", "label_fr"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(recommendation_count=Count("recommendations"))
            .order_by("order", "key")
        )

    @admin.display(description=_("colour"))
    def swatch(self, obj):
        return status_badge(obj)

    @admin.display(description=_("recommendations"), ordering="recommendation_count")
    def recommendation_count(self, obj):
        return obj.recommendation_count


@admin.register(AssessmentStatus)
class AssessmentStatusAdmin(StatusVocabularyAdmin):
    list_display = [*StatusVocabularyAdmin.list_display, "counts_as_assessed", "counts_as_positive"]


@admin.register(ImplementationStatus)
class ImplementationStatusAdmin(StatusVocabularyAdmin):
    list_display = [*StatusVocabularyAdmin.list_display, "counts_as_implemented"]


@admin.register(MandateHolder)
class MandateHolderAdmin(admin.ModelAdmin):
    list_display = ["name", "abbreviation", "kind", "parent", "recommendation_count"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name", "name_fr", "abbreviation", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(recommendation_count=Count("assignments__recommendation", distinct=True))
            .order_by("name")
        )

    @admin.display(description=_("recommendations"), ordering="recommendation_count")
    def recommendation_count(self, obj):
        return obj.recommendation_count


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "oversight", "order"]
    list_select_related = ["oversight_forum"]
    search_fields = ["name", "name_fr", "key"]
    autocomplete_fields = ["oversight_forum"]

    @admin.display(description=_("forum overseeing implementation"))
    def oversight(self, obj):
        return obj.oversight_forum or _("To be determined")

    def get_deleted_objects(self, objs, request):
        """A topic a published edition names stays (the database refuses to change the
        edition): the admin lists it as protected, as it does a PROTECT foreign key."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        named = EditionRow.topics.through.objects.filter(
            topic__in=[obj.pk for obj in objs], editionrow__edition__kind=Edition.Kind.PUBLISHED
        ).values("topic")
        for topic in Topic.objects.filter(pk__in=named):
            protected.append(_("%(topic)s: named by a published edition") % {"topic": topic})
        return deleted, counts, perms_needed, protected


@admin.register(AssemblySession)
class AssemblySessionAdmin(admin.ModelAdmin):
    list_display = ["code", "start_date", "end_date", "venue"]


@admin.register(ProgressStatement)
class ProgressStatementAdmin(admin.ModelAdmin):
    list_display = ["date", "context", "statement", "count", "recommendation"]
    list_filter = ["session"]
    list_select_related = ["recommendation"]
    raw_id_fields = ["recommendation"]


@admin.register(Source)
class SourceAdmin(HistoryAdmin):
    list_display = ["recommendation", "fact", "value_short", "document", "from_reference_data"]
    list_filter = ["fact", "from_reference_data"]
    list_select_related = ["recommendation"]
    search_fields = ["document", "url", "note", "value"]
    raw_id_fields = ["recommendation"]
    ordering = ["recommendation__number", "fact"]

    @admin.display(description=_("value"))
    def value_short(self, obj):
        return Truncator(obj.value).chars(60) if obj.value else None


@admin.register(ImportColumnMapping)
class ImportColumnMappingAdmin(admin.ModelAdmin):
    """The column headers the Secretariat taught the import (saved from its preview)."""

    list_display = ["header", "field", "updated_by", "updated_at"]
    search_fields = ["header", "field"]
    readonly_fields = ["updated_by", "updated_at"]

    def has_add_permission(self, request):
        return False  # made from the import's preview, where the header is seen


@admin.register(ValueAlias)
class ValueAliasAdmin(admin.ModelAdmin):
    """Words the import reads as a status or a mandate-holder ("Ongoing", "Greffe", "N/A"):
    the reference data's (fixtures/value_aliases.csv) and those mapped in a preview."""

    list_display = ["value", "kind", "target", "from_reference_data", "updated_by", "updated_at"]
    list_filter = ["kind", "from_reference_data"]
    search_fields = ["value", "target", "note"]
    readonly_fields = ["from_reference_data", "updated_by", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user  # the value was normalised by the model's clean()
        super().save_model(request, obj, form, change)


#
# Progress reporting and accounts
#


@admin.register(FocalPoint)
class FocalPointAdmin(admin.ModelAdmin):
    """Who reports for which mandate-holder; also editable on each user's page."""

    list_display = ["user", "mandate_holder"]
    list_filter = ["mandate_holder"]
    list_select_related = ["user", "mandate_holder"]
    search_fields = ["user__username", "user__email", "user__last_name", "mandate_holder__name"]
    autocomplete_fields = ["user", "mandate_holder"]

    # Separation of duties: no one but a superuser links their own account to a mandate-holder.

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = User.objects.exclude(pk=request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return not _own_link(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _own_link(request, obj) and super().has_delete_permission(request, obj)


def _own_link(request, focal_point) -> bool:
    return (
        focal_point is not None
        and focal_point.user_id == request.user.pk
        and not request.user.is_superuser
    )


class ProgressUpdateEventInline(admin.TabularInline):
    model = ProgressUpdateEvent
    extra = 0
    fields = ["at", "action", "user", "comment"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(admin.ModelAdmin):
    """Read only: updates are written by focal points and decided in the review queue."""

    list_display = ["recommendation", "mandate_holder", "period", "state", "is_public", "author"]
    list_filter = ["state", "is_public", "mandate_holder"]
    list_select_related = ["recommendation", "mandate_holder", "author"]
    search_fields = ["recommendation__number", "action_taken", "impediments", "next_steps"]
    ordering = ["-created_at"]
    inlines = [ProgressUpdateEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("period"))
    def period(self, obj):
        return obj.period


def _own_account(request, user) -> bool:
    return user is not None and user.pk == request.user.pk and not request.user.is_superuser


class FocalPointInline(admin.TabularInline):
    model = FocalPoint
    extra = 1
    autocomplete_fields = ["mandate_holder"]
    verbose_name = _("reports for")
    verbose_name_plural = _("reports for (focal point of these mandate-holders)")

    # On one's own account page the links are shown, not editable (see UserAdmin).

    def has_add_permission(self, request, obj=None):
        return not _own_account(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _own_account(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _own_account(request, obj) and super().has_delete_permission(request, obj)


class InvitationCreationForm(forms.ModelForm):
    """A new account opened by the Secretariat: no password; its owner chooses one from the
    invitation mailed to the address given here."""

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _("The invitation to choose a password is sent here.")

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class UserAdmin(DjangoUserAdmin):
    """Accounts, managed by the Secretariat: it sets the role groups and the mandate-holders a
    focal point reports for, but cannot make anyone a superuser, grant single permissions,
    touch a superuser's account, change its own roles or links, or set anyone's password
    (a new account's owner chooses it from the invitation; separation of duties)."""

    inlines = [FocalPointInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "role_groups"]
    list_filter = ["groups", "is_staff", "is_superuser", "is_active"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None and not request.user.is_superuser:
            kwargs["form"] = InvitationCreationForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None and not request.user.is_superuser:
            return [(None, {"fields": InvitationCreationForm.Meta.fields})]
        return super().get_fieldsets(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if not obj.has_usable_password() and send_invitation(obj, request):
            self.message_user(
                request,
                _("An invitation to choose a password was sent to %(email)s.")
                % {"email": obj.email},
            )
        return super().response_add(request, obj, post_url_continue)

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser and str(id) != str(request.user.pk):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def role_groups(self, obj):
        return ", ".join(group.name for group in obj.groups.all())

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions", "last_login", "date_joined"]
        if _own_account(request, obj):
            readonly += ["groups", "is_staff", "is_active"]
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=list(GROUP_PERMISSIONS))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


admin.site.unregister(User)
admin.site.register(User, UserAdmin)


#
# Editions of the Matrix
#


class EditionForm(forms.ModelForm):
    class Meta:
        model = Edition
        fields = ["title", "session", "slug", "note", "corrects"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:  # the add form (a published edition is shown read only)
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _(
                "Part of its permanent URL, e.g. asp24. Empty: made from the session or the title."
            )
            self.fields["corrects"].queryset = Edition.objects.published()


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    """Publishing freezes the 384 records as they are now; a published edition can be
    viewed, never changed or deleted (a correction is a new edition)."""

    form = EditionForm
    list_display = ["title", "slug", "session", "cutoff", "row_count", "published_by"]
    list_select_related = ["session", "published_by"]
    readonly_fields = ["cutoff", "row_count", "published_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).published()

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def view_on_site(self, obj):
        return obj.get_absolute_url()

    def save_model(self, request, obj, form, change):
        edition = publish_edition(
            title=obj.title,
            user=request.user,
            session=obj.session,
            slug=obj.slug,
            note=obj.note,
            corrects=obj.corrects,
        )
        obj.__dict__.update(edition.__dict__)


#
# The audit log (superusers only)
#


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Sign-ins and sensitive actions (recommendations/audit.py): read only, for superusers."""

    list_display = ["at", "action", "username", "target", "address", "detail"]
    list_filter = ["action"]
    search_fields = ["username", "target", "address", "detail"]
    date_hierarchy = "at"

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

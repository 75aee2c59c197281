"""The back-office import page: upload, preview, apply (``RecommendationAdmin.get_urls``).

The uploaded file waits in ``SpreadsheetUpload`` between the preview and the confirmation, so
that what is applied is exactly what was previewed, re-planned against the database as it is
at that moment (someone may have changed a row in between: the new plan shows it).
"""

import datetime
import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from recommendations.exports import FORMATS, Export
from recommendations.filters import Vocabulary, with_vocabulary
from recommendations.importer import (
    EXTENSIONS,
    MAX_BYTES,
    Choices,
    ChoicesChanged,
    ImportFileError,
    PlanChanged,
    apply_import,
    importable_fields,
    plan_import,
    read_document,
)
from recommendations.importer.readers import extension_of
from recommendations.importer.text import normalise
from recommendations.importer.values import read_date
from recommendations.models import (
    AssessmentStatus,
    ImplementationStatus,
    ImportColumnMapping,
    MandateHolder,
    Recommendation,
    SpreadsheetUpload,
    ValueAlias,
)

KEEP_UPLOADS = datetime.timedelta(days=1)
TEMPLATE = "admin/recommendations/recommendation/import.html"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("The Matrix"),
        help_text=gettext_lazy(
            "XLSX, ODS, CSV, Word (.docx) or PDF (with its text, not a scan), up to 10 MB. "
            "Every sheet or table with a column of recommendation numbers is read."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.ods,.csv,.docx,.pdf"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:  # refused before anything reads it
            raise forms.ValidationError(
                _("The file is %(size).1f MB; the limit is %(limit)d MB.")
                % {"size": upload.size / 2**20, "limit": MAX_BYTES // 2**20}
            )
        if extension_of(upload.name) not in EXTENSIONS:
            raise forms.ValidationError(
                _("“%(name)s” is not an XLSX, ODS, CSV, Word (.docx) or PDF file.")
                % {"name": upload.name}
            )
        return upload


def _short_name(name: str, limit: int = 200) -> str:
    """The file name as kept (200 characters at most), its extension kept."""
    if len(name) <= limit:
        return name
    extension = extension_of(name)
    return name[: limit - len(extension) - 1] + "." + extension


def _choices(request, document) -> Choices:
    """What the officer chose in the preview's form."""
    post = request.POST
    names = [table.name for table in document.tables]
    choices = Choices()
    for key, value in post.items():
        if key.startswith("column_"):
            table, _sep, index = key.removeprefix("column_").partition("_")
            if (
                re.fullmatch(r"[0-9]{1,4}", table)
                and re.fullmatch(r"[0-9]{1,4}", index)
                and (int(table) < len(names))
            ):
                choices.columns[(names[int(table)], int(index))] = value
        elif key.startswith("settle_"):
            choices.settle[key] = value
        elif key.startswith("map_") and value != "?":
            choices.values[key] = value
        elif key.startswith("stale_"):
            choices.include_stale.add(key.removeprefix("stale_"))
    if post.get("stale_all") == "on":
        choices.include_stale.add("all")
    if post.get("file_date"):
        day = read_date(post["file_date"])
        if day is not None and 2000 <= day.year <= 2100:  # the IER's years, not a typo's
            choices.file_date = day
    return choices


def _remember(plan, choices: Choices, user) -> int:
    """Save the columns and values mapped in the preview for every later import."""
    saved = 0
    for table in plan.tables:
        for column in table.columns:
            if column.chosen and normalise(column.header):
                ImportColumnMapping.objects.update_or_create(
                    header=normalise(column.header)[:200],
                    defaults={"field": column.field or "", "updated_by": user},
                )
                saved += 1
    for key, target in choices.values.items():
        value = next((v for v in plan.mapped if v.key == key), None)
        if value is not None and value.normalised:  # "—" alone is not a word to remember
            alias = ValueAlias.objects.filter(kind=value.kind, value=value.normalised).first()
            alias = alias or ValueAlias(kind=value.kind, value=value.normalised)
            alias.target, alias.updated_by, alias.from_reference_data = target, user, False
            try:
                alias.full_clean()  # the plan kept only targets that exist
            except ValidationError:
                continue  # not a word the import can remember: it stays a value to map
            alias.save()
            saved += 1
    return saved


def _targets() -> dict[str, list[tuple[str, str]]]:
    """What an unknown value can be mapped to, by kind."""
    return {
        ValueAlias.Kind.ASSESSMENT: [(s.key, s.label) for s in AssessmentStatus.objects.all()],
        ValueAlias.Kind.IMPLEMENTATION: [
            (s.key, s.label) for s in ImplementationStatus.objects.all()
        ],
        ValueAlias.Kind.MANDATE_HOLDER: [(h.slug, str(h)) for h in MandateHolder.objects.all()],
    }


def import_view(model_admin, request):
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Import the Matrix"),
        "template_url": reverse("admin:recommendations_recommendation_import_template"),
    }
    SpreadsheetUpload.objects.filter(created_at__lt=timezone.now() - KEEP_UPLOADS).delete()

    def preview(plan, upload, choices, status=200, since=()):
        return render(
            request,
            TEMPLATE,
            {
                **context,
                "plan": plan,
                "upload": upload,
                "fields": importable_fields(),
                "targets": _targets(),
                "choices": choices,
                "tables": list(enumerate(plan.tables)),
                "changed_since": since,
            },
            status=status,
        )

    if request.method == "POST" and "upload" in request.POST:
        upload_id = request.POST["upload"]
        upload = (
            SpreadsheetUpload.objects.filter(pk=upload_id, user=request.user).first()
            if re.fullmatch(r"[0-9]{1,18}", upload_id)
            else None
        )
        if upload is None:
            messages.error(request, _("This preview has expired: upload the file again."))
            return redirect("admin:recommendations_recommendation_import")
        try:
            # bytes(): PostgreSQL returns a BinaryField as a memoryview.
            document = read_document(upload.filename, bytes(upload.content))
            choices = _choices(request, document)
            plan = plan_import(document, choices)
        except ImportFileError as error:
            messages.error(request, str(error))
            return redirect("admin:recommendations_recommendation_import")
        if request.POST.get("remember") == "on" and _remember(plan, choices, request.user):
            messages.success(request, _("Your choices are saved for the next imports."))
            plan = plan_import(document, choices)  # planned with what was just saved
        if request.POST.get("action") != "apply":
            return preview(plan, upload, choices)
        try:
            outcome = apply_import(
                document, choices, token=request.POST.get("token", ""), user=request.user
            )
        except PlanChanged as changed:
            messages.error(
                request,
                _(
                    "Nothing was written: the records changed since your preview (another "
                    "import, or an edit). This is the new preview: check it and apply again."
                ),
            )
            return preview(changed.plan, upload, choices, status=409, since=changed.changes)
        except ChoicesChanged as changed:
            messages.warning(
                request,
                _(
                    "Nothing was written yet: your choices change what the import would write. "
                    "This is the preview with them: check it and apply again."
                ),
            )
            return preview(changed.plan, upload, choices)
        except ImportFileError as error:  # refused by the service: nothing was written
            messages.error(request, str(error))
            return preview(plan, upload, choices)
        upload.delete()
        messages.success(
            request,
            ngettext(
                "Imported from %(name)s: %(count)d recommendation changed.",
                "Imported from %(name)s: %(count)d recommendations changed.",
                outcome.changed,
            )
            % {"name": plan.filename, "count": outcome.changed},
        )
        if outcome.new_parts or outcome.new_sections:
            messages.info(
                request,
                _("Created from the file: new parts %(parts)d, new sections %(sections)d.")
                % {"parts": outcome.new_parts, "sections": outcome.new_sections},
            )
        return redirect("admin:recommendations_recommendation_changelist")

    form = UploadForm(request.POST or None, request.FILES or None)
    refused = getattr(request, "refused_uploads", {}).get("file")
    if refused is not None:  # cut off while it arrived (recommendations/uploads.py)
        form.is_valid()
        form.errors["file"] = form.error_class(
            [
                _("“%(name)s” is larger than %(limit)d MB, the limit: it was not read.")
                % {"name": refused, "limit": MAX_BYTES // 2**20}
            ]
        )
    elif request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        content = file.read()
        try:
            plan = plan_import(read_document(file.name, content))
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            upload = SpreadsheetUpload.objects.create(
                user=request.user, filename=_short_name(file.name), content=content
            )
            return preview(plan, upload, Choices())
    return render(request, TEMPLATE, {**context, "form": form})


def import_template_view(model_admin, request):
    """An XLSX to fill in: the export of all 384 with their current values."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    vocabulary = Vocabulary()
    rows = with_vocabulary(Recommendation.objects.order_by("number"), vocabulary, topics=True)
    export = Export(rows, name="import-template", internal=True)
    response = HttpResponse(export.render("xlsx"), content_type=FORMATS["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="{export.filename("xlsx")}"'
    response["Cache-Control"] = "private, no-store"
    return response

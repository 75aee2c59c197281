"""The back-office import page: upload, preview, apply (``RecommendationAdmin.get_urls``).

The uploaded file waits in ``SpreadsheetUpload`` between the preview and the confirmation, so
that what is applied is exactly what was previewed, re-planned against the database as it is
at that moment (someone may have changed a row in between: the new plan shows it).
"""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
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
    ImportFileError,
    apply_import,
    importable_fields,
    plan_import,
    read_sheet,
    remember_mapping,
)
from recommendations.models import Recommendation, SpreadsheetUpload

KEEP_UPLOADS = datetime.timedelta(days=1)
TEMPLATE = "admin/recommendations/recommendation/import.html"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy(
            "XLSX, ODS or CSV (UTF-8 or Windows-1252, comma or semicolon), up to 10 MB. One row "
            "per recommendation, with a column for its number (R14, 14 or Rec. 14)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.ods,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:  # refused before anything reads it
            raise forms.ValidationError(
                _("The file is %(size).1f MB; the limit is %(limit)d MB.")
                % {"size": upload.size / 2**20, "limit": MAX_BYTES // 2**20}
            )
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if extension not in EXTENSIONS:
            raise forms.ValidationError(
                _("“%(name)s” is not an XLSX, ODS or CSV file.") % {"name": upload.name}
            )
        return upload


def import_view(model_admin, request):
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Import a spreadsheet"),
        "template_url": reverse("admin:recommendations_recommendation_import_template"),
    }
    SpreadsheetUpload.objects.filter(created_at__lt=timezone.now() - KEEP_UPLOADS).delete()

    if request.method == "POST" and "upload" in request.POST:
        upload_id = request.POST["upload"]
        upload = (
            SpreadsheetUpload.objects.filter(pk=upload_id, user=request.user).first()
            if upload_id.isdigit()
            else None
        )
        if upload is None:
            messages.error(request, _("This preview has expired: upload the file again."))
            return redirect("admin:recommendations_recommendation_import")
        choices = {
            int(key.removeprefix("column_")): value
            for key, value in request.POST.items()
            if key.startswith("column_") and key.removeprefix("column_").isdigit()
        }
        try:
            # bytes(): PostgreSQL returns a BinaryField as a memoryview.
            sheet = read_sheet(upload.filename, bytes(upload.content))
            plan = plan_import(upload.filename, sheet, choices)
        except ImportFileError as error:
            messages.error(request, str(error))
            return redirect("admin:recommendations_recommendation_import")
        preview = {**context, "plan": plan, "upload": upload, "fields": importable_fields()}
        if request.POST.get("remember") == "on" and remember_mapping(plan.columns, request.user):
            messages.success(request, _("Your choices of columns are saved for next time."))
        if request.POST.get("action") != "apply":
            return render(request, TEMPLATE, preview)
        skip = request.POST.get("skip_rows_in_error") == "on"
        if plan.problems and not skip:
            messages.error(
                request, _("The file has problems: fix them, or choose to skip those rows.")
            )
            return render(request, TEMPLATE, preview)
        try:
            changed = apply_import(plan, user=request.user, skip_rows_in_error=skip)
        except ImportFileError as error:  # a row the service refused: nothing was written
            messages.error(request, str(error))
            return render(request, TEMPLATE, preview)
        upload.delete()
        messages.success(
            request,
            ngettext(
                "Imported from %(name)s: %(count)d recommendation changed.",
                "Imported from %(name)s: %(count)d recommendations changed.",
                changed,
            )
            % {"name": plan.filename, "count": changed},
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
            plan = plan_import(file.name, read_sheet(file.name, content))
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            upload = SpreadsheetUpload.objects.create(
                user=request.user, filename=file.name[:200], content=content
            )
            return render(
                request,
                TEMPLATE,
                {**context, "plan": plan, "upload": upload, "fields": importable_fields()},
            )
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

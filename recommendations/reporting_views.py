"""The reporting pages: a focal point's recommendations and updates, the Secretariat's review
queue and overview, and each mandate-holder's report for the Assembly session.

Every view checks on the server, on every request, who may see or do what
(``reporting.may_*``, ``roles.is_*``): a forged URL or form gets 403 and changes nothing.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_safe

from recommendations import reporting, spreadsheets
from recommendations.converters import Code
from recommendations.exports import FORMATS as EXPORT_FORMATS
from recommendations.exports import Export
from recommendations.filters import OWNER_ROLES, Vocabulary, with_vocabulary
from recommendations.forms import ProgressUpdateForm, ReviewForm
from recommendations.listing import EXPORT_LABELS, download_links, download_response
from recommendations.models import (
    MandateAssignment,
    MandateHolder,
    ProgressUpdate,
    Recommendation,
)
from recommendations.roles import is_focal_point, is_reviewer

State = ProgressUpdate.State


def _private(response: HttpResponse) -> HttpResponse:
    """Pages and files for one signed-in person: never kept by a shared cache."""
    patch_cache_control(response, private=True, no_store=True)
    return response


def _recommendation(code: Code) -> Recommendation:
    return get_object_or_404(
        Recommendation.objects.select_related("assessment_status", "implementation_status"),
        number=code.number_or_404(),
    )


#
# Focal points
#


def _my_rows(user, vocabulary: Vocabulary, *, topics: bool = False) -> list[Recommendation]:
    holder_ids = reporting.linked_holder_ids(user)
    return with_vocabulary(
        reporting.with_last_accepted(reporting.reportable(user), holder_ids),
        vocabulary,
        topics=topics,
    )


@login_required
@require_safe
def my_recommendations(request):
    """ "My recommendations": a focal point's list, with what is due and its updates."""
    user = request.user
    if not is_focal_point(user):
        if is_reviewer(user):
            return redirect("recommendations:review_queue")
        raise PermissionDenied
    due_since, session = reporting.due_since()
    rows = _my_rows(user, Vocabulary())
    for row in rows:
        row.is_due = row.last_accepted is None or row.last_accepted.date() < due_since
    holder_ids = reporting.linked_holder_ids(user)
    in_progress = (
        ProgressUpdate.objects.filter(
            Q(author=user) | Q(mandate_holder_id__in=holder_ids),
            state__in=[State.DRAFT, State.RETURNED, State.SUBMITTED],
        )
        .select_related("recommendation", "mandate_holder", "author")
        .order_by("state", "-updated_at")
    )
    return _private(
        render(
            request,
            "reporting/my_recommendations.html",
            {
                "holders": reporting.linked_holders(user),
                "rows": rows,
                "due_count": sum(row.is_due for row in rows),
                "due_since": due_since,
                "session": session,
                "in_progress": in_progress,
                "downloads": download_links("recommendations:my_export", []),
                "as_of": timezone.now(),
            },
        )
    )


@login_required
@require_safe
def my_export(request, extension: str):
    """A focal point's own list, with the internal columns."""
    if not is_focal_point(request.user):
        raise PermissionDenied
    holders = ", ".join(h.short_name for h in reporting.linked_holders(request.user))
    export = Export(
        _my_rows(request.user, Vocabulary(), topics=True),
        filters=[gettext("Recommendations of %(holders)s") % {"holders": holders}],
        name="my-recommendations",
        internal=True,
    )
    return download_response(export, extension)


@login_required
@require_http_methods(["GET", "POST"])
def update_create(request, code: Code):
    recommendation = _recommendation(code)
    holders = reporting.holders_for(request.user, recommendation)
    first = holders.first()
    if first is None:
        raise PermissionDenied
    due_since, _session = reporting.due_since()
    form = ProgressUpdateForm(
        request.POST or None,
        recommendation=recommendation,
        holders=holders,
        initial={
            "mandate_holder": first,
            "period_start": due_since,
            "period_end": timezone.localdate(),
        },
    )
    return _edit(request, form, recommendation, None)


@login_required
@require_http_methods(["GET", "POST"])
def update_detail(request, pk: int):
    """An update: its text, its steps and, for its author while it is editable, the form."""
    update = get_object_or_404(ProgressUpdate.objects.for_display(), pk=pk)
    if not reporting.may_view(request.user, update):
        raise PermissionDenied
    recommendation = update.recommendation
    if reporting.may_edit(request.user, update):
        form = ProgressUpdateForm(
            request.POST or None,
            instance=update,
            recommendation=recommendation,
            holders=reporting.holders_for(request.user, recommendation),
        )
        return _edit(request, form, recommendation, update)
    if request.method == "POST":
        raise PermissionDenied  # submitted or reviewed: locked for its author
    return _private(
        render(
            request,
            "reporting/update_detail.html",
            {
                "update": update,
                "rec": recommendation,
                "events": update.events.select_related("user"),
                "reviewer": is_reviewer(request.user),
            },
        )
    )


def _edit(request, form, recommendation, update):
    if request.method == "POST":
        _refuse_forged_holder(request, form)
        submit = "submit" in request.POST
        if form.is_valid():
            try:
                saved = reporting.save_update(
                    form.instance,
                    user=request.user,
                    submit=submit,
                    version=form.cleaned_data.get("version"),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if submit:
                    messages.success(
                        request,
                        gettext("Your update on %(code)s was sent to the ASP Secretariat.")
                        % {"code": recommendation.code},
                    )
                    return redirect("recommendations:reporting")
                messages.success(request, gettext("Draft saved."))
                return redirect("recommendations:update", saved.pk)
    last_accepted = (
        ProgressUpdate.objects.accepted()
        .filter(recommendation=recommendation)
        .select_related("mandate_holder")
        .order_by("-reviewed_at")
        .first()
    )
    response = render(
        request,
        "reporting/update_form.html",
        {
            "form": form,
            "rec": recommendation,
            "update": update,
            "events": update.events.select_related("user") if update else [],
            "last_accepted": last_accepted,
        },
        status=400 if form.errors else 200,
    )
    return _private(response)


def _refuse_forged_holder(request, form) -> None:
    """A mandate-holder that was never offered is a forged form, not a mistake: 403."""
    raw = request.POST.get("mandate_holder", "")
    offered = form.fields["mandate_holder"].queryset
    allowed = {str(pk) for pk in offered.values_list("pk", flat=True)}
    if raw and raw not in allowed:
        raise PermissionDenied


#
# The Secretariat
#


def _reviewer_only(request) -> None:
    if not is_reviewer(request.user):
        raise PermissionDenied


@login_required
@require_safe
def review_queue(request):
    _reviewer_only(request)
    waiting = (
        ProgressUpdate.objects.for_display()
        .filter(state=State.SUBMITTED)
        .order_by("submitted_at", "pk")
    )
    reviewed = (
        ProgressUpdate.objects.for_display()
        .exclude(reviewed_at=None)
        .select_related("reviewed_by")
        .order_by("-reviewed_at")[:20]
    )
    return _private(
        render(request, "reporting/review_queue.html", {"waiting": waiting, "reviewed": reviewed})
    )


@login_required
@require_http_methods(["GET", "POST"])
def review(request, pk: int):
    _reviewer_only(request)
    update = get_object_or_404(ProgressUpdate.objects.for_display(), pk=pk)
    if update.state != State.SUBMITTED:
        return redirect("recommendations:update", update.pk)
    # Its author never decides on it (the service refuses too): the page says so, no form.
    own = update.author_id == request.user.pk
    form = ReviewForm(request.POST or None, update=update)
    if request.method == "POST" and not own and form.is_valid():
        decision = form.cleaned_data["decision"]
        comment = form.cleaned_data["comment"]
        try:
            if decision == ReviewForm.RETURN:
                reporting.return_update(update, user=request.user, comment=comment)
                done = gettext("Update returned to its author.")
            else:
                reporting.accept_update(
                    update,
                    user=request.user,
                    publish=decision == ReviewForm.ACCEPT,
                    show_author=form.cleaned_data["show_author"],
                    comment=comment,
                )
                done = gettext("Update accepted.")
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done)
            return redirect("recommendations:review_queue")
    rec = update.recommendation
    diff = [
        (
            gettext("Implementation status"),
            rec.implementation_status,
            update.proposed_implementation_status,
        ),
    ]
    if update.proposed_assessment_status_id or reporting.assessment_open(rec):
        diff.insert(
            0,
            (
                gettext("Assessment status"),
                rec.assessment_status,
                update.proposed_assessment_status,
            ),
        )
    previous = (
        ProgressUpdate.objects.accepted()
        .filter(recommendation=rec)
        .exclude(pk=update.pk)
        .select_related("mandate_holder")
        .order_by("-reviewed_at")
        .first()
    )
    return _private(
        render(
            request,
            "reporting/review.html",
            {
                "form": form,
                "own": own,
                "update": update,
                "rec": rec,
                "diff": diff,
                "previous": previous,
                "events": update.events.select_related("user"),
            },
            status=403 if own and form.is_bound else 400 if form.errors else 200,
        )
    )


@login_required
@require_safe
def overview(request):
    """Per mandate-holder: its recommendations, how many have an accepted update since the
    last session, how many are due, how many updates await review."""
    _reviewer_only(request)
    due_since, session = reporting.due_since()
    since_session = session.start_date if session else due_since
    owned = MandateAssignment.objects.filter(
        mandate_holder=OuterRef("pk"), role__in=OWNER_ROLES
    ).values("mandate_holder")

    def accepted_since(day):
        return Exists(
            ProgressUpdate.objects.accepted().filter(
                recommendation=OuterRef("recommendation"),
                mandate_holder=OuterRef("mandate_holder"),
                reviewed_at__date__gte=day,
            )
        )

    assignments = (
        MandateAssignment.objects.filter(role__in=OWNER_ROLES)
        .annotate(since_session=accepted_since(since_session), recent=accepted_since(due_since))
        .values("mandate_holder")
        .annotate(
            total=Count("pk"),
            updated=Count("pk", filter=Q(since_session=True)),
            due=Count("pk", filter=Q(recent=False)),
        )
    )
    figures = {row["mandate_holder"]: row for row in assignments}
    waiting = dict(
        ProgressUpdate.objects.filter(state=State.SUBMITTED)
        .values("mandate_holder")
        .annotate(n=Count("pk"))
        .values_list("mandate_holder", "n")
    )
    holders = (
        MandateHolder.objects.filter(Q(Exists(owned)) | Q(focal_points__isnull=False))
        .annotate(focal_point_count=Count("focal_points", distinct=True))
        .order_by("name")
    )
    rows = []
    for holder in holders:
        row = figures.get(holder.pk, {})
        rows.append(
            {
                "holder": holder,
                "total": row.get("total", 0),
                "updated": row.get("updated", 0),
                "due": row.get("due", 0),
                "waiting": waiting.get(holder.pk, 0),
            }
        )
    return _private(
        render(
            request,
            "reporting/overview.html",
            {"rows": rows, "due_since": due_since, "session": session},
        )
    )


#
# Reports for the Assembly session (para. 10)
#


def _as_of(request) -> tuple[datetime.date, str]:
    """The chosen date (default today) and a message if the value could not be read."""
    raw = request.GET.get("as_of", "").strip()
    today = timezone.localdate()
    if not raw:
        return today, ""
    try:
        day = datetime.date.fromisoformat(raw[:10])
    except ValueError:
        return today, gettext(
            "“%(value)s” is not a date (YYYY-MM-DD): the report is as of today."
        ) % {"value": raw[:20]}
    if day > today:
        return today, gettext("%(value)s is in the future: the report is as of today.") % {
            "value": day.isoformat()
        }
    return day, ""


@require_safe
def mandate_holder_report(request, slug: str):
    holder = get_object_or_404(MandateHolder, slug=slug)
    as_of, warning = _as_of(request)
    rows, internal = reporting.mandate_holder_report_rows(holder, as_of=as_of, user=request.user)
    query = f"?as_of={as_of.isoformat()}"
    response = render(
        request,
        "reporting/mandate_holder_report.html",
        {
            "holder": holder,
            "rows": rows,
            "as_of": as_of,
            "warning": warning,
            "internal": internal,
            "downloads": [
                (
                    label,
                    reverse("recommendations:mandate_holder_report_export", args=[slug, ext])
                    + query,
                )
                for ext, label in EXPORT_LABELS
                if ext in spreadsheets.FORMATS
            ],
            "updated_count": sum(1 for row in rows if row.update),
        },
    )
    return _private(response) if internal else response


@require_safe
def mandate_holder_report_export(request, slug: str, extension: str):
    """The report as a spreadsheet, with its long texts wrapped in wide columns."""
    holder = get_object_or_404(MandateHolder, slug=slug)
    as_of, _warning = _as_of(request)
    rows, internal = reporting.mandate_holder_report_rows(holder, as_of=as_of, user=request.user)
    headers = [
        gettext("No."),
        gettext("Role"),
        gettext("Assessment status"),
        gettext("Implementation status"),
        gettext("Period"),
        gettext("Action taken"),
        gettext("Impediments"),
        gettext("Next steps"),
        gettext("Evidence"),
        gettext("Accepted on"),
    ]
    if internal:
        headers.append(gettext("Published"))
    not_recorded = gettext("Not yet recorded")
    values = []
    for row in rows:
        update = row.update
        line = [
            row.code,
            str(row.role_label),
            str(row.as_of_assessment or not_recorded),
            str(row.as_of_implementation or not_recorded),
        ]
        if update:
            line += [
                update.period,
                update.action_taken,
                update.impediments,
                update.next_steps,
                update.evidence,
                timezone.localtime(update.reviewed_at).date(),
            ]
        else:
            line += [""] * 5 + [None]
        if internal:
            line.append((gettext("yes") if update.is_public else gettext("no")) if update else "")
        values.append(line)
    sheet = spreadsheets.Sheet(
        name=gettext("Report"),
        title_lines=[
            gettext("Report of %(holder)s on the IER recommendations, as of %(date)s")
            % {"holder": str(holder), "date": date_format(as_of, "j F Y")},
            gettext(
                "ICC-ASP/23/Res.4, para. 10: action already taken and proposals for the next steps."
            ),
        ],
        headers=headers,
        rows=values,
        widths=[7, 14, 22, 22, 24, 50, 40, 40, 24, 12, 10],
    )
    response = HttpResponse(
        spreadsheets.render(sheet, extension), content_type=EXPORT_FORMATS[extension]
    )
    response["Content-Disposition"] = (
        f'attachment; filename="ier-report-{holder.slug}-{as_of.isoformat()}.{extension}"'
    )
    return _private(response) if internal else response

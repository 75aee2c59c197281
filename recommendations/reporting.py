"""Progress reporting by focal points and mandate-holders (ICC-ASP/23/Res.4, paras. 10-11).

A focal point drafts an update on one of its mandate-holders' recommendations and submits it;
the Secretariat accepts it (published or kept internal) or returns it with a comment. Each
step is one function here: it checks the state, runs in a transaction, records a dated and
attributed ``ProgressUpdateEvent``, and sends its e-mail once the transaction has committed.
Accepting applies the proposed statuses through ``services.recommendation_update``, so the
recommendation's history says who accepted what, why, and which update it came from.

Who may do what is decided here too (``may_*``), and every view asks on every request.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from recommendations.editions import end_of, records_in_effect
from recommendations.filters import OWNER_ROLES
from recommendations.models import (
    AssemblySession,
    ChangeSource,
    FocalPoint,
    MandateAssignment,
    MandateHolder,
    ProgressUpdate,
    ProgressUpdateEvent,
    Recommendation,
)
from recommendations.roles import is_focal_point, is_reviewer
from recommendations.services import recommendation_update

logger = logging.getLogger(__name__)

State = ProgressUpdate.State
Action = ProgressUpdateEvent.Action

#
# Who may do what
#


def linked_holder_ids(user) -> frozenset[int]:
    """The mandate-holders ``user`` reports for (one query, kept on the user for the request)."""
    if not user.is_authenticated:
        return frozenset()
    if not hasattr(user, "_linked_holder_ids"):
        user._linked_holder_ids = frozenset(
            FocalPoint.objects.filter(user=user).values_list("mandate_holder_id", flat=True)
        )
    return user._linked_holder_ids


def linked_holders(user) -> QuerySet:
    return MandateHolder.objects.filter(pk__in=linked_holder_ids(user)).order_by("name")


def reportable(user) -> QuerySet:
    """The recommendations ``user`` may report on: those its mandate-holders lead or
    contribute to (a procedural mention is not ownership)."""
    if not is_focal_point(user):
        return Recommendation.objects.none()
    return Recommendation.objects.filter(
        Exists(
            MandateAssignment.objects.filter(
                recommendation=OuterRef("pk"),
                mandate_holder_id__in=linked_holder_ids(user),
                role__in=OWNER_ROLES,
            )
        )
    )


def holders_for(user, recommendation: Recommendation) -> QuerySet:
    """The mandate-holders ``user`` may report for on ``recommendation`` (empty: none)."""
    if not is_focal_point(user):
        return MandateHolder.objects.none()
    return MandateHolder.objects.filter(
        pk__in=linked_holder_ids(user),
        assignments__recommendation=recommendation,
        assignments__role__in=OWNER_ROLES,
    ).order_by("name")


def may_view(user, update: ProgressUpdate) -> bool:
    """The author, the other focal points of its mandate-holder, and the Secretariat."""
    return (
        update.author_id == user.pk
        or is_reviewer(user)
        or (is_focal_point(user) and update.mandate_holder_id in linked_holder_ids(user))
    )


def may_edit(user, update: ProgressUpdate) -> bool:
    """Only the author, only while it is a draft or returned, and only while the author still
    reports for a mandate-holder that owns the recommendation."""
    return (
        update.author_id == user.pk
        and update.is_editable
        and holders_for(user, update.recommendation).filter(pk=update.mandate_holder_id).exists()
    )


#
# When an update is due
#


def last_session(today: datetime.date | None = None) -> AssemblySession | None:
    """The latest Assembly session that has begun (its first day recorded)."""
    today = today or timezone.localdate()
    return AssemblySession.objects.filter(start_date__lte=today).order_by("-start_date").first()


def _year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def due_since(today: datetime.date | None = None) -> tuple[datetime.date, AssemblySession | None]:
    """An update is due when none was accepted since this day: 12 months ago, or the first
    day of the last Assembly session if that is later. Returns the day and the session."""
    today = today or timezone.localdate()
    session = last_session(today)
    cutoff = _year_before(today)
    if session and session.start_date > cutoff:
        cutoff = session.start_date
    return cutoff, session


def with_last_accepted(recommendations: QuerySet, holder_ids) -> QuerySet:
    """Annotate ``last_accepted``: when an update from one of ``holder_ids`` was last accepted."""
    return recommendations.annotate(
        last_accepted=Subquery(
            ProgressUpdate.objects.accepted()
            .filter(recommendation=OuterRef("pk"), mandate_holder_id__in=holder_ids)
            .order_by()
            .values("recommendation")
            .annotate(last=Max("reviewed_at"))
            .values("last")
        )
    )


#
# The workflow
#


def _record(update: ProgressUpdate, action: str, user, comment: str = "") -> None:
    ProgressUpdateEvent.objects.create(update=update, action=action, user=user, comment=comment)


def _locked(update: ProgressUpdate) -> ProgressUpdate:
    return ProgressUpdate.objects.select_for_update().get(pk=update.pk)


def draft_version(update: ProgressUpdate) -> int:
    """The id of the update's latest step (each save is one): its version, as a form opened
    it, for optimistic locking (0 for a new one)."""
    if update.pk is None:
        return 0
    return update.events.order_by("-pk").values_list("pk", flat=True).first() or 0


def save_update(
    update: ProgressUpdate, *, user, submit: bool = False, version: int | None = None
) -> ProgressUpdate:
    """Save a new or edited draft (the form has set its fields) and, with ``submit``, submit it.

    The caller has checked ``may_edit`` (or, for a new one, ``holders_for``). ``version``: the
    ``draft_version`` when the form was opened; if the draft was saved since (another tab),
    nothing is written and a ValidationError says so: the last save never silently wins.
    """
    creating = update.pk is None
    with transaction.atomic():
        if not creating:
            current = _locked(update)
            if not current.is_editable:
                raise ValidationError(
                    _("This update has been submitted: it can no longer be changed.")
                )
            if version is not None and draft_version(current) != version:
                last = current.events.order_by("-pk").first()
                raise ValidationError(
                    _(
                        "This update was saved again (%(when)s) after you opened this page, "
                        "perhaps in another tab, so this save was refused and nothing was "
                        "changed. Your text is kept below: copy what you need, then open the "
                        "update again."
                    )
                    % {"when": timezone.localtime(last.at).strftime("%Y-%m-%d %H:%M")}
                )
        if creating:
            update.author = user
        if submit:
            update.state = State.SUBMITTED
            update.submitted_at = timezone.now()
        update.full_clean()
        update.save()
        _record(update, Action.CREATED if creating else Action.SAVED, user)
        if submit:
            _record(update, Action.SUBMITTED, user)
    if submit:
        transaction.on_commit(lambda: notify_submitted(update))
    return update


def return_update(update: ProgressUpdate, *, user, comment: str) -> ProgressUpdate:
    """Send a submitted update back to its author with a comment; the author can resubmit."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(
            {"comment": _("Say what should change: the author reads this comment.")}
        )
    with transaction.atomic():
        update = _locked(update)
        _require_submitted(update)
        _require_another_reviewer(update, user)
        update.state = State.RETURNED
        update.review_comment = comment
        update.reviewed_at, update.reviewed_by = timezone.now(), user
        update.save()
        _record(update, Action.RETURNED, user, comment)
    transaction.on_commit(lambda: notify_reviewed(update))
    return update


def accept_update(
    update: ProgressUpdate, *, user, publish: bool, show_author: bool = False, comment: str = ""
) -> ProgressUpdate:
    """Accept a submitted update: apply its proposed statuses (through the one status
    service, the update as the reason) and publish it, or keep it internal."""
    with transaction.atomic():
        update = _locked(update)
        _require_submitted(update)
        _require_another_reviewer(update, user)
        if publish and not update.may_publish:
            raise ValidationError(
                {"decision": _("The author asked for this update not to be published.")}
            )
        recommendation = Recommendation.objects.select_related("assessment_status").get(
            pk=update.recommendation_id
        )
        changes = {}
        if update.proposed_implementation_status_id:
            changes["implementation_status"] = update.proposed_implementation_status
        if update.proposed_assessment_status_id and assessment_open(recommendation):
            changes["assessment_status"] = update.proposed_assessment_status
        if changes:
            recommendation_update(
                recommendation,
                changes=changes,
                user=user,
                reason=history_reason(update),
                source=ChangeSource.UPDATE,
                progress_update=update,
            )
        update.state = State.ACCEPTED
        update.is_public = publish
        update.show_author = publish and show_author
        update.review_comment = (comment or "").strip()
        update.reviewed_at, update.reviewed_by = timezone.now(), user
        update.save()
        _record(
            update,
            Action.ACCEPTED if publish else Action.ACCEPTED_INTERNAL,
            user,
            update.review_comment,
        )
    transaction.on_commit(lambda: notify_reviewed(update))
    return update


def _require_another_reviewer(update: ProgressUpdate, user) -> None:
    """Separation of duties: the author of an update never decides on it, whatever roles the
    account holds (a Secretariat account that is also a focal point could otherwise write an
    update and then publish it as accepted by the Secretariat)."""
    if update.author_id == user.pk:
        raise ValidationError(
            _("You wrote this update: another member of the Secretariat must review it.")
        )


def _require_submitted(update: ProgressUpdate) -> None:
    if update.state != State.SUBMITTED:
        raise ValidationError(
            _("This update is no longer awaiting review (it is now: %(state)s).")
            % {"state": update.get_state_display()}
        )


def assessment_open(recommendation: Recommendation) -> bool:
    """The assessment is still open: no status, or one that does not count as assessed."""
    status = recommendation.assessment_status
    return status is None or not status.counts_as_assessed


def history_reason(update: ProgressUpdate) -> str:
    """The reason kept on the recommendation's history: public, so it names the mandate-holder
    and the period, never the author (the record links to the update, which names them)."""
    return _(
        "Progress update from %(holder)s for %(start)s to %(end)s, accepted by the ASP Secretariat."
    ) % {
        "holder": update.mandate_holder.short_name,
        "start": update.period_start.isoformat(),
        "end": update.period_end.isoformat(),
    }


#
# E-mail (the console backend unless EMAIL_* settings say otherwise)
#


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _send(subject: str, body: str, recipients: list[str]) -> None:
    """Send, and log rather than fail: the step itself has already been saved."""
    if not recipients:
        return
    try:
        send_mail(subject, body, None, recipients)
    except Exception:
        logger.exception("Could not send %r to %s", subject, recipients)


def reviewers_emails() -> list[str]:
    User = get_user_model()
    permission = Q(groups__permissions__codename="review_progressupdate") | Q(
        user_permissions__codename="review_progressupdate"
    )
    return sorted(
        set(
            User.objects.filter(permission | Q(is_superuser=True), is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def notify_submitted(update: ProgressUpdate) -> None:
    subject = _("[IER Tracker] Update on %(code)s from %(holder)s awaits review") % {
        "code": update.recommendation.code,
        "holder": update.mandate_holder.short_name,
    }
    body = _(
        "%(author)s submitted an update on %(code)s for %(holder)s (%(period)s).\n\n"
        "Review it: %(url)s\n"
    ) % {
        "author": update.author.get_full_name() or update.author.get_username(),
        "code": update.recommendation.code,
        "holder": update.mandate_holder.short_name,
        "period": update.period,
        "url": _absolute(reverse("recommendations:review", args=[update.pk])),
    }
    _send(subject, body, reviewers_emails())


def notify_reviewed(update: ProgressUpdate) -> None:
    if update.state == State.RETURNED:
        subject = _("[IER Tracker] Your update on %(code)s was returned") % {
            "code": update.recommendation.code
        }
        body = _(
            "The ASP Secretariat returned your update on %(code)s (%(period)s) with this "
            "comment:\n\n%(comment)s\n\nChange it and submit it again: %(url)s\n"
        )
    elif update.is_public:
        subject = _("[IER Tracker] Your update on %(code)s was accepted and published") % {
            "code": update.recommendation.code
        }
        body = _(
            "The ASP Secretariat accepted your update on %(code)s (%(period)s); it now shows "
            "on the recommendation's public page.\n%(comment)s\n%(url)s\n"
        )
    else:
        subject = _("[IER Tracker] Your update on %(code)s was accepted") % {
            "code": update.recommendation.code
        }
        body = _(
            "The ASP Secretariat accepted your update on %(code)s (%(period)s) and keeps it "
            "internal.\n%(comment)s\n%(url)s\n"
        )
    body = body % {
        "code": update.recommendation.code,
        "period": update.period,
        "comment": update.review_comment,
        "url": _absolute(reverse("recommendations:update", args=[update.pk])),
    }
    if update.author.is_active and update.author.email:
        _send(subject, body, [update.author.email])


def notify_due(user, recommendations: list[Recommendation], due_since: datetime.date) -> None:
    """The weekly digest: the recommendations on which ``user`` owes an update."""
    subject = _("[IER Tracker] %(count)d update(s) due") % {"count": len(recommendations)}
    lines = "\n".join(
        f"- {rec.code}: {_absolute(reverse('recommendations:update_create', args=[rec.code]))}"
        for rec in recommendations
    )
    body = _(
        "No update has been accepted since %(since)s on these recommendations of your "
        "mandate-holders:\n\n%(lines)s\n\nYour list: %(url)s\n"
    ) % {
        "since": due_since.isoformat(),
        "lines": lines,
        "url": _absolute(reverse("recommendations:reporting")),
    }
    _send(subject, body, [user.email])


#
# The report for the Assembly session (para. 10)
#


def mandate_holder_report_rows(
    holder: MandateHolder, *, as_of: datetime.date, user
) -> tuple[list[Recommendation], bool]:
    """Its recommendations (lead or contributing) with the statuses recorded at the end of
    ``as_of`` and its latest accepted update by then: published ones only, unless ``user`` is
    the Secretariat or reports for this mandate-holder (then ``internal`` is true)."""
    end = end_of(as_of)
    internal = is_reviewer(user) or holder.pk in linked_holder_ids(user)
    updates = ProgressUpdate.objects.accepted().filter(mandate_holder=holder, reviewed_at__lt=end)
    if not internal:
        updates = updates.filter(is_public=True)
    roles = MandateAssignment.objects.filter(
        recommendation=OuterRef("pk"), mandate_holder=holder, role__in=OWNER_ROLES
    )
    latest = updates.filter(recommendation=OuterRef("pk")).order_by("-reviewed_at", "-pk")
    rows = list(
        Recommendation.objects.filter(Exists(roles)).annotate(
            role=Subquery(roles.values("role")[:1]),
            latest_update_id=Subquery(latest.values("pk")[:1]),
        )
    )
    # The latest update of each, and the record in effect at the end of the day: two queries
    # whatever the length of the history.
    update_ids = [row.latest_update_id for row in rows if row.latest_update_id is not None]
    shown = updates.for_display().in_bulk(update_ids) if update_ids else {}
    states = {
        record.id: record
        for record in records_in_effect(
            end, Recommendation.objects.filter(pk__in=[row.pk for row in rows])
        ).select_related("assessment_status", "implementation_status")
    }
    for row in rows:
        row.role_label = MandateAssignment.Role(row.role).label
        record = states.get(row.pk)
        row.as_of_assessment = record.assessment_status if record else None
        row.as_of_assessment_demo = bool(record and record.assessment_status_demo)
        row.as_of_implementation = record.implementation_status if record else None
        row.as_of_implementation_demo = bool(record and record.implementation_status_demo)
        row.update = shown.get(row.latest_update_id)
    return rows, internal

"""The audit log: sign-ins and sensitive actions, with who, when and from which address.

``record()`` is the one writer. The request being answered (kept by ``AuditMiddleware``) gives
the person and the address, so that the signals below, which Django sends without a request
(a password or a group changed on a ``User``), still know them; a management command records
no address.

Recorded: every sign-in; a change of an account's roles (groups, staff or superuser flag,
active or not, mandate-holder links); a password set (by anyone, however); two-step
verification turned on, recovery codes renewed or used, a device removed; an edition
published; an import applied. Superusers read it in the back-office (Audit log).
"""

import contextvars

from axes.helpers import get_client_ip_address
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from recommendations.models import AuditEntry, FocalPoint

Action = AuditEntry.Action

_request = contextvars.ContextVar("audit_request", default=None)


class AuditMiddleware:
    """Keeps the request for ``record()`` while it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def record(action: str, *, target=None, detail: str = "", user=None, request=None) -> AuditEntry:
    """Write one entry. ``user``: who acted (default: the request's user)."""
    request = request or _request.get()
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    return AuditEntry.objects.create(
        action=action,
        user=user,
        username=user.get_username() if user else "",
        target=str(target or "")[:300],
        detail=detail,
        address=get_client_ip_address(request) if request is not None else None,
    )


# Signals: what Django changes without passing a request

User = get_user_model()


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(Action.LOGIN, user=user, request=request, target=user.get_username())


ROLE_FLAGS = ("is_staff", "is_superuser", "is_active")


@receiver(pre_save, sender=User)
def _account_saved(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw:
        # loaddata: a backup being restored, not a change. It sets the groups next, on this
        # same instance, and m2m_changed has no ``raw`` of its own.
        instance._restoring = True
        return
    if instance.pk is None:
        return
    fields = {"password", *ROLE_FLAGS}
    if update_fields is not None and not fields & set(update_fields):
        return  # e.g. last_login on each sign-in
    before = User.objects.filter(pk=instance.pk).values(*fields).first()
    if before is None:
        return
    if before["password"] != instance.password:
        record(Action.PASSWORD_CHANGED, target=instance.get_username())
    changed = [
        f"{flag}: {before[flag]} → {getattr(instance, flag)}"
        for flag in ROLE_FLAGS
        if before[flag] != getattr(instance, flag)
    ]
    if changed:
        record(Action.ROLE_CHANGED, target=instance.get_username(), detail="; ".join(changed))


@receiver(m2m_changed, sender=User.groups.through)
def _groups_changed(sender, instance, action, pk_set, reverse, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear") or reverse:
        return
    if getattr(instance, "_restoring", False):
        return
    groups = Group.objects.filter(pk__in=pk_set or ()).values_list("name", flat=True)
    names = ", ".join(sorted(groups))
    verb = {"post_add": "added", "post_remove": "removed", "post_clear": "all removed"}[action]
    record(Action.ROLE_CHANGED, target=instance.get_username(), detail=f"groups {verb}: {names}")


@receiver(post_save, sender=FocalPoint)
def _link_saved(sender, instance, created, raw=False, **kwargs):
    if not raw:
        record(
            Action.ROLE_CHANGED,
            target=instance.user.get_username(),
            detail=f"focal point of {instance.mandate_holder.short_name}",
        )


@receiver(post_delete, sender=FocalPoint)
def _link_deleted(sender, instance, **kwargs):
    record(
        Action.ROLE_CHANGED,
        target=instance.user.get_username(),
        detail=f"no longer focal point of {instance.mandate_holder.short_name}",
    )


def _device_removed(sender, instance, **kwargs):
    if instance.confirmed:
        record(Action.MFA_REMOVED, target=instance.user.get_username(), detail=str(instance))


def connect_devices() -> None:
    """django-otp's device models, once the apps are ready (see apps.py)."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, StaticDevice):
        post_delete.connect(_device_removed, sender=model, dispatch_uid=f"audit-{model.__name__}")

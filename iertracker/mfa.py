"""Two-step verification (django-otp): an authenticator app's code (TOTP), or a recovery code.

Required for every account that reaches the back-office (staff, superusers) and for the ASP
Secretariat (the review queue): after the password, the back-office and /reporting/ ask for
the code, and an account without an app enrols on its first sign-in. Anyone else (a focal
point) may turn it on at /accounts/two-step/; once on, it is asked for in the same places.

``MFA_REQUIRED=0`` turns the requirement off, for local development only: the settings refuse
it with ``DEBUG=0``. One place decides (``missing_second_factor``): the middleware sends to
the code, and ``recommendations.roles`` grants no role until it is given.
"""

from base64 import b32encode
from urllib.parse import quote

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from recommendations import audit
from recommendations.roles import SECRETARIAT

RECOVERY_CODES = 10


def required_for(user) -> bool:
    """Whether the role demands it: the back-office's accounts and the Secretariat."""
    return settings.MFA_REQUIRED and (
        user.is_staff or user.is_superuser or user.groups.filter(name=SECRETARIAT).exists()
    )


def _app(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def missing_second_factor(user) -> bool:
    """A request's user signed in with the password only, whose account must (or chose to)
    give a code: until it does, it has no role beyond the public's (``recommendations.roles``)
    and the back-office and /reporting/ send it to the code. A user not from a request (a
    command, an e-mail's recipient) has no session to verify: False. At most one query, once
    per request (the device of a verified session is read by django-otp's middleware)."""
    if not user.is_authenticated or not hasattr(user, "is_verified") or user.is_verified():
        return False
    missing = getattr(user, "_missing_second_factor", None)
    if missing is None:
        if settings.MFA_REQUIRED and (user.is_staff or user.is_superuser):
            missing = True
        else:
            role = Q(groups__name=SECRETARIAT) if settings.MFA_REQUIRED else Q(pk=None)
            chosen = Q(totpdevice__confirmed=True)
            missing = get_user_model().objects.filter(role | chosen, pk=user.pk).exists()
        user._missing_second_factor = missing
    return missing


def _protected(path: str) -> bool:
    return path.startswith((f"/{settings.ADMIN_URL}", "/reporting/")) and not path.startswith(
        f"/{settings.ADMIN_URL}logout/"
    )


class SecondFactorMiddleware:
    """The back-office and /reporting/ (the review queue among them) ask for the code first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _protected(request.path) and missing_second_factor(request.user):
            return HttpResponseRedirect(
                reverse("two_step") + "?next=" + quote(request.get_full_path())
            )
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).lower()


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("two_step")


def _new_recovery_codes(user) -> list[str]:
    """Replace the account's recovery codes with new ones; each works once."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="recovery", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _readable_key(device: TOTPDevice) -> str:
    """The key as authenticator apps take it typed in: base32, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _qr(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, title=gettext("QR code to add this account to an authenticator app")
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_step(request):
    """Verify, enrol, or (once verified) see the state, renew the recovery codes, turn it off."""
    user = request.user
    app = _app(user)
    form = CodeForm(request.POST or None)
    context = {"next": _next(request), "required": required_for(user), "form": form}

    if request.user.is_verified():
        return _manage(request, context)

    if app is not None:  # signed in with the password: the code now
        if request.method == "POST" and form.is_valid():
            device = django_otp.match_token(user, form.cleaned_data["code"])
            if device is not None:
                django_otp.login(request, device)
                if isinstance(device, StaticDevice):
                    audit.record(audit.Action.MFA_RECOVERY_USED, target=user)
                return redirect(context["next"])
            form.add_error("code", gettext("This code is not right (or was used already)."))
        return render(request, "registration/two_step_verify.html", context, status=_status(form))

    # No app yet: enrol one (the key is kept unconfirmed until a code from it is given).
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice(
        user=user, name="authenticator", confirmed=False
    )
    if device.pk is None:
        device.save()
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            with transaction.atomic():
                device.confirmed = True
                device.save()
                codes = _new_recovery_codes(user)
                audit.record(audit.Action.MFA_ENROLLED, target=user)
            django_otp.login(request, device)
            return render(request, "registration/two_step_codes.html", {**context, "codes": codes})
        form.add_error("code", gettext("This code is not right: check the app's clock, try again."))
    form.fields["code"].help_text = gettext("The 6 digits the app shows for IER Tracker.")
    context.update(device=device, key=_readable_key(device), qr=_qr(device))
    return render(request, "registration/two_step_enrol.html", context, status=_status(form))


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


def _manage(request, context):
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "codes":
            with transaction.atomic():
                codes = _new_recovery_codes(user)
                audit.record(audit.Action.MFA_CODES_RENEWED, target=user)
            return render(request, "registration/two_step_codes.html", {**context, "codes": codes})
        if action == "off" and not context["required"]:
            with transaction.atomic():  # the audit log records each device removed
                for device in [
                    *TOTPDevice.objects.filter(user=user),
                    *StaticDevice.objects.filter(user=user),
                ]:
                    device.delete()
            messages.success(request, gettext("Two-step verification is off."))
            return redirect("two_step")
    recovery = StaticToken.objects.filter(device__user=user).count()
    return render(request, "registration/two_step_manage.html", {**context, "recovery": recovery})

"""Accounts: the e-mailed password links, built from SITE_URL only.

Django's reset view takes the link's host (and port) from the request's Host header, so a
request with ``Host: attacker.example:6666`` mailed a real user a link to that host. Here every
e-mailed link names ``SITE_URL``'s scheme and host, whatever the request said.

A new account opened by the Secretariat has no password: its owner sets one from the
invitation, which is the same signed, single-use link as a reset (only a superuser, or the
owner through such a link, ever sets a password).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views


def _site_link_options() -> dict:
    site = urlsplit(settings.SITE_URL)
    return {"domain_override": site.netloc, "use_https": site.scheme == "https"}


class PasswordResetForm(auth_forms.PasswordResetForm):
    def save(self, **options):
        return super().save(**{**options, **_site_link_options()})


class InvitationForm(PasswordResetForm):
    """The first "choose your password" message of an account that has none yet (the reset
    form skips such accounts)."""

    def __init__(self, user):
        super().__init__({"email": user.email})
        self.user = user

    def get_users(self, email):
        return [self.user] if self.user.is_active and self.user.email else []


def send_invitation(user, request) -> bool:
    """Mail ``user`` the link to choose a password; False if the account has no address."""
    form = InvitationForm(user)
    if not form.is_valid():
        return False
    form.save(
        request=request,
        subject_template_name="registration/invitation_subject.txt",
        email_template_name="registration/invitation_email.txt",
    )
    return True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm

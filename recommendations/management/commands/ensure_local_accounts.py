import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from recommendations.models import FocalPoint, MandateHolder
from recommendations.roles import FOCAL_POINT, SECRETARIAT, ensure_groups


class Command(BaseCommand):
    help = (
        "For local development only (DEBUG on): make sure an 'admin' superuser, a "
        "'secretariat' staff account and a 'focalpoint' account (focal point of the Office of "
        "the Prosecutor) exist, and print how to log in."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("ensure_local_accounts only runs with DEBUG on (local development).")
        ensure_groups()
        password = os.environ.get("LOCAL_ACCOUNT_PASSWORD", "ier-local")
        User = get_user_model()
        accounts = [
            ("admin", "superuser: everything", {"is_staff": True, "is_superuser": True}, None),
            ("secretariat", "ASP Secretariat staff", {"is_staff": True}, SECRETARIAT),
            ("focalpoint", "focal point of the OTP", {}, FOCAL_POINT),
        ]
        for username, role, flags, group in accounts:
            flags = {**flags, "email": f"{username}@localhost"}
            user, created = User.objects.get_or_create(username=username, defaults=flags)
            if created:
                user.set_password(password)
                user.save()
                if group:
                    user.groups.add(Group.objects.get(name=group))
                if username == "focalpoint":
                    otp = MandateHolder.objects.filter(slug="otp").first()
                    if otp:
                        FocalPoint.objects.get_or_create(user=user, mandate_holder=otp)
                state = f"password {password}"
            else:
                state = "already existed, password unchanged"
            self.stdout.write(f"  {username:<12} {role:<24} {state}")
        if settings.MFA_REQUIRED:
            self.stdout.write(
                "Two-step verification: 'admin' and 'secretariat' set it up on their first "
                "sign-in (an authenticator app scans the QR code shown, or takes its key); "
                "MFA_REQUIRED=0 make run turns it off locally."
            )
        self.stdout.write("Back-office: http://127.0.0.1:8000/admin/")
        self.stdout.write("Focal points and review queue: http://127.0.0.1:8000/accounts/login/")

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from recommendations.roles import SECRETARIAT, ensure_groups


class Command(BaseCommand):
    help = (
        "For local development only (DEBUG on): make sure an 'admin' superuser and a "
        "'secretariat' staff account exist, and print how to log in."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("ensure_local_accounts only runs with DEBUG on (local development).")
        ensure_groups()
        password = os.environ.get("LOCAL_ACCOUNT_PASSWORD", "ier-local")
        User = get_user_model()
        accounts = [
            ("admin", "superuser: everything", {"is_staff": True, "is_superuser": True}),
            ("secretariat", "ASP Secretariat staff", {"is_staff": True}),
        ]
        for username, role, flags in accounts:
            user, created = User.objects.get_or_create(username=username, defaults=flags)
            if created:
                user.set_password(password)
                user.save()
                if username == "secretariat":
                    user.groups.add(Group.objects.get(name=SECRETARIAT))
                state = f"password {password}"
            else:
                state = "already existed, password unchanged"
            self.stdout.write(f"  {username:<12} {role:<24} {state}")
        self.stdout.write("Log in to the back-office at http://127.0.0.1:8000/admin/")

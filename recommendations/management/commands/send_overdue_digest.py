from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils.formats import date_format

from recommendations import reporting
from recommendations.models import FocalPoint


class Command(BaseCommand):
    help = (
        "E-mail each focal point the recommendations of its mandate-holders on which an update "
        "is due (none accepted in 12 months or since the last Assembly session). Run it weekly, "
        "e.g. from cron: 0 7 * * 1 .venv/bin/python manage.py send_overdue_digest"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say who would be written to; send nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        due_since, _session = reporting.due_since()
        users = (
            get_user_model()
            .objects.filter(is_active=True, pk__in=FocalPoint.objects.values("user"), email__gt="")
            .order_by("username")
        )
        sent = 0
        for user in users:
            if not reporting.is_focal_point(user):
                continue
            due = [
                rec
                for rec in reporting.with_last_accepted(
                    reporting.reportable(user), reporting.linked_holder_ids(user)
                ).order_by("number")
                if rec.last_accepted is None or rec.last_accepted.date() < due_since
            ]
            if not due:
                continue
            sent += 1
            if dry_run:
                self.stdout.write(f"{user.email}: {len(due)} due")
                continue
            reporting.notify_due(user, due, due_since)
        since = date_format(due_since, "j F Y")
        verb = "would be written to" if dry_run else "written to"
        self.stdout.write(f"Updates due since {since}: {sent} focal point(s) {verb}.")

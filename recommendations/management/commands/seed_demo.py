from django.core.management.base import BaseCommand

from recommendations.demo import database_is_fresh, demo_remove, demo_seed


class Command(BaseCommand):
    help = (
        "Fill empty statuses and mandate-holders with deterministic demonstration values, "
        "flagged as such (a banner shows on every page). --remove takes them all out again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--remove", action="store_true", help="Remove all demonstration data.")
        parser.add_argument(
            "--if-fresh",
            action="store_true",
            help="Only seed a database that nobody has worked in yet (used by `make run`).",
        )

    def handle(self, *args, remove=False, if_fresh=False, **options):
        if remove:
            count = demo_remove()
            self.stdout.write(f"seed_demo: removed demonstration data from {count} recommendations")
            return
        if if_fresh and not database_is_fresh():
            self.stdout.write(
                "seed_demo: skipped, this database was already seeded or edited "
                "(run `manage.py seed_demo` to seed anyway)"
            )
            return
        count = demo_seed()
        self.stdout.write(
            f"seed_demo: demonstration data on {count} recommendations "
            "(remove with `manage.py seed_demo --remove`)"
        )

from django.core.management.base import BaseCommand

from recommendations.reference import load_reference_data


class Command(BaseCommand):
    help = (
        "Load the reference data in fixtures/ (clusters, sections, vocabularies, mandate-holders, "
        "topics, sessions, the 384 recommendations and the facts the sources support). "
        "Idempotent; never overwrites a value someone entered."
    )

    def handle(self, *args, **options):
        report = load_reference_data()
        for line in report.lines():
            self.stdout.write(f"load_reference_data: {line}")

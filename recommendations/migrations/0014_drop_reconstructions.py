"""The reconstructions of the Matrix as of a day, kept as editions of kind "as_of" (a cache),
are dropped with their rows: the Matrix as of a day is now read from the history in place.

A migration of its own: on PostgreSQL the deletion leaves deferred foreign-key checks pending
until its transaction commits, and the next migration alters the edition table, which
PostgreSQL refuses while they are pending."""

from django.db import migrations


def drop_reconstructions(apps, schema_editor):
    Edition = apps.get_model("recommendations", "Edition")
    Edition.objects.filter(kind="as_of").delete()


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0013_history_public_change")]

    operations = [migrations.RunPython(drop_reconstructions, migrations.RunPython.noop)]

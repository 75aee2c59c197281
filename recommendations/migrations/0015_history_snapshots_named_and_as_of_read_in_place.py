"""The Matrix as of a past day is read from the history in place (editions.rows_as_of): the
editions' kind "as_of" and their date go (their rows went in 0014). The history records'
snapshots of mandate-holders and topics are named ``assignments`` and ``topics``, as on the
live record, so the Matrix's filters read them (no change in the database)."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

# SQLite remakes the edition table to drop its column: the triggers that read it (migration
# 0011) are lifted meanwhile, then made again.
triggers = importlib.import_module("recommendations.migrations.0011_published_editions_are_immutable")



class Migration(migrations.Migration):

    dependencies = [
        ('recommendations', '0014_drop_reconstructions'),
    ]

    operations = [
        migrations.RunPython(triggers.drop, triggers.create),
        migrations.RemoveConstraint(
            model_name='edition',
            name='recommendations_edition_as_of_date_only_for_reconstructions',
        ),
        migrations.AlterField(
            model_name='edition',
            name='kind',
            field=models.CharField(choices=[('published', 'Published edition')], editable=False, max_length=10, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='historicalmandateassignment',
            name='history',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='assignments', to='recommendations.historicalrecommendation'),
        ),
        migrations.AlterField(
            model_name='historicalrecommendation_topics',
            name='history',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='topics', to='recommendations.historicalrecommendation'),
        ),
        migrations.RemoveField(
            model_name='edition',
            name='as_of_date',
        ),
        migrations.RunPython(triggers.create, triggers.drop),
    ]

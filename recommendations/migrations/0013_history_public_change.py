"""Each history record of a recommendation says whether it is a public change (the public
timelines then read a page of those by index, however long the history); the records already
there are marked in order, per recommendation."""

from django.conf import settings
from django.db import migrations, models


def mark_existing(apps, schema_editor):
    from recommendations.history import mark_all_public_changes

    mark_all_public_changes(apps)


class Migration(migrations.Migration):

    dependencies = [
        ('recommendations', '0012_audit_log'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalrecommendation',
            name='history_public_change',
            field=models.BooleanField(default=False, editable=False, verbose_name='public change'),
        ),
        migrations.AddIndex(
            model_name='historicalrecommendation',
            index=models.Index(fields=['id', 'history_date', 'history_id'], name='history_of_recommendation'),
        ),
        migrations.AddIndex(
            model_name='historicalrecommendation',
            index=models.Index(condition=models.Q(('history_public_change', True)), fields=['history_date', 'history_id'], name='history_public_changes'),
        ),
        migrations.RunPython(mark_existing, migrations.RunPython.noop),
    ]

"""GIN indexes for the full-text search of recommendations, on PostgreSQL only.

SQLite has no such index and searches with a plain contains, so the operation does nothing
there. The expressions are those of ``models.SEARCH_VECTORS``, so the planner can use them.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

from recommendations.models import SEARCH_VECTORS

INDEXES = [
    GinIndex(vector, name=f"recommendation_search_{config[:2]}")
    for config, vector in SEARCH_VECTORS.items()
]


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        model = apps.get_model("recommendations", "Recommendation")
        for index in INDEXES:
            schema_editor.add_index(model, index)


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        model = apps.get_model("recommendations", "Recommendation")
        for index in INDEXES:
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0001_initial")]

    operations = [migrations.RunPython(add_indexes, remove_indexes)]

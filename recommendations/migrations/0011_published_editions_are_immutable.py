"""A published edition is a document of record: the database itself refuses to change or
delete it, its rows, their mandate-holders and their topics (ICC-ASP/23/Res.4, para. 12: the
Matrix circulated before a session). The models and QuerySets refuse too, with a message; the
triggers hold whatever path the SQL takes (a queryset ``update()``, a cascade, a shell).

Reconstructions as of a date (``kind = 'as_of'``) are a cache and may be replaced.

Both refuse with an integrity error (PostgreSQL SQLSTATE 23000, SQLite's RAISE(ABORT)).
Restoring a backup into an empty database (``loaddata``) only inserts, which they allow.
``manage.py flush`` empties everything, editions included: on PostgreSQL it is a TRUNCATE,
which row triggers do not see; on SQLite the project's ``flush`` lifts these triggers for it
(``recommendations/management/commands/flush.py``).
"""

from django.db import migrations

MESSAGE = "A published edition never changes: publish a correction."

# table -> SQL (in terms of OLD) giving the kind of the edition the row belongs to
TABLES = {
    "recommendations_edition": "OLD.kind",
    "recommendations_editionrow": (
        "(SELECT e.kind FROM recommendations_edition e WHERE e.id = OLD.edition_id)"
    ),
    "recommendations_editionassignment": (
        "(SELECT e.kind FROM recommendations_edition e JOIN recommendations_editionrow r"
        " ON r.edition_id = e.id WHERE r.id = OLD.row_id)"
    ),
    "recommendations_editionrow_topics": (
        "(SELECT e.kind FROM recommendations_edition e JOIN recommendations_editionrow r"
        " ON r.edition_id = e.id WHERE r.id = OLD.editionrow_id)"
    ),
}


def _postgresql(table, kind):
    function = f"{table}_refuse_published"
    return [
        f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            IF {kind} = 'published' THEN
                RAISE EXCEPTION USING ERRCODE = '23000',
                    MESSAGE = '{MESSAGE} (' || TG_OP || ' on ' || TG_TABLE_NAME || ')';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END
        $$ LANGUAGE plpgsql
        """,
        f"DROP TRIGGER IF EXISTS {function} ON {table}",
        f"""
        CREATE TRIGGER {function} BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {function}()
        """,
    ]


def _sqlite(table, kind):
    return [
        f"DROP TRIGGER IF EXISTS {table}_refuse_published_{op.lower()}"
        for op in ("UPDATE", "DELETE")
    ] + [
        f"""
        CREATE TRIGGER {table}_refuse_published_{op.lower()} BEFORE {op} ON {table}
        FOR EACH ROW WHEN {kind} = 'published'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """
        for op in ("UPDATE", "DELETE")
    ]


def _drop(vendor, table):
    if vendor == "postgresql":
        function = f"{table}_refuse_published"
        return [
            f"DROP TRIGGER IF EXISTS {function} ON {table}",
            f"DROP FUNCTION IF EXISTS {function}()",
        ]
    return [f"DROP TRIGGER IF EXISTS {table}_refuse_published_{op}" for op in ("update", "delete")]


WRITERS = {"postgresql": _postgresql, "sqlite": _sqlite}


def create(apps, schema_editor):
    write = WRITERS.get(schema_editor.connection.vendor)
    if write is None:
        raise RuntimeError(f"No trigger for {schema_editor.connection.vendor}: add one here.")
    for table, kind in TABLES.items():
        for statement in write(table, kind):
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    for table in TABLES:
        for statement in _drop(schema_editor.connection.vendor, table):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0010_links_are_http_or_https")]

    operations = [migrations.RunPython(create, drop)]

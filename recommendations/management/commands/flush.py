"""Django's ``flush``, which also empties published editions on SQLite.

The database refuses to change or delete a published edition (migration 0011). PostgreSQL's
flush is a TRUNCATE, which row triggers do not see; SQLite's is a DELETE per table, which they
refuse. Emptying the whole database is the one case where the records go too: here the
triggers are lifted for the flush and put back as they were, whatever happens.
"""

from django.core.management.commands import flush
from django.db import connections

TRIGGERS = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?"


class Command(flush.Command):
    help = flush.Command.help + " Published editions included."

    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with connection.cursor() as cursor:
            triggers = cursor.execute(TRIGGERS, ["%_refuse_published_%"]).fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
        try:
            return super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                for _name, sql in triggers:
                    cursor.execute(sql)

"""Two applies of conflicting files at the same moment, in real transactions on PostgreSQL.

The first holds the import lock while it writes; the second waits for it, re-plans against
what the first wrote, and is told what changed instead of applying its stale preview. On
SQLite a write transaction holds the whole database, so the same order follows; the threads
of this test need PostgreSQL's row lock to be observed waiting.
"""

import threading

import pytest
from django.db import connection, connections

from recommendations import services
from recommendations.importer import Choices, PlanChanged, apply_import, plan_import
from recommendations.importer import read_document as read
from recommendations.models import ChangeSource, Recommendation
from recommendations.reference import load_reference_data
from tests.test_import import csv_bytes

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's row locks (CI runs it)"
    ),
]


def test_two_applies_at_once_one_applies_and_the_other_gets_the_new_preview(monkeypatch):
    load_reference_data()
    negative = read(
        "a.csv", csv_bytes([["No.", "Assessment status"], ["R30", "Negatively assessed"]])
    )
    positive = read(
        "b.csv", csv_bytes([["No.", "Assessment status"], ["R30", "Positively assessed"]])
    )
    previews = {name: plan_import(doc).token for name, doc in (("a", negative), ("b", positive))}

    written, release = threading.Event(), threading.Event()
    real = services._bulk_history

    def slow_history(snapshots, *args):
        real(snapshots, *args)
        if threading.current_thread().name == "a":
            written.set()  # A has written and still holds the lock, uncommitted
            assert release.wait(10)

    monkeypatch.setattr(services, "_bulk_history", slow_history)
    results: dict[str, object] = {}

    def run(name, document):
        try:
            results[name] = apply_import(document, Choices(), token=previews[name], user=None)
        except PlanChanged as changed:
            results[name] = changed
        finally:
            connections.close_all()

    first = threading.Thread(target=run, args=("a", negative), name="a")
    first.start()
    assert written.wait(10)
    second = threading.Thread(target=run, args=("b", positive), name="b")
    second.start()
    second.join(1.0)
    assert second.is_alive()  # waiting for the lock, not interleaving
    release.set()
    first.join(10)
    second.join(10)

    assert results["a"].changed == 1
    changed = results["b"]
    assert isinstance(changed, PlanChanged)
    [change] = changed.plan.changes
    assert (change.old, change.new) == ("Negatively assessed", "Positively assessed")
    r30 = Recommendation.objects.get(number=30)
    assert r30.assessment_status.key == "negatively_assessed"
    imports = r30.history.filter(history_source=ChangeSource.IMPORT)
    assert list(imports.values_list("history_change_reason", flat=True)) == ["Imported from a.csv"]

"""Backups: a ``dumpdata``/``loaddata`` round trip keeps every record and its whole history
(README, Deployment: Backups). ``pg_dump`` copies the database as it is; this is the
portable way, e.g. from PostgreSQL to another server or to SQLite."""

import datetime
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from recommendations import reporting
from recommendations.demo import demo_seed
from recommendations.editions import publish_edition
from recommendations.models import (
    ChangeSource,
    Edition,
    EditionRow,
    ImplementationStatus,
    ProgressUpdate,
    Recommendation,
)
from recommendations.reference import load_reference_data
from recommendations.roles import FOCAL_POINT, SECRETARIAT
from recommendations.services import recommendation_update
from tests.conftest import assign, make_user
from tests.test_reporting import submitted_update

# As in the README: what migrate makes again (content types, permissions), and what is not
# data (sessions, login throttling, the cache's data version).
DUMP_OPTIONS = [
    "--natural-foreign",
    "--natural-primary",
    "--exclude=contenttypes",
    "--exclude=auth.permission",
    "--exclude=sessions",
    "--exclude=axes",
    "--exclude=recommendations.dataversion",
    "--indent=1",
]


def _moment(value):
    """JSON keeps times to the millisecond, written "…:51.000Z" or, once loaded back, "…:51Z"."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-][\d:]+)?", value):
        return datetime.datetime.fromisoformat(value)
    return value


def dump(path) -> list[dict]:
    call_command("dumpdata", *DUMP_OPTIONS, output=str(path), verbosity=0)
    records = json.loads(path.read_text(encoding="utf-8"))
    for record in records:
        record["fields"] = {name: _moment(value) for name, value in record["fields"].items()}
    return records


def history_rows() -> list[tuple]:
    return list(
        Recommendation.history.order_by("history_id").values_list(
            "history_id", "number", "history_user__username", "history_change_reason"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_dumpdata_then_loaddata_into_an_empty_database_gives_back_everything(tmp_path):
    load_reference_data()
    demo_seed()
    alice = make_user("alice", is_staff=True, groups=[SECRETARIAT])
    dora = make_user("dora", groups=[FOCAL_POINT], holders=["otp"])
    assign(14, "otp")
    recommendation_update(
        Recommendation.objects.get(number=20),
        changes={"implementation_status": ImplementationStatus.objects.get(key="in_progress")},
        user=alice,
        reason="Reported at the Hague Working Group",
        source=ChangeSource.ADMIN,
    )
    reporting.accept_update(submitted_update(dora), user=alice, publish=True)
    publish_edition(title="Matrix as of ASP24", user=alice, slug="asp24")
    history = history_rows()
    before = dump(tmp_path / "before.json")

    call_command("flush", interactive=False, verbosity=0)
    assert not Recommendation.objects.exists()
    assert not Recommendation.history.exists()
    call_command("loaddata", str(tmp_path / "before.json"), verbosity=0)

    after = dump(tmp_path / "after.json")
    assert after == before
    assert len(before) > 3000
    assert Recommendation.objects.count() == 384
    assert history_rows() == history
    assert ("alice", "Reported at the Hague Working Group") in {(h[2], h[3]) for h in history}
    assert ProgressUpdate.objects.get().author.username == "dora"
    assert (
        Edition.objects.published().get().row_count
        == EditionRow.objects.filter(edition__slug="asp24").count()
    )
    restored = get_user_model().objects.get(username="alice")
    assert restored.groups.get().name == SECRETARIAT
    assert restored.has_perm("recommendations.change_recommendation")
    # The flush emptied the published edition, and the database refuses to change it again.
    from django.db import IntegrityError, connection, transaction

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE recommendations_edition SET title = 'x' WHERE kind = 'published'")

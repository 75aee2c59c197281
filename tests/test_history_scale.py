"""Pages against the length of the history (issue 16): the same SQL queries on a small history
and on one grown by years of use (bench/grow_history.py), and the stored "public change" flags
equal to what a full pass over the history finds."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.grow_history import grow_history
from recommendations import reporting
from recommendations.demo import demo_seed
from recommendations.editions import publish_edition
from recommendations.history import mark_all_public_changes, public_timeline
from recommendations.models import ChangeSource, Recommendation, Topic
from recommendations.services import recommendation_update
from tests.test_reporting import submitted_update

PAGES = [
    "/feeds/changes.atom",
    "/recommendations/R14/feed.atom",
    "/recommendations/R14/",
    "/api/v1/recommendations/R14/history/",
    "/compare/?from=scale-start&to=live",
    "/",
    "/matrix/",
    "/matrix/?cluster=I&sort=-implementation",
    "/mandate-holders/registry/report/",
]


def queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in captured]


def this_weeks_news(dora, secretariat_user, n: int) -> None:
    """A public change and a published update today: the newest entries of every timeline
    hold both kinds, whatever the history before."""
    recommendation_update(
        Recommendation.objects.get(number=14),
        changes={"public_remarks": f"Reported this week ({n})."},
        user=secretariat_user,
        reason="This week",
        source=ChangeSource.ADMIN,
    )
    update = submitted_update(dora, action_taken=f"Step {n} taken this week.")
    reporting.accept_update(update, user=secretariat_user, publish=True)


def counts(client: Client, as_of: datetime.date) -> dict[str, int]:
    found = {url: len(queries(client, url)) for url in PAGES}
    # The Matrix as of a day no request asked for: the first request reconstructs it.
    found["as of, first"] = len(queries(client, f"/matrix/?as_of={as_of.isoformat()}"))
    return found


@pytest.mark.django_db
def test_every_history_bound_page_asks_the_same_queries_on_a_long_history(
    settings, dora, secretariat_user
):
    settings.PUBLIC_CACHE_SECONDS = 0  # the pages themselves, not the public cache
    publish_edition(title="Start", user=None, slug="scale-start")
    grow_history(1, changes_per_year=384 * 2, updates_per_year=30, editions=False)
    small = Recommendation.history.count()
    client = Client()
    today = datetime.date.today()
    this_weeks_news(dora, secretariat_user, 1)
    before = counts(client, today - datetime.timedelta(days=3))

    grow_history(4, changes_per_year=384 * 3, updates_per_year=120)
    assert Recommendation.history.count() > small + 3000
    this_weeks_news(dora, secretariat_user, 2)
    r14 = Recommendation.objects.get(number=14)
    assert public_timeline(r14).total > 2 * 20  # several pages of it, each page of 20
    after = counts(client, today - datetime.timedelta(days=400))
    assert after == before


@pytest.mark.django_db
def test_the_stored_public_change_flags_are_what_a_full_pass_finds(secretariat_user):
    """Marked as each record was written (single saves, many-to-many changes, the bulk path,
    demonstration data), they equal the flags recomputed over the whole history in order."""
    grow_history(1, changes_per_year=384 * 2, updates_per_year=0, editions=False)
    r14 = Recommendation.objects.get(number=14)
    topic = Topic.objects.first()
    r14.topics.add(topic)  # a record for the many-to-many change alone
    for reason, changes in [
        ("Internal", {"internal_remarks": "Only internal."}),
        ("Public", {"public_remarks": "Seen by all."}),
    ]:
        recommendation_update(
            r14, changes=changes, user=secretariat_user, reason=reason, source=ChangeSource.ADMIN
        )
    demo_seed()
    history = Recommendation.history
    stored = set(history.filter(history_public_change=True).values_list("history_id", flat=True))
    mark_all_public_changes()
    recomputed = set(
        history.filter(history_public_change=True).values_list("history_id", flat=True)
    )
    assert stored == recomputed
    public_remark = history.get(id=r14.pk, history_change_reason="Public")
    internal_remark = history.get(id=r14.pk, history_change_reason="Internal")
    assert public_remark.history_public_change
    assert not internal_remark.history_public_change
    assert not history.filter(history_source="demo", history_public_change=True).exists()
    assert history.filter(history_source="demo").exists()
    topic_record = history.filter(id=r14.pk, history_source="").latest()
    assert topic_record.history_public_change  # the topic is shown: a public change

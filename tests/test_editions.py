"""Editions of the Matrix, the state as of a date, comparisons, the trend, open data."""

import datetime
import json
import random
from collections import Counter
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import ProtectedError
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recommendations import editions
from recommendations.filters import RecommendationFilterSet
from recommendations.models import (
    AssemblySession,
    AssessmentStatus,
    ChangeSource,
    Edition,
    EditionRow,
    ImplementationStatus,
    MandateHolder,
    ProgressUpdate,
    Recommendation,
    Topic,
)
from recommendations.resources import RecommendationResource
from recommendations.services import (
    Assignment,
    Update,
    recommendation_update,
    recommendation_update_many,
)
from tests.conftest import DATA_VERSION, assign
from tests.matrix_files import apply_file
from tests.test_import import csv_bytes

pytestmark = pytest.mark.django_db


def change(number, **changes):
    recommendation_update(
        Recommendation.objects.get(number=number),
        changes=changes,
        user=None,
        reason="test",
        source=ChangeSource.ADMIN,
    )


def implementation(key):
    return ImplementationStatus.objects.get(key=key)


def assessment(key):
    return AssessmentStatus.objects.get(key=key)


def frozen(edition):
    """Every field of every row of ``edition``, with its mandate-holders and topics."""
    rows = EditionRow.objects.filter(edition=edition).order_by("number")
    return [
        (
            {f.attname: getattr(row, f.attname) for f in EditionRow._meta.concrete_fields},
            sorted(row.assignments.values_list("mandate_holder_id", "role", "note", "is_demo")),
            sorted(row.topics.values_list("pk", flat=True)),
        )
        for row in rows
    ]


@pytest.fixture
def published(secretariat_user):
    assign(14, "otp", also=["registry"])
    change(14, implementation_status=implementation("in_progress"), text="The text as it was.")
    change(15, topics=[Topic.objects.first()])
    return editions.publish_edition(
        title="Matrix as of ASP24",
        user=secretariat_user,
        session=AssemblySession.objects.get(number=24),
    )


def test_publishing_freezes_every_recommendation(published):
    assert published.slug == "asp24"
    assert published.row_count == 384
    r14 = EditionRow.objects.get(edition=published, number=14)
    assert r14.implementation_status.key == "in_progress"
    assert r14.text == "The text as it was."
    assert sorted(r14.assignments.values_list("mandate_holder__slug", flat=True)) == [
        "otp",
        "registry",
    ]
    assert EditionRow.objects.get(edition=published, number=15).topics.count() == 1


def test_later_changes_never_change_a_published_edition(published, secretariat_user):
    before = frozen(published)
    change(14, implementation_status=implementation("implemented"), text="Rewritten.")
    change(14, assignments=[Assignment(MandateHolder.objects.get(slug="bureau"))], topics=[])
    change(20, assessment_status=assessment("positively_assessed"), public_remarks="New.")
    # The import, too, writes the live records only.
    content = csv_bytes([["No.", "Implementation status"], ["R15", "Implemented"]])
    apply_file("m.csv", content, user=secretariat_user)
    assert Recommendation.objects.get(number=15).implementation_status.key == "implemented"
    assert frozen(published) == before


def test_a_published_edition_cannot_be_changed_or_deleted_in_code(published):
    published.title = "Another title"
    with pytest.raises(ValidationError):
        published.save()
    with pytest.raises(ValidationError):
        published.delete()
    row = EditionRow.objects.filter(edition=published).first()
    row.text = "changed"
    with pytest.raises(ValidationError):
        row.save()
    with pytest.raises(ValidationError):
        EditionRow.objects.filter(edition=published).update(text="changed")
    assert Edition.objects.get(pk=published.pk).title == "Matrix as of ASP24"


def test_a_published_edition_cannot_be_changed_or_deleted_in_the_admin(
    published, secretariat_client, admin_client
):
    change_url = f"/admin/recommendations/edition/{published.pk}/change/"
    delete_url = f"/admin/recommendations/edition/{published.pk}/delete/"
    for client in (secretariat_client, admin_client):
        assert client.get(change_url).status_code == 200  # view only
        assert client.post(change_url, {"title": "Changed"}).status_code == 403
        assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Edition.objects.get(pk=published.pk).title == "Matrix as of ASP24"


def test_the_secretariat_publishes_an_edition_in_the_admin(secretariat_client, secretariat_user):
    change(30, implementation_status=implementation("implemented"))
    response = secretariat_client.post(
        "/admin/recommendations/edition/add/",
        {"title": "Matrix as of ASP25", "slug": "", "note": "Circulated on 1 December."},
    )
    assert response.status_code == 302
    edition = Edition.objects.get(title="Matrix as of ASP25")
    assert edition.published_by == secretariat_user
    assert edition.slug == "matrix-as-of-asp25"
    assert edition.row_count == 384
    assert EditionRow.objects.get(edition=edition, number=30).implementation_status.key == (
        "implemented"
    )


def test_a_correction_is_a_new_edition(published, secretariat_user):
    correction = editions.publish_edition(
        title="Matrix as of ASP24 (corrected)",
        user=secretariat_user,
        session=published.session,
        corrects=published,
    )
    assert correction.slug == "asp24-2"
    page = Client().get("/editions/asp24/").content.decode()
    assert "Corrected by" in page
    assert "/editions/asp24-2/" in page


def test_the_edition_pages_read_the_frozen_rows(published):
    change(14, implementation_status=implementation("implemented"))
    client = Client()
    page = client.get("/editions/asp24/?implementation=in_progress")
    assert page.status_code == 200
    assert [row.number for row in page.context["rows"]] == [14]
    assert "Matrix as of ASP24" in page.content.decode()
    assert "Cite as" in page.content.decode()
    live = client.get("/matrix/?implementation=in_progress")
    assert [row.number for row in live.context["rows"]] == []
    # Its downloads, charts and list.
    csv_text = client.get("/editions/asp24.csv?mandate_holder=otp").content.decode("utf-8-sig")
    assert "R14" in csv_text
    assert "R15" not in csv_text
    charts = client.get("/editions/asp24/progress/")
    segment_urls = [s.url for c in charts.context["charts"] for b in c.bars for s in b.segments]
    assert all(url.startswith("/editions/asp24/?") for url in segment_urls)
    assert "/editions/asp24/" in client.get("/editions/").content.decode()


def test_an_edition_chart_segment_counts_what_its_link_lists(published):
    charts = Client().get("/editions/asp24/progress/").context["charts"]
    rows = editions.RowSource(edition=published).rows()
    for chart in charts:
        for bar in chart.bars:
            for segment in bar.segments:
                query = QueryDict(segment.url.split("?", 1)[1])
                assert RecommendationFilterSet(query, queryset=rows).qs.count() == segment.count


def test_unknown_editions_are_not_found(published):
    client = Client()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert client.get(f"/editions/as-of-{yesterday.isoformat()}/").status_code == 404
    assert client.get("/editions/nothing/").status_code == 404


#
# As of a date
#


def at(day: datetime.date, hour: int = 12):
    moment = datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)
    return mock.patch("simple_history.models.timezone.now", return_value=moment)


@pytest.fixture
def scripted_history():
    """R14 and R15, changed on known past days (the reference data was loaded today)."""
    today = timezone.localdate()
    day1, day2, day3 = (today - datetime.timedelta(days=n) for n in (30, 20, 10))
    with at(day1):
        change(14, implementation_status=implementation("not_started"))
    with at(day2):
        change(14, implementation_status=implementation("in_progress"))
        change(15, implementation_status=implementation("not_started"))
    with at(day3, hour=23):
        change(14, implementation_status=implementation("implemented"))
    return day1, day2, day3


def statuses(day):
    source = editions.source_for_day(day.isoformat())
    return dict(source.rows().values_list("number", "implementation_status__key")), source.warnings


def test_the_state_as_of_a_date_is_read_from_the_history(scripted_history):
    day1, day2, day3 = scripted_history
    assert statuses(day1 - datetime.timedelta(days=1))[0] == {}
    assert statuses(day1)[0] == {14: "not_started"}
    assert statuses(day2)[0] == {14: "in_progress", 15: "not_started"}
    assert statuses(day3 - datetime.timedelta(days=1))[0] == {14: "in_progress", 15: "not_started"}
    assert statuses(day3)[0] == {14: "implemented", 15: "not_started"}  # 23:00 is still day 3


def test_a_date_before_the_first_record_says_so(scripted_history):
    day1, _day2, _day3 = scripted_history
    _rows, warnings = statuses(day1 - datetime.timedelta(days=1))
    assert any("Nothing was recorded in the tracker before" in w for w in warnings)
    assert statuses(day1)[1] == []


def test_the_matrix_and_dashboard_as_of_a_date(scripted_history):
    _day1, day2, _day3 = scripted_history
    client = Client()
    page = client.get(f"/matrix/?as_of={day2.isoformat()}&implementation=in_progress")
    assert [row.number for row in page.context["rows"]] == [14]
    text = page.content.decode()
    assert "reconstructed from the tracker" in text
    assert f'name="as_of" value="{day2.isoformat()}"' in text  # kept by the filter form
    download = client.get(f"/matrix.csv?as_of={day2.isoformat()}&implementation=in_progress")
    assert "R14" in download.content.decode("utf-8-sig")
    dashboard = client.get(f"/?as_of={day2.isoformat()}")
    urls = [s.url for c in dashboard.context["charts"] for b in c.bars for s in b.segments]
    assert all(f"as_of={day2.isoformat()}" in url for url in urls)


@pytest.mark.parametrize(
    ("value", "message"),
    [("yesterday", "is not a date"), ("2999-01-01", "is in the future")],
)
def test_a_bad_as_of_date_is_named_and_the_live_state_shown(value, message):
    page = Client().get(f"/matrix/?as_of={value}")
    assert page.status_code == 200
    assert message in page.content.decode()
    assert page.context["source"].is_live


def written(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_an_anonymous_visitor_reading_a_past_day_writes_nothing(scripted_history):
    """Every page that reads a past day, first request included: no row written, no copy."""
    _day1, day2, _day3 = scripted_history
    day = day2.isoformat()
    client = Client()
    for url in [
        f"/matrix/?as_of={day}",
        f"/matrix/?as_of={day}&implementation=in_progress&q=R14&mandate_holder=none&topic=none",
        f"/?as_of={day}",
        f"/matrix.csv?as_of={day}",
        f"/matrix.xlsx?as_of={day}&cluster=I",
        f"/compare/?from={day}&to=live",
        f"/compare/?from=2020-01-01&to={day}",
    ]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200, url
        assert written(captured) == [], url


def test_a_change_dated_in_the_past_is_seen_as_of_that_day_at_once(scripted_history):
    """An imported Matrix says when a status took effect: the days after that date read it
    (nothing kept from before the import stands in the way)."""
    day1, day2, day3 = scripted_history
    assert statuses(day2)[0] == {14: "in_progress", 15: "not_started"}
    r15 = Recommendation.objects.get(number=15)
    recommendation_update_many(
        [Update(r15.pk, {"implementation_status": implementation("implemented")}, "ASP23 Matrix",
                since={"implementation_status": day1})],
        user=None,
        source=ChangeSource.IMPORT,
    )  # fmt: skip
    assert statuses(day2)[0] == {14: "in_progress", 15: "implemented"}
    assert statuses(day3)[0] == {14: "implemented", 15: "implemented"}
    assert statuses(day1)[0] == {14: "not_started", 15: "implemented"}
    assert statuses(day1 - datetime.timedelta(days=1))[0] == {}  # before that date: unchanged


#
# Comparison
#


def brute_force(before_rows, after_rows, numbers):
    before = {row.number: row for row in before_rows}
    counts = {"assessment": Counter(), "implementation": Counter()}
    for row in after_rows:
        if row.number not in numbers:
            continue
        old = before.get(row.number)
        for axis in counts:
            counts[axis][
                getattr(old, f"{axis}_status_id") if old else None,
                getattr(row, f"{axis}_status_id"),
            ] += 1
    return counts


@pytest.fixture
def two_editions(secretariat_user):
    rng = random.Random(5)
    impl = [*list(ImplementationStatus.objects.all()), None]
    assess = [*list(AssessmentStatus.objects.all()), None]
    holders = list(MandateHolder.objects.all())
    for number in rng.sample(range(1, 385), 120):
        change(
            number,
            implementation_status=rng.choice(impl),
            assessment_status=rng.choice(assess),
            assignments=[Assignment(rng.choice(holders))],
        )
    first = editions.publish_edition(title="First", user=secretariat_user, slug="first")
    for number in rng.sample(range(1, 385), 150):
        change(number, implementation_status=rng.choice(impl), assessment_status=rng.choice(assess))
    second = editions.publish_edition(title="Second", user=secretariat_user, slug="second")
    return first, second


@pytest.mark.parametrize("query", ["", "cluster=I", "mandate_holder=otp", "implementation=none"])
def test_comparison_counts_equal_a_brute_force_recount(two_editions, query):
    first, second = two_editions
    before, after = editions.RowSource(first), editions.RowSource(second)
    filterset = RecommendationFilterSet(QueryDict(query), queryset=after.rows())
    numbers = set(filterset.qs.values_list("number", flat=True))
    result = editions.compare(before, after, filterset.qs)
    expected = brute_force(before.rows(), after.rows(), numbers)
    assert result.transitions == expected
    moved = {
        row.number
        for row in after.rows()
        if row.number in numbers
        and any(
            getattr(row, f"{axis}_status_id")
            != getattr(before.rows().get(number=row.number), f"{axis}_status_id")
            for axis in ("assessment", "implementation")
        )
    }
    assert {row["number"] for row in result.changed} == moved


def test_the_comparison_page_and_its_downloads(two_editions, dora, secretariat_user):
    _first, _second = two_editions
    client = Client()
    page = client.get("/compare/?from=first&to=second&cluster=I")
    assert page.status_code == 200
    changed = page.context["changed_rows"]
    tables = page.context["tables"]
    assert sum(t["moved"] for t in tables) >= len(changed) > 0
    data = json.loads(client.get("/compare.json?from=first&to=second&cluster=I").content)
    assert [row["code"] for row in data["changed"]] == [row["code"] for row in changed]
    csv_text = client.get("/compare.csv?from=first&to=second&cluster=I").content.decode("utf-8-sig")
    assert all(row["code"] in csv_text for row in changed)
    # Against now, and against a bad value.
    assert client.get("/compare/?from=first&to=live").status_code == 200
    bad = client.get("/compare/?from=nothing").content.decode()
    assert "is neither a published edition, a date nor" in bad


def test_updates_published_between_two_moments_are_listed(two_editions, dora, secretariat_user):
    from recommendations import reporting
    from tests.test_reporting import submitted_update

    _first, _second = two_editions
    update = submitted_update(dora, action_taken="Between the editions.")
    reporting.accept_update(update, user=secretariat_user, publish=True)
    page = Client().get("/compare/?from=first&to=live")
    assert [u.pk for u in page.context["updates"]["page"]] == [update.pk]
    assert "Between the editions." in page.content.decode()


def test_the_updates_in_between_are_paged_with_their_total(two_editions, dora, secretariat_user):
    from recommendations import reporting
    from tests.test_reporting import submitted_update

    for number in range(1, 28):
        update = submitted_update(dora, action_taken=f"Step {number} taken.")
        reporting.accept_update(update, user=secretariat_user, publish=True)
    client = Client()
    first = client.get("/compare/?from=first&to=live&cluster=I")
    content = first.content.decode()
    assert "27 updates published in between" in content
    assert "Newest first: updates 1\u201325." in content
    assert "Step 27 taken." in content
    assert "Step 2 taken." not in content
    assert 'href="?from=first&amp;to=live&amp;cluster=I&amp;page=2#updates-heading"' in content
    second = client.get("/compare/?from=first&to=live&cluster=I&page=2").content.decode()
    assert "Newest first: updates 26\u201327." in second
    assert "Step 1 taken." in second
    assert "Step 3 taken." not in second
    past = client.get("/compare/?from=first&to=live&page=9").content.decode()
    assert "There is no page 9; showing the last page, 2." in past


def test_the_changed_recommendations_are_paged_by_number_with_their_total(secretariat_user):
    editions.publish_edition(title="First", user=secretariat_user, slug="first")
    recommendation_update_many(
        [
            Update(pk, {"implementation_status": implementation("in_progress")}, "test")
            for pk in Recommendation.objects.filter(number__lte=150).values_list("pk", flat=True)
        ],
        user=None,
        source=ChangeSource.ADMIN,
    )
    client = Client()
    content = client.get("/compare/?from=first&to=live&page=1").content.decode()
    assert "150 recommendations changed status" in content
    assert "In order of number: changed recommendations 1\u2013100." in content
    assert '<a href="/recommendations/R100/">' in content
    assert '<a href="/recommendations/R101/">' not in content
    # The updates' page stays where it is.
    assert 'href="?from=first&amp;to=live&amp;page=1&amp;changed_page=2#changed-heading"' in content
    second = client.get("/compare/?from=first&to=live&changed_page=2").content.decode()
    assert "In order of number: changed recommendations 101\u2013150." in second
    assert '<a href="/recommendations/R150/">' in second
    assert '<a href="/recommendations/R100/">' not in second
    assert 'href="?from=first&amp;to=live#changed-heading" rel="prev"' in second
    past = client.get("/compare/?from=first&to=live&changed_page=5").content.decode()
    assert "There is no page 5; showing the last page, 2." in past


#
# Dashboard, open data, query counts
#


def test_the_trend_chart_counts_each_edition(two_editions):
    first, second = two_editions
    page = Client().get("/")
    trend = page.context["trend"]
    assert [bar.label for bar in trend[0].bars] == ["First", "Second"]
    for chart, axis in zip(trend, ("assessment", "implementation"), strict=True):
        for bar, edition in zip(chart.bars, (first, second), strict=True):
            counts = Counter(
                EditionRow.objects.filter(edition=edition).values_list(
                    f"{axis}_status__key", flat=True
                )
            )
            assert {s.label: s.count for s in bar.segments if s.count} == {
                (s.label): counts[key]
                for key, s in (
                    (seg.url.split(f"{axis}=")[1], seg) for seg in bar.segments if seg.count
                )
                for key in [None if key == "none" else key]
            }
    assert 'href="/editions/first/"' in page.content.decode()


def test_since_the_last_session_is_one_click_from_the_dashboard():
    page = Client().get("/").content.decode()
    # ASP23 (2 to 6 December 2024) is the last session with dates; no edition of it exists.
    assert "What moved since ASP23" in page
    assert "/compare/?from=2024-12-01&amp;to=live" in page


def test_the_open_data_page_documents_every_public_column(published):
    page = Client().get("/open-data/")
    keys = [column.key for column in page.context["dictionary"]]
    resource = RecommendationResource(internal=False)
    assert keys == resource.keys
    assert "internal_remarks" not in keys
    text = page.content.decode()
    assert "CC BY 4.0" in text
    assert "/editions/asp24.csv" in text
    assert "positively_assessed" in text


@pytest.mark.public_cache  # the demo banner's answer, known for the data version
def test_edition_and_comparison_pages_take_a_fixed_number_of_queries(
    two_editions, django_assert_num_queries
):
    client = Client()
    # The data version, the edition and its corrections, then the Matrix's 12 queries (6
    # vocabularies, 3 facet counts, rows, owners, the demo banner), whatever the filters and
    # the page size.
    with django_assert_num_queries(DATA_VERSION + 14):
        client.get("/editions/second/")
    # The demo banner's answer is known for this data version now.
    with django_assert_num_queries(DATA_VERSION + 13):
        client.get("/editions/second/?cluster=I&sort=-implementation&per_page=400")
    # The two editions, the editions offered, 6 vocabularies, the rows and their statuses
    # before, and the updates in between counted (none: no page of them to read).
    with django_assert_num_queries(DATA_VERSION + 11):
        client.get("/compare/?from=first&to=second")
    with django_assert_num_queries(DATA_VERSION + 11):
        client.get("/compare/?from=first&to=second&mandate_holder=otp")


@pytest.mark.public_cache  # the demo banner's answer, known for the data version
def test_the_matrix_as_of_a_day_takes_a_fixed_number_of_queries(
    scripted_history, django_assert_num_queries
):
    day = scripted_history[2].isoformat()
    client = Client()
    # The data version, the records in effect that day and the first record's date, then the
    # Matrix's 12 (the demo banner's included: the first page under this data version).
    with django_assert_num_queries(DATA_VERSION + 14):
        client.get(f"/matrix/?as_of={day}")
    with django_assert_num_queries(DATA_VERSION + 13):  # the banner's answer is known now
        client.get(f"/matrix/?as_of={day}&implementation=implemented&sort=-changed")


def test_an_update_is_frozen_with_the_edition(published, dora, secretariat_user):
    from recommendations import reporting
    from tests.test_reporting import submitted_update

    update = submitted_update(dora, action_taken="Before the edition.")
    reporting.accept_update(update, user=secretariat_user, publish=True)
    second = editions.publish_edition(title="Later", user=secretariat_user, slug="later")
    assert EditionRow.objects.get(edition=second, number=14).latest_update == update
    assert EditionRow.objects.get(edition=published, number=14).latest_update is None
    with pytest.raises(ProtectedError):  # an edition keeps the updates it froze
        ProgressUpdate.objects.filter(pk=update.pk).delete()


def test_the_editions_page_before_any_is_published():
    page = Client().get("/editions/")
    assert page.status_code == 200
    assert "No edition has been published yet." in page.content.decode()


#
# Immutability in the database (the probe changed and deleted published editions through
# queryset update() and delete(), which skip the models' save() and delete())
#


def _published(rec):
    from recommendations.editions import publish_edition

    topic = Topic.objects.first()
    recommendation_update(
        rec(14), changes={"topics": [topic]}, user=None, reason="set-up", source="admin"
    )
    return publish_edition(title="Matrix as of ASP24", user=None, slug="asp24")


def _raw(sql, params=()):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "write",
    [
        lambda e: Edition.objects.filter(pk=e.pk).update(title="Rewritten"),
        lambda e: Edition.objects.filter(pk=e.pk).delete(),
        lambda e: EditionRow.objects.filter(edition=e).update(public_remarks="Rewritten"),
        lambda e: EditionRow.objects.filter(edition=e).delete(),
    ],
    ids=["edition update", "edition delete", "rows update", "rows delete"],
)
def test_the_querysets_refuse_to_change_a_published_edition(rec, write):
    from django.core.exceptions import ValidationError

    edition = _published(rec)
    with pytest.raises(ValidationError, match="never change"):
        write(edition)
    assert Edition.objects.get(pk=edition.pk).title == "Matrix as of ASP24"
    assert EditionRow.objects.filter(edition=edition).count() == 384


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE recommendations_edition SET title = 'Rewritten' WHERE id = %(edition)s",
        "DELETE FROM recommendations_edition WHERE id = %(edition)s",
        "UPDATE recommendations_editionrow SET public_remarks = 'x' WHERE edition_id = %(edition)s",
        "DELETE FROM recommendations_editionrow WHERE edition_id = %(edition)s",
        "UPDATE recommendations_editionassignment SET note = 'x' WHERE row_id IN "
        "(SELECT id FROM recommendations_editionrow WHERE edition_id = %(edition)s)",
        "DELETE FROM recommendations_editionassignment WHERE row_id IN "
        "(SELECT id FROM recommendations_editionrow WHERE edition_id = %(edition)s)",
        "DELETE FROM recommendations_editionrow_topics WHERE editionrow_id IN "
        "(SELECT id FROM recommendations_editionrow WHERE edition_id = %(edition)s)",
    ],
    ids=[
        "edition update",
        "edition delete",
        "row update",
        "row delete",
        "assignment update",
        "assignment delete",
        "topic delete",
    ],
)
def test_the_database_refuses_any_sql_that_changes_a_published_edition(rec, statement):
    from django.db import IntegrityError, transaction

    edition = _published(rec)
    assert edition.rows.filter(assignments__isnull=False).exists()
    assert edition.rows.filter(topics__isnull=False).exists()
    refused = pytest.raises(IntegrityError, match="published edition never changes")
    with refused, transaction.atomic():
        _raw(statement % {"edition": edition.pk})
    edition = Edition.objects.get(pk=edition.pk)
    assert edition.title == "Matrix as of ASP24"
    assert edition.rows.count() == 384


def test_a_topic_a_published_edition_names_cannot_be_deleted_in_the_back_office(rec, admin_client):
    edition = _published(rec)
    topic = edition.rows.get(number=14).topics.get()
    url = reverse("admin:recommendations_topic_delete", args=[topic.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "named by a published edition" in page.content.decode()
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200  # the same page again: nothing deleted
    assert Topic.objects.filter(pk=topic.pk).exists()

"""The Atom feeds: the whole tracker, a recommendation, a mandate-holder, a Matrix view.

Each entry is an entry of a recommendation's public timeline; nothing the public page hides
(demonstration entries, internal-only changes, staff names, updates kept internal) appears.
"""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.conf import settings
from django.utils import timezone

from recommendations import reporting
from recommendations.demo import demo_seed
from recommendations.history import public_timeline
from recommendations.models import (
    AssessmentStatus,
    ChangeSource,
    ImplementationStatus,
    MandateHolder,
    ProgressUpdate,
    Recommendation,
)
from recommendations.services import Assignment, recommendation_update
from tests.conftest import assign
from tests.test_reporting import submitted_update

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
CHANGES = "/feeds/changes.atom"
R14 = "/recommendations/R14/feed.atom"
OTP = "/mandate-holders/otp/feed.atom"
MATRIX = "/matrix/feed.atom"
FEEDS = [CHANGES, R14, OTP, f"{MATRIX}?cluster=I"]


def change(number: int, reason: str = "Reported by the Review Mechanism", **changes):
    """A change through the one write path, from the back-office."""
    return recommendation_update(
        Recommendation.objects.get(number=number),
        changes=changes,
        user=None,
        reason=reason,
        source=ChangeSource.ADMIN,
    )


def status(model, key: str):
    return model.objects.get(key=key)


def feed(client, url: str) -> ET.Element:
    """The feed at ``url``, checked to be Atom with what every feed and entry must have."""
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.findtext(f"{ATOM}{name}"), name
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http://testserver/")
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    assert root.find(f"{ATOM}author/{ATOM}name") is not None  # or every entry needs one
    for entry in root.iter(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "published", "summary"):
            assert entry.findtext(f"{ATOM}{name}"), name
        link = entry.find(f"{ATOM}link[@rel='alternate']").get("href")
        assert re.fullmatch(r"http://testserver/recommendations/R\d+/", link), link
        assert entry.findtext(f"{ATOM}id").startswith(f"{link}#"), "the page with a fragment"
        datetime.datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
    return root


def entries(root: ET.Element) -> list[dict]:
    return [
        {
            "id": entry.findtext(f"{ATOM}id"),
            "title": entry.findtext(f"{ATOM}title"),
            "summary": entry.findtext(f"{ATOM}summary"),
            "updated": datetime.datetime.fromisoformat(entry.findtext(f"{ATOM}updated")),
            "link": entry.find(f"{ATOM}link").get("href"),
            "author": entry.findtext(f"{ATOM}author/{ATOM}name"),
        }
        for entry in root.iter(f"{ATOM}entry")
    ]


def titles(client, url: str) -> list[str]:
    return [entry["title"] for entry in entries(feed(client, url))]


def published_update(author, user, *, publish=True, show_author=False, **fields):
    update = submitted_update(author, **fields)
    return reporting.accept_update(update, user=user, publish=publish, show_author=show_author)


#
# Every feed
#


@pytest.mark.parametrize("url", FEEDS)
def test_each_feed_is_atom_newest_first_at_most_50_entries(client, url):
    assign(14, "otp")
    change(14, implementation_status=status(ImplementationStatus, "in_progress"))
    root = feed(client, url)
    found = entries(root)
    assert 0 < len(found) <= 50
    dates = [entry["updated"] for entry in found]
    assert dates == sorted(dates, reverse=True)
    assert len({entry["id"] for entry in found}) == len(found)
    assert found[0]["title"] == "R14: Implementation status: In progress"
    assert root.findtext(f"{ATOM}updated") == found[0]["updated"].isoformat()
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"


def test_the_whole_tracker_stops_at_50_entries(client):
    # The reference data alone leaves hundreds of public entries.
    assert len(entries(feed(client, CHANGES))) == 50


def test_each_feed_says_what_it_covers(client):
    root = feed(client, CHANGES)
    assert root.findtext(f"{ATOM}title") == "IER Tracker: changes to the IER recommendations"
    assert "384" in root.findtext(f"{ATOM}subtitle")
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == "http://testserver/"
    assert root.findtext(f"{ATOM}id") == "http://testserver/feeds/changes.atom"

    root = feed(client, R14)
    assert root.findtext(f"{ATOM}title").startswith("IER Tracker: Recommendation R14")
    assert "recommendation R14" in root.findtext(f"{ATOM}subtitle")
    alternate = root.find(f"{ATOM}link[@rel='alternate']").get("href")
    assert alternate == "http://testserver/recommendations/R14/"

    root = feed(client, OTP)
    assert "Office of the Prosecutor" in root.findtext(f"{ATOM}title")
    assert "OTP leads or contributes to" in root.findtext(f"{ATOM}subtitle")

    root = feed(client, f"{MATRIX}?cluster=I&assessment=none&page=3&sort=-changed")
    title = root.findtext(f"{ATOM}title")
    assert (
        title == "IER Tracker: Matrix, Cluster: I. Governance; Assessment status: Not yet recorded"
    )
    assert "Cluster: I. Governance" in root.findtext(f"{ATOM}subtitle")
    # The page and the feed's own address keep the filters, not the page number or the sort.
    alternate = root.find(f"{ATOM}link[@rel='alternate']").get("href")
    assert alternate == "http://testserver/matrix/?cluster=I&assessment=none"
    own = root.find(f"{ATOM}link[@rel='self']").get("href")
    assert own == "http://testserver/matrix/feed.atom?cluster=I&assessment=none"

    root = feed(client, MATRIX)
    assert root.findtext(f"{ATOM}title") == "IER Tracker: Matrix, all recommendations"


#
# What an entry holds
#


def test_a_change_reads_as_on_the_public_timeline_without_staff_names(client, secretariat_user):
    recommendation_update(
        Recommendation.objects.get(number=20),
        changes={
            "assessment_status": status(AssessmentStatus, "positively_assessed"),
            "assignments": [Assignment(MandateHolder.objects.get(slug="registry"))],
            "public_remarks": "Line one <b>bold?</b>\nLine two",
        },
        user=secretariat_user,
        reason="Reported by the Review Mechanism",
        source=ChangeSource.ADMIN,
    )
    response = client.get(CHANGES)
    assert secretariat_user.username not in response.content.decode()
    latest = entries(feed(client, CHANGES))[0]
    record = Recommendation.objects.get(number=20).history.latest("history_date")
    assert latest["id"] == f"http://testserver/recommendations/R20/#change-{record.history_id}"
    assert latest["link"] == "http://testserver/recommendations/R20/"
    assert latest["updated"] == record.history_date
    assert latest["title"] == (
        "R20: Assessment status: Positively assessed; Mandate-holders: Registry (lead); "
        "Public remarks changed"
    )
    summary = latest["summary"]
    assert "Back-office" in summary  # the path
    assert "Reason: Reported by the Review Mechanism" in summary
    assert (
        "<strong>Assessment status:</strong> <del>Not yet recorded</del> → "
        "<ins>Positively assessed</ins>" in summary
    )
    assert "<ins>Registry (lead)</ins>" in summary
    # Plain text stays text: escaped, its line breaks kept.
    assert "Line one &lt;b&gt;bold?&lt;/b&gt;<br>Line two" in summary
    assert "<b>" not in summary
    assert latest["author"] is None


def test_the_recommendation_feed_is_its_public_timeline(client, dora, secretariat_user):
    change(14, implementation_status=status(ImplementationStatus, "in_progress"))
    published_update(dora, secretariat_user, action_taken="Drafted the policy.")
    published_update(
        dora,
        secretariat_user,
        action_taken="Adopted the policy.",
        proposed_implementation_status=status(ImplementationStatus, "implemented"),
    )
    change(14, text="The recorded text.")
    timeline = public_timeline(Recommendation.objects.get(number=14))[:]
    found = entries(feed(client, R14))
    assert len(found) == len(timeline)
    assert [entry["updated"] for entry in found] == [e.date for e in timeline]
    assert found[0]["title"] == "R14: Text changed"
    # An update that changed a status is one entry with the change, as on the page.
    assert found[1]["title"] == "R14: update from OTP; Implementation status: Implemented"
    assert "Adopted the policy." in found[1]["summary"]
    assert "<del>In progress</del> → <ins>Implemented</ins>" in found[1]["summary"]
    assert found[2]["title"] == "R14: update from OTP"
    assert "Drafted the policy." in found[2]["summary"]
    assert "#update-" in found[2]["id"]
    assert found[3]["title"] == "R14: Implementation status: In progress"
    # The same change has the same id in every feed.
    assert {entry["id"] for entry in found[:4]} <= {
        entry["id"] for entry in entries(feed(client, CHANGES))
    }


def test_a_published_update_shows_its_text_never_its_author_unless_chosen(
    client, dora, secretariat_user
):
    update = published_update(
        dora,
        secretariat_user,
        action_taken="Drafted <script>x</script> the policy.\nConsulted the staff.",
        impediments="Budget & staff",
        next_steps="Consult the States Parties.",
        evidence="https://example.org/report?a=1&b=2",
    )
    for url in (CHANGES, R14, OTP):
        response = client.get(url)
        content = response.content.decode()
        assert "Dora" not in content
        assert "Maar" not in content
        assert "dora" not in content
        entry = entries(feed(client, url))[0]
        assert entry["title"] == "R14: update from OTP"
        assert entry["id"] == f"http://testserver/recommendations/R14/#update-{update.pk}"
        assert entry["updated"] == update.reviewed_at
        summary = entry["summary"]
        assert "Update from OTP, 1 Jan 2026 to 30 Jun 2026" in summary
        assert "Drafted &lt;script&gt;x&lt;/script&gt; the policy.<br>Consulted the staff." in (
            summary
        )
        assert "<script>" not in summary
        assert "Budget &amp; staff" in summary
        assert "Consult the States Parties." in summary
        assert 'href="https://example.org/report?a=1&amp;b=2"' in summary
        assert entry["author"] is None

    ProgressUpdate.objects.filter(pk=update.pk).update(show_author=True)
    entry = entries(feed(client, R14))[0]
    assert "Reported by Dora Maar" in entry["summary"]
    assert entry["author"] == "Dora Maar"


def test_the_feeds_speak_the_readers_language(client):
    change(14, implementation_status=status(ImplementationStatus, "in_progress"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    root = feed(client, R14)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    latest = entries(root)[0]
    assert "Statut de la mise en œuvre" in latest["title"]
    assert "En cours" in latest["title"]
    assert "Interface d\u2019administration" in latest["summary"]  # the path


def test_characters_xml_cannot_hold_do_not_break_a_feed(client):
    change(14, reason="Imported\x0bfrom a spreadsheet", public_remarks="Tab\x0cbed")
    for url in (R14, f"{MATRIX}?q=%00&cluster=%01"):
        assert entries(feed(client, url))
    assert "Imported\ufffdfrom a spreadsheet" in entries(feed(client, R14))[0]["summary"]


#
# What never appears
#


def test_demonstration_entries_and_internal_only_changes_never_appear(client):
    before = {url: [e["id"] for e in entries(feed(client, url))] for url in (CHANGES, R14)}
    demo_seed()
    change(14, reason="internal only", internal_remarks="SECRET-NOTE")
    for url in (CHANGES, R14, f"{MATRIX}?q=R14"):
        content = client.get(url).content.decode()
        assert "SECRET-NOTE" not in content
        assert "internal only" not in content
        for entry in entries(feed(client, url)):
            assert "Demonstration data" not in entry["summary"]
    for url, ids in before.items():
        assert [e["id"] for e in entries(feed(client, url))] == ids
    # While demonstration data exists, each feed says so, as each page does.
    assert "Demonstration data, not official." in feed(client, CHANGES).findtext(f"{ATOM}subtitle")


def test_an_update_kept_internal_never_appears(client, dora, secretariat_user):
    published_update(
        dora,
        secretariat_user,
        publish=False,
        action_taken="Confidential negotiation.",
        proposed_implementation_status=status(ImplementationStatus, "in_progress"),
    )
    for url in (CHANGES, R14, OTP):
        content = client.get(url).content.decode()
        assert "Confidential negotiation." not in content
        assert "R14: update from OTP" not in content  # (the reason names OTP, as on the page)
    # The status it brought is public, as on the page: the change, with no text of the update.
    assert titles(client, R14)[0] == "R14: Implementation status: In progress"


#
# Which recommendations each feed covers
#


def test_the_matrix_feed_lists_exactly_what_the_matrix_filters(client):
    in_progress = status(ImplementationStatus, "in_progress")
    change(14, reason="Cluster I change", implementation_status=in_progress)  # cluster I
    change(300, reason="Unplaced change", implementation_status=in_progress)  # no cluster

    cluster_i = entries(feed(client, f"{MATRIX}?cluster=I"))
    assert cluster_i[0]["title"] == "R14: Implementation status: In progress"
    cluster_i_codes = {re.match(r"R(\d+):", e["title"]).group(1) for e in cluster_i}
    assert all(int(number) <= 86 for number in cluster_i_codes)  # R1-R86 are cluster I
    summaries = " ".join(e["summary"] for e in cluster_i)
    assert "Cluster I change" in summaries
    assert "Unplaced change" not in summaries

    # Only R14 is in cluster I and in progress: its feed, exactly.
    in_progress_i = titles(client, f"{MATRIX}?cluster=I&implementation=in_progress")
    assert in_progress_i == titles(client, "/recommendations/R14/feed.atom")
    assert in_progress_i[0] == "R14: Implementation status: In progress"
    # Words: the Matrix's text search (full-text on PostgreSQL); R227's text is recorded.
    assert titles(client, f"{MATRIX}?q=gravity") == titles(
        client, "/recommendations/R227/feed.atom"
    )
    none = entries(feed(client, f"{MATRIX}?cluster=none&implementation=in_progress"))
    assert [e["link"] for e in none] == ["http://testserver/recommendations/R300/"] * len(none)
    assert "Unplaced change" in none[0]["summary"]


@pytest.mark.parametrize(
    "query",
    [
        "cluster=bogus",
        "cluster=I&cluster=bogus",
        "changed_since=not-a-date",
        "sort=sideways&page=-1&per_page=7",
        f"q={'x' * 300}",
        "mandate_holder=nobody&topic=%00",
        "cluster",
    ],
)
def test_a_bad_filter_value_still_gives_a_valid_feed(client, query):
    root = feed(client, f"{MATRIX}?{query}")
    assert entries(root)
    if "bogus" in query or "not-a-date" in query:
        assert "ignored" in root.findtext(f"{ATOM}subtitle")


def test_the_mandate_holder_feed_covers_its_recommendations_and_its_updates(
    client, dora, secretariat_user
):
    # dora: OTP leads R14 and R15, the Registry contributes to R15.
    assign(20, "registry")
    in_progress = status(ImplementationStatus, "in_progress")
    change(14, reason="Change to R14", implementation_status=in_progress)
    change(15, reason="Change to R15", implementation_status=in_progress)
    change(20, reason="Change to R20", implementation_status=in_progress)
    change(21, reason="Change to R21", implementation_status=in_progress)
    published_update(dora, secretariat_user, action_taken="OTP reports on R14.")
    # An update on a recommendation it does not own (now): in its feed, not in theirs.
    ProgressUpdate.objects.create(
        recommendation=Recommendation.objects.get(number=21),
        mandate_holder=MandateHolder.objects.get(slug="otp"),
        author=dora,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 6, 30),
        action_taken="OTP reports on R21.",
        state=ProgressUpdate.State.ACCEPTED,
        is_public=True,
        reviewed_at=timezone.now(),
    )

    otp = " ".join(e["summary"] for e in entries(feed(client, OTP)))
    registry = " ".join(
        e["summary"] for e in entries(feed(client, "/mandate-holders/registry/feed.atom"))
    )
    assert "Change to R14" in otp
    assert "Change to R15" in otp
    assert "OTP reports on R14." in otp
    assert "OTP reports on R21." in otp
    assert "Change to R20" not in otp
    assert "Change to R21" not in otp
    assert "Change to R15" in registry  # it contributes to R15
    assert "Change to R20" in registry
    assert "Change to R14" not in registry
    assert "OTP reports" not in registry


#
# Addresses
#


@pytest.mark.parametrize(
    "url",
    [
        "/recommendations/R999/feed.atom",
        "/recommendations/R0/feed.atom",
        "/recommendations/abc/feed.atom",
        "/mandate-holders/nobody/feed.atom",
    ],
)
def test_an_unknown_recommendation_or_mandate_holder_is_a_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_every_spelling_of_a_number_leads_to_the_same_feed(client):
    response = client.get("/recommendations/r014/feed.atom")
    assert response.status_code == 301
    assert response["Location"] == "/recommendations/R14/feed.atom"


def test_the_feeds_only_read(client):
    assert client.post(CHANGES).status_code == 405
    assert client.post(R14).status_code == 405
    assert client.head(R14).status_code == 200


@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("/", "/feeds/changes.atom"),
        ("/recommendations/R14/", "/recommendations/R14/feed.atom"),
        ("/mandate-holders/otp/", "/mandate-holders/otp/feed.atom"),
    ],
)
def test_each_page_announces_its_feed(client, path, url):
    content = client.get(path).content.decode()
    head = content[: content.index("</head>")]
    assert re.search(
        rf'<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="{url}">', head
    )
    assert re.search(rf'<a href="{url}" type="application/atom\+xml">Atom feed</a>', content)


#
# Queries
#

# The history (history.public_changes): the newest public changes' keys and the newest updates
# on their own, read by index; then, for the entries shown, their records and the ones before,
# the two snapshots, and the updates. Plus whether demonstration data is present (the subtitle
# says so).
HISTORY_QUERIES = 6 + 1
QUERY_COUNTS = [
    (CHANGES, HISTORY_QUERIES),
    (R14, HISTORY_QUERIES + 1),  # + the recommendation
    (OTP, HISTORY_QUERIES + 1),  # + the mandate-holder
    (f"{MATRIX}?cluster=I&q=R1-R20", HISTORY_QUERIES + 6),  # + the 6 option lists
]


def test_the_feeds_take_the_same_number_of_queries_with_few_and_many_changes(
    client, dora, secretariat_user, django_assert_num_queries
):
    statuses = list(ImplementationStatus.objects.all())
    change(14, implementation_status=statuses[0])
    published_update(dora, secretariat_user, action_taken="First report.")
    few = {}
    for url, queries in QUERY_COUNTS:
        with django_assert_num_queries(queries):
            few[url] = len(entries(feed(client, url)))

    for round_ in range(12):
        for status_ in statuses:
            change(14, reason=f"Round {round_}", implementation_status=status_)
        change(15, reason=f"Round {round_}", public_remarks=f"Remark {round_}")
        change(14, reason=f"Round {round_}", internal_remarks=f"Internal {round_}")
    published_update(dora, secretariat_user, action_taken="Second report.")
    for url, queries in QUERY_COUNTS:
        with django_assert_num_queries(queries):
            many = len(entries(feed(client, url)))
        assert many >= few[url]
    assert len(entries(feed(client, R14))) == 50  # more than 50 public changes to R14 now


def test_the_matrix_links_the_feed_of_its_filters(client):
    page = client.get("/matrix/?cluster=I").content.decode()
    assert 'href="/matrix/feed.atom?cluster=I"' in page
    assert 'rel="alternate" type="application/atom+xml"' in page

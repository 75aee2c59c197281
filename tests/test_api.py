"""The public JSON API (/api/): the Matrix's filters, public fields only, read-only, throttled,
documented offline, and a fixed number of queries per page."""

import datetime
import json
import re
import socket
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.management import call_command
from django.http import QueryDict
from django.test import Client

from recommendations import editions, reporting
from recommendations.demo import demo_seed
from recommendations.filters import RecommendationFilterSet
from recommendations.models import (
    AssessmentStatus,
    ChangeSource,
    EditionRow,
    ImplementationStatus,
    MandateAssignment,
    MandateHolder,
    ProgressUpdate,
    Recommendation,
    Topic,
)
from recommendations.services import Assignment, recommendation_update
from tests.conftest import assign, make_user

pytestmark = pytest.mark.django_db

API = "/api/v1"
SECRET = "SECRET-INTERNAL-7f3a"

# A page of rows: the six option lists the FilterSet reads, the count, the rows, their
# mandate-holders and their topics. An edition's rows add the edition.
LIST_QUERIES = 10
EDITION_LIST_QUERIES = LIST_QUERIES + 1
# The mandate-holders with their parent and their counts by role.
HOLDER_LIST_QUERIES = 1


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """The throttles count in the default cache, which outlives a test: start from zero."""
    cache.clear()
    yield
    cache.clear()


def change(number, *, user=None, reason="test", source=ChangeSource.ADMIN, **changes):
    return recommendation_update(
        Recommendation.objects.get(number=number),
        changes=changes,
        user=user,
        reason=reason,
        source=source,
    )


def get(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return response.json()


def all_numbers(client, url) -> list[int]:
    """The numbers of every row the list gives, following its ``next`` links."""
    numbers, pages = [], 0
    while url:
        page = get(client, url)
        numbers += [row["number"] for row in page["results"]]
        url, pages = page["next"], pages + 1
        assert pages <= 400
    return numbers


@pytest.fixture
def varied(db):
    """Demonstration statuses and mandate-holders on every row, topics on a few."""
    demo_seed()
    topics = list(Topic.objects.all()[:2])
    for number in (14, 15, 200):
        change(number, topics=topics)
    change(16, topics=topics[:1])
    assign(14, "otp", also=["registry"])


QUERIES = [
    "",
    "cluster=I",
    "cluster=III&cluster=none",
    "section=I.A",
    "section=I.A.4&sort=-number",
    "assessment=positively_assessed&assessment=none&sort=-changed",
    "implementation=in_progress&implementation=none&sort=implementation",
    "mandate_holder=otp",
    "mandate_holder=otp&mandate_holder=none&sort=-assessment",
    "responsibility=court&responsibility=none&sort=place",
    "priority=unknown&topic=none&sort=-place",
    "topic={topic}",
    "q=R14-R20",
    "q=R2, R10",
    "changed_since=2000-01-01&sort=responsibility",
    "cluster=I&cluster=nonsense&assessment=bogus",
]


def _queries():
    topic = Topic.objects.order_by("order", "key").first().key
    return [query.format(topic=topic) for query in QUERIES]


def test_the_list_gives_exactly_the_rows_of_the_matrix_filterset(client, varied):
    for query in _queries():
        expected = [row.number for row in RecommendationFilterSet(QueryDict(query)).qs]
        separator = "&" if query else ""
        assert all_numbers(client, f"{API}/recommendations/?{query}{separator}page_size=37") == (
            expected
        ), query
        first = get(client, f"{API}/recommendations/?{query}")
        assert first["count"] == len(expected), query
    assert len(all_numbers(client, f"{API}/recommendations/?page_size=400")) == 384


def test_an_edition_gives_the_rows_of_the_filterset_on_its_rows(client, varied, secretariat_user):
    edition = editions.publish_edition(title="Matrix as of ASP24", user=secretariat_user)
    # The live records move on; the edition does not.
    change(14, implementation_status=ImplementationStatus.objects.get(key="implemented"))
    change(20, assignments=[])
    rows = EditionRow.objects.filter(edition=edition)
    for query in _queries():
        expected = [row.number for row in RecommendationFilterSet(QueryDict(query), rows).qs]
        separator = "&" if query else ""
        url = f"{API}/editions/{edition.slug}/recommendations/?{query}{separator}page_size=50"
        assert all_numbers(client, url) == expected, query
    frozen = get(client, f"{API}/editions/{edition.slug}/recommendations/R14/")
    live = get(client, f"{API}/recommendations/R14/")
    assert live["implementation_status"]["key"] == "implemented"
    assert frozen["implementation_status"] != live["implementation_status"]
    assert {h["slug"] for h in frozen["mandate_holders"]} == {"otp", "registry"}
    assert get(client, f"{API}/editions/{edition.slug}/recommendations/R20/")["mandate_holders"]
    assert not get(client, f"{API}/recommendations/R20/")["mandate_holders"]
    # The same shape as the live list.
    live_page = get(client, f"{API}/recommendations/?q=R14")
    edition_page = get(client, f"{API}/editions/{edition.slug}/recommendations/?q=R14")
    assert live_page.keys() == edition_page.keys()
    assert live_page["results"][0].keys() == edition_page["results"][0].keys()


def test_a_row_has_the_public_columns(client):
    assign(14, "otp", also=["registry"])
    topic = Topic.objects.order_by("order").first()
    change(
        14,
        short_title="Working culture",
        public_remarks="Discussed at ASP24.",
        topics=[topic],
        assessment_status=AssessmentStatus.objects.get(key="positively_assessed"),
        implementation_status=ImplementationStatus.objects.get(key="in_progress"),
    )
    row = get(client, f"{API}/recommendations/R14/")
    assert row == get(client, f"{API}/recommendations/?q=R14")["results"][0]
    assert row["number"] == 14
    assert row["code"] == "R14"
    assert row["short_title"] == "Working culture"
    assert row["short_title_fr"] == ""
    assert row["cluster"] == {"code": "I", "name": "Governance"}
    assert row["section"]["key"] == "I.A.4"
    assert row["responsibility"] == {"key": "court", "label": "Court"}
    assert row["priority"] == {"key": "unknown", "label": "Unknown"}
    assert row["assessment_status"] == {
        "key": "positively_assessed",
        "label": "Positively assessed",
    }
    assert row["implementation_status"]["key"] == "in_progress"
    assert row["assessment_status_since"] == datetime.date.today().isoformat()
    assert row["assessment_status_demo"] is False
    assert [(h["slug"], h["role"], h["is_demo"]) for h in row["mandate_holders"]] == [
        ("otp", "lead", False),
        ("registry", "contributing", False),
    ]
    assert row["topics"] == [{"key": topic.key, "name": topic.name}]
    assert row["public_remarks"] == "Discussed at ASP24."
    assert row["last_change"]
    assert row["url"] == "http://testserver/recommendations/R14/"


def test_labels_follow_the_request_language_and_keys_do_not(client):
    change(14, assessment_status=AssessmentStatus.objects.get(key="positively_assessed"))
    row = get(client, f"{API}/recommendations/R14/", HTTP_ACCEPT_LANGUAGE="fr")
    assert row["assessment_status"] == {
        "key": "positively_assessed",
        "label": "Évaluée positivement",
    }
    assert row["responsibility"] == {"key": "court", "label": "Cour"}


def test_a_recommendation_is_found_by_its_code_only(client):
    assert get(client, f"{API}/recommendations/R384/")["number"] == 384
    for code in ("R0", "R385", "r14", "R014", "14", "R14x", "abc"):
        assert client.get(f"{API}/recommendations/{code}/").status_code == 404, code
        assert client.get(f"{API}/recommendations/{code}/history/").status_code == 404, code


def test_unknown_keys_of_open_lists_are_ignored_with_warnings(client):
    """Clusters, sections, statuses, topics, mandate-holders: lists that grow with the data."""
    page = get(client, f"{API}/recommendations/?cluster=I&cluster=XIV&assessment=bogus")
    assert page["filters"] == {"cluster": ["I"]}
    assert page["count"] == len(RecommendationFilterSet({"cluster": ["I"]}).qs)
    warnings = " ".join(page["warnings"])
    for word in ("XIV", "bogus"):
        assert word in warnings
    # The links carry only what was kept: a bad value is reported once.
    last = get(client, f"{API}/recommendations/?cluster=XIV&page=4")
    assert last["page"] == last["num_pages"] == 4
    assert len(last["warnings"]) == 1
    assert "XIV" not in last["previous"]
    assert "page=3" in last["previous"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("sort=weird", "sort"),
        ("sort=number&sort=weird", "sort"),
        ("priority=urgent", "priority"),
        ("responsibility=%0A", "responsibility"),
        ("changed_since=yesterday", "changed_since"),
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=", "page"),
        ("page_size=0", "page_size"),
        ("page_size=9999", "page_size"),
    ],
)
def test_a_value_the_schema_refuses_is_a_400_naming_the_parameter(client, query, parameter):
    """The probe's "accepted but ignored": sort=weird answered 200, sorted by number."""
    response = client.get(f"{API}/recommendations/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == [parameter]
    assert parameter in body["detail"]


def test_empty_values_as_the_matrix_form_sends_them_are_not_given(client):
    page = get(client, f"{API}/recommendations/?q=&sort=&changed_since=&priority=&cluster=")
    assert (page["count"], page["sort"], page["warnings"]) == (384, "number", [])


def test_every_api_error_is_json(client):
    past_the_last = client.get(f"{API}/recommendations/?page=5")
    assert past_the_last.status_code == 404
    assert "the last is 4" in past_the_last.json()["detail"]
    for url in [
        f"{API}/editions/asp24/recommendations/bad/x/",  # an HTML 404 for the probe
        f"{API}/editions/%C3%A9/",
        f"{API}/nothing/",
        "/api/nothing%0A/",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json", url
        assert "detail" in response.json()
    long = client.get(f"{API}/recommendations/?q=" + "x" * 5000)
    assert long.status_code == 414
    assert "at most 4096" in long.json()["detail"]
    assert client.post(f"{API}/recommendations/").json()["detail"]


def test_the_schema_documents_every_error(client):
    schema = get(client, "/api/schema/?format=json")
    assert "Error" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            assert {"400", "404", "405", "414", "429"} <= set(operation["responses"]), path


def test_a_filter_that_matches_nothing_gives_an_empty_page(client):
    empty = get(client, f"{API}/recommendations/?q=R1&cluster=II")
    assert empty["count"] == 0
    assert empty["results"] == []
    assert empty["num_pages"] == 1


def test_pages_link_to_each_other(client):
    first = get(client, f"{API}/recommendations/?cluster=I&page_size=50&sort=-number")
    assert first["previous"] is None
    second = get(client, first["next"])
    assert second["page"] == 2
    assert second["next"] is None
    assert parse_qs(urlsplit(second["previous"]).query) == {
        "cluster": ["I"],
        "sort": ["-number"],
        "page_size": ["50"],
    }
    assert [r["number"] for r in second["results"]] == list(range(36, 0, -1))


#
# Public only
#


def test_internal_remarks_never_appear_even_for_staff(client, secretariat_user):
    for number in (14, 15):
        recommendation_update(
            Recommendation.objects.get(number=number),
            changes={"internal_remarks": f"{SECRET} for R{number}", "public_remarks": "Public."},
            user=None,
            reason="test: an internal remark",
            source="admin",
        )
    assign(14, "otp")
    edition = editions.publish_edition(title="Matrix as of ASP24", user=secretariat_user)
    urls = [
        f"{API}/",
        f"{API}/recommendations/?page_size=400",
        f"{API}/recommendations/?q=R14",
        f"{API}/recommendations/R14/",
        f"{API}/recommendations/R14/history/",
        f"{API}/recommendations/R15/history/",
        f"{API}/vocabularies/",
        f"{API}/mandate-holders/",
        f"{API}/mandate-holders/otp/",
        f"{API}/editions/",
        f"{API}/editions/{edition.slug}/",
        f"{API}/editions/{edition.slug}/recommendations/?page_size=400",
        f"{API}/editions/{edition.slug}/recommendations/R14/",
    ]
    anonymous, staff = Client(), Client(enforce_csrf_checks=True)
    staff.force_login(secretariat_user)
    for each in (anonymous, staff):
        for url in urls:
            response = each.get(url)
            assert response.status_code == 200, url
            content = response.content.decode()
            assert SECRET not in content, url
            assert "internal_remarks" not in content, url
            assert "Internal remarks" not in content, url
    schema = anonymous.get("/api/schema/?format=json").content.decode()
    assert "internal_remarks" not in schema
    assert "Public." in json.dumps(get(client, f"{API}/recommendations/R14/"))
    # Nor can a search find it.
    assert get(client, f"{API}/recommendations/?q={SECRET}")["count"] == 0


def test_the_history_is_the_published_one(client, secretariat_user, dora):
    secretariat_user.first_name, secretariat_user.last_name = "Alice", "Staffname"
    secretariat_user.save()
    demo_seed()
    change(
        14,
        user=secretariat_user,
        reason="Decided at ASP24",
        implementation_status=ImplementationStatus.objects.get(key="in_progress"),
        internal_remarks=SECRET,
    )
    update = ProgressUpdate(
        recommendation=Recommendation.objects.get(number=14),
        mandate_holder=MandateHolder.objects.get(slug="otp"),
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 6, 30),
        action_taken="Drafted the policy.",
        proposed_implementation_status=ImplementationStatus.objects.get(key="implemented"),
    )
    update = reporting.save_update(update, user=dora, submit=True)
    reporting.accept_update(update, user=secretariat_user, publish=True, comment="Internal note")
    internal = ProgressUpdate(
        recommendation=Recommendation.objects.get(number=14),
        mandate_holder=MandateHolder.objects.get(slug="otp"),
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 6, 30),
        action_taken="Kept for the Secretariat.",
    )
    internal = reporting.save_update(internal, user=dora, submit=True)
    reporting.accept_update(internal, user=secretariat_user, publish=False)

    response = client.get(f"{API}/recommendations/R14/history/")
    page = response.json()
    entries = page["results"]
    assert page["count"] == len(entries)
    assert (page["page"], page["num_pages"], page["next"], page["previous"]) == (1, 1, None, None)
    content = response.content.decode()
    for hidden in (SECRET, "Staffname", "alice", "Dora", "Maar", "Internal note", "Kept for the"):
        assert hidden not in content, hidden
    assert ChangeSource.DEMO.value not in [entry["source"]["key"] for entry in entries]
    newest = entries[0]
    assert newest["source"]["key"] == "update"
    assert newest["update"]["action_taken"] == "Drafted the policy."
    assert newest["update"]["mandate_holder"]["key"] == "otp"
    assert newest["update"]["author"] is None
    assert newest["changes"] == [
        {
            "field": "implementation_status",
            "label": "Implementation status",
            "old": "In progress",
            "new": "Implemented",
        }
    ]
    by_staff = next(entry for entry in entries if entry["reason"] == "Decided at ASP24")
    assert by_staff["source"] == {"key": "admin", "label": "Back-office"}
    assert [c["field"] for c in by_staff["changes"]] == ["implementation_status"]
    creation = entries[-1]
    assert creation["is_creation"]
    assert creation["changes"] == []
    dates = [entry["date"] for entry in entries]
    assert dates == sorted(dates, reverse=True)


def test_a_published_author_is_named_only_when_the_secretariat_chose_to(
    client, secretariat_user, dora
):
    update = ProgressUpdate(
        recommendation=Recommendation.objects.get(number=14),
        mandate_holder=MandateHolder.objects.get(slug="otp"),
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 6, 30),
        action_taken="Drafted the policy.",
    )
    update = reporting.save_update(update, user=dora, submit=True)
    reporting.accept_update(update, user=secretariat_user, publish=True, show_author=True)
    entries = get(client, f"{API}/recommendations/R14/history/")["results"]
    assert entries[0]["update"]["author"] == "Dora Maar"
    assert entries[0]["changes"] == []


def test_the_history_is_paged_newest_first_with_its_total(client):
    recorded = get(client, f"{API}/recommendations/R14/history/")["results"]
    assert len(recorded) in (1, 2, 3)
    assert recorded[-1]["is_creation"]
    for number in range(1, 13):
        change(14, reason=f"Change {number}", public_remarks=f"Remark {number}.")
    changes = 12 + len(recorded)
    first = get(client, f"{API}/recommendations/R14/history/?page_size=4")
    assert (first["count"], first["num_pages"], first["previous"]) == (changes, 4, None)
    assert first["next"].endswith("/api/v1/recommendations/R14/history/?page_size=4&page=2")
    assert [entry["reason"] for entry in first["results"]] == [
        "Change 12", "Change 11", "Change 10", "Change 9"
    ]  # fmt: skip
    assert first["results"][0]["changes"][0] == {
        "field": "public_remarks", "label": "Public remarks",
        "old": "Remark 11.", "new": "Remark 12.",
    }  # fmt: skip
    last = get(client, f"{API}/recommendations/R14/history/?page_size=4&page=4")
    assert last["results"][-1]["is_creation"]
    assert len(last["results"]) == changes - 12
    assert last["next"] is None
    assert last["previous"].endswith("/api/v1/recommendations/R14/history/?page_size=4&page=3")
    assert len(get(client, f"{API}/recommendations/R14/history/")["results"]) == changes
    assert client.get(f"{API}/recommendations/R14/history/?page=2").status_code == 404
    assert client.get(f"{API}/recommendations/R14/history/?page_size=0").status_code == 400


def test_the_published_editions_are_listed_and_unknown_ones_not_found(client, secretariat_user):
    published = editions.publish_edition(title="Matrix as of ASP24", user=secretariat_user)
    listed = get(client, f"{API}/editions/")
    assert [edition["slug"] for edition in listed] == [published.slug]
    assert listed[0]["row_count"] == 384
    assert listed[0]["recommendations_url"].endswith(
        f"/api/v1/editions/{published.slug}/recommendations/"
    )
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    for url in (
        f"{API}/editions/as-of-{yesterday}/",  # the address reconstructions once had
        f"{API}/editions/{yesterday}/recommendations/",
        f"{API}/editions/no-such-edition/recommendations/",
        f"{API}/editions/{published.slug}/recommendations/R385/",
    ):
        assert client.get(url).status_code == 404, url
    assert get(client, f"{API}/editions/{published.slug}/")["slug"] == published.slug


def test_an_edition_names_its_session_and_what_it_corrects(client, secretariat_user):
    first = editions.publish_edition(title="Matrix as of ASP24", user=secretariat_user)
    second = editions.publish_edition(
        title="Matrix as of ASP24, corrected", user=secretariat_user, corrects=first, note="Typo"
    )
    detail = get(client, f"{API}/editions/{second.slug}/")
    assert detail["corrects"] == first.slug
    assert detail["note"] == "Typo"
    assert detail["session"] is None
    assert [e["slug"] for e in get(client, f"{API}/editions/")] == [second.slug, first.slug]


#
# Vocabularies and mandate-holders
#


def test_the_vocabularies_are_the_filters_values(client):
    vocabularies = get(client, f"{API}/vocabularies/")
    filterset = RecommendationFilterSet()
    for name, key in (
        ("assessment_statuses", "assessment"),
        ("implementation_statuses", "implementation"),
        ("clusters", "cluster"),
        ("sections", "section"),
        ("topics", "topic"),
    ):
        field = "code" if name == "clusters" else "key"
        known = {option.value for option in filterset.options[key]} - {"none"}
        assert {entry[field] for entry in vocabularies[name]} == known, name
    assert {entry["key"] for entry in vocabularies["responsibilities"]} == {
        "court",
        "assembly",
        "assembly_court",
    }
    section = next(s for s in vocabularies["sections"] if s["key"] == "I.A.4")
    assert section["cluster"] == "I"
    assert section["parent"] == "I.A"
    assert "-changed" in {entry["key"] for entry in vocabularies["sorts"]}


def test_mandate_holders_with_their_recommendations(client):
    assign(14, "otp")
    assign(15, "otp", also=["registry"])
    recommendation_update(
        Recommendation.objects.get(number=16),
        changes={
            "assignments": [
                Assignment(MandateHolder.objects.get(slug="registry"), MandateAssignment.Role.LEAD),
                Assignment(
                    MandateHolder.objects.get(slug="otp"), MandateAssignment.Role.PROCEDURAL
                ),
            ]
        },
        user=None,
        reason="test",
        source="admin",
    )
    holders = get(client, f"{API}/mandate-holders/")
    assert len(holders) == MandateHolder.objects.count()
    otp = next(holder for holder in holders if holder["slug"] == "otp")
    assert (otp["lead"], otp["contributing"], otp["procedural"]) == (2, 0, 1)
    assert otp["url"] == "http://testserver/mandate-holders/otp/"
    assert all_numbers(client, otp["recommendations_url"]) == [14, 15]
    detail = get(client, f"{API}/mandate-holders/otp/")
    assert [(r["code"], r["role"]) for r in detail["recommendations"]] == [
        ("R14", "lead"),
        ("R15", "lead"),
        ("R16", "procedural"),
    ]
    assert client.get(f"{API}/mandate-holders/no-such-body/").status_code == 404


#
# Read-only, throttled
#


def test_writes_are_refused_and_change_nothing(client, secretariat_user):
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(secretariat_user)
    before = Recommendation.objects.get(number=14).updated_at
    urls = [
        "/api/",
        f"{API}/",
        f"{API}/recommendations/",
        f"{API}/recommendations/R14/",
        f"{API}/recommendations/R14/history/",
        f"{API}/vocabularies/",
        f"{API}/mandate-holders/",
        f"{API}/mandate-holders/otp/",
        f"{API}/editions/",
    ]
    body = json.dumps({"internal_remarks": "x", "short_title": "changed"})
    for url in urls:
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(url, body, content_type="application/json")
            assert response.status_code == 405, (method, url)
            # Signed in, without a CSRF token: refused before the method is even looked at.
            response = getattr(staff, method)(url, body, content_type="application/json")
            assert response.status_code in (403, 405), (method, url)
        assert client.head(url).status_code == (302 if url == "/api/" else 200)
        assert client.options(url).status_code == 200
    assert Recommendation.objects.get(number=14).updated_at == before
    assert Recommendation.objects.get(number=14).short_title == ""


@pytest.mark.public_cache  # a kept answer is not counted
def test_past_the_rate_the_api_answers_429(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "user": "3/min"},
    }
    assert client.get(f"{API}/recommendations/R14/").status_code == 200
    assert client.get(f"{API}/vocabularies/").status_code == 200
    # An answer kept in the public pages' cache costs nothing and is not counted: R14 again
    # would be; another page is not.
    assert client.get(f"{API}/recommendations/R14/").status_code == 200
    throttled = client.get(f"{API}/recommendations/R15/")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    # A signed-in user counts under the "user" rate, by account.
    client.force_login(make_user("reader"))
    for _ in range(3):
        assert client.get(f"{API}/recommendations/R14/").status_code == 200
    assert client.get(f"{API}/recommendations/R14/").status_code == 429


#
# Schema and documentation
#


def test_the_schema_generates_without_warnings_and_validates(tmp_path, client):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/recommendations/{code}/history/" in target.read_text()
    schema = get(client, "/api/schema/?format=json")
    assert schema["openapi"].startswith("3.")
    parameters = {
        parameter["name"]
        for parameter in schema["paths"]["/api/v1/recommendations/"]["get"]["parameters"]
    }
    filters = set(RecommendationFilterSet.base_filters)
    assert parameters == filters | {"page", "page_size"}
    edition_parameters = {
        parameter["name"]
        for parameter in schema["paths"]["/api/v1/editions/{slug}/recommendations/"]["get"][
            "parameters"
        ]
    }
    assert edition_parameters == parameters | {"slug"}
    # What the schema says a row holds is what a row holds.
    properties = schema["components"]["schemas"]["Recommendation"]["properties"]
    assert set(properties) == set(get(client, f"{API}/recommendations/R14/"))
    assert set(schema["components"]["schemas"]["Page"]["properties"]) == set(
        get(client, f"{API}/recommendations/?page_size=1")
    )


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_docs_load_from_the_site_itself(client, no_network):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "http://" not in html
    assert "https://" not in html
    assert "//cdn" not in html
    addresses = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert addresses
    for address in addresses:
        path = urlsplit(address).path
        if path.startswith("/static/"):
            assert finders.find(path.removeprefix("/static/")), address
        else:
            assert client.get(address).status_code == 200, address
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()
    assert "https://" not in script.content.decode()


#
# A fixed number of queries
#


def test_the_list_takes_a_fixed_number_of_queries(client, varied, django_assert_num_queries):
    with django_assert_num_queries(LIST_QUERIES):
        few = get(client, f"{API}/recommendations/?q=R14-R15")
    with django_assert_num_queries(LIST_QUERIES):
        many = get(client, f"{API}/recommendations/?page_size=400&sort=-changed")
    assert len(few["results"]) == 2
    assert len(many["results"]) == 384
    assert few["results"][0]["topics"]
    assert few["results"][0]["mandate_holders"]


def test_an_editions_rows_take_a_fixed_number_of_queries(
    client, varied, secretariat_user, django_assert_num_queries
):
    edition = editions.publish_edition(title="Matrix as of ASP24", user=secretariat_user)
    url = f"{API}/editions/{edition.slug}/recommendations/"
    with django_assert_num_queries(EDITION_LIST_QUERIES):
        few = get(client, f"{url}?q=R14")
    with django_assert_num_queries(EDITION_LIST_QUERIES):
        many = get(client, f"{url}?page_size=400&mandate_holder=otp&mandate_holder=registry")
    assert len(few["results"]) == 1
    assert len(many["results"]) > 50
    assert few["results"][0]["topics"]
    assert few["results"][0]["mandate_holders"]


def test_the_mandate_holders_take_one_query(client, django_assert_num_queries):
    with django_assert_num_queries(HOLDER_LIST_QUERIES):
        few = get(client, f"{API}/mandate-holders/")
    parent = MandateHolder.objects.get(slug="registry")
    for n in range(60):
        holder = MandateHolder.objects.create(
            slug=f"body-{n}", name=f"Body {n}", kind=MandateHolder.Kind.OTHER, parent=parent
        )
        MandateAssignment.objects.create(
            recommendation=Recommendation.objects.get(number=n + 1), mandate_holder=holder
        )
    with django_assert_num_queries(HOLDER_LIST_QUERIES):
        many = get(client, f"{API}/mandate-holders/")
    assert len(many) == len(few) + 60
    assert {holder["lead"] for holder in many if holder["slug"].startswith("body-")} == {1}

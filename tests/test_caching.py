"""The public pages' cache (recommendations/caching.py): what is kept, for whom, for how long,
and that a change is visible on the very next request."""

from html.parser import HTMLParser
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.test import Client
from django.utils.http import http_date

from recommendations import caching
from recommendations.editions import publish_edition
from recommendations.models import (
    AssessmentStatus,
    ChangeSource,
    DataVersion,
    ImplementationStatus,
    Recommendation,
    Topic,
)
from recommendations.reference import load_reference_data
from recommendations.services import Update, recommendation_update, recommendation_update_many
from tests.conftest import make_user

# The cache is on in every test here (tests/conftest.py). A change is seen only once it commits:
# tests that make one are transactional, and start from the reference data committed.
pytestmark = [pytest.mark.django_db, pytest.mark.public_cache]
COMMITS = pytest.mark.django_db(transaction=True)


@pytest.fixture
def committed_reference_data(transactional_db):
    """Transactional tests start from an empty database (pytest-django flushes it)."""
    load_reference_data()


# Every kind of anonymous public page and list (the list): dashboard, Matrix with and
# without filters, a recommendation, mandate-holders, editions, feeds, API lists, downloads.
PUBLIC = [
    "/",
    "/matrix/",
    "/matrix/?responsibility=court&sort=-number&per_page=25",
    "/matrix/?q=prosecutor",
    "/recommendations/R14/",
    "/mandate-holders/",
    "/mandate-holders/otp/",
    "/editions/",
    "/open-data/",
    "/feeds/changes.atom",
    "/matrix/feed.atom?cluster=I",
    "/api/v1/recommendations/?cluster=I",
    "/api/v1/mandate-holders/",
    "/matrix.csv?cluster=I",
]


def set_implementation(number: int, key: str, user=None) -> None:
    recommendation_update(
        Recommendation.objects.get(number=number),
        changes={"implementation_status": ImplementationStatus.objects.get(key=key)},
        user=user,
        reason="test",
        source=ChangeSource.ADMIN,
    )


def token() -> str:
    """The data version the next request reads."""
    return caching.current_version().token


@pytest.mark.parametrize("path", PUBLIC)
def test_an_anonymous_page_is_served_again_from_the_cache_with_one_query(
    path, django_assert_num_queries
):
    client = Client()
    first = client.get(path)
    assert first.status_code == 200
    assert first["X-Cache"] == "miss"
    with django_assert_num_queries(1):  # the data version
        again = client.get(path)
    assert again["X-Cache"] == "hit"
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["ETag"] == first["ETag"]
    assert "no-cache" in again["Cache-Control"]


def test_head_is_answered_from_what_get_kept(django_assert_num_queries):
    client = Client()
    client.get("/matrix/")
    with django_assert_num_queries(1):
        head = client.head("/matrix/")
    assert head.status_code == 200
    assert head["X-Cache"] == "hit"


def test_the_key_holds_the_query_string_the_language_and_the_host():
    client = Client()
    client.get("/matrix/")
    assert client.get("/matrix/?cluster=I")["X-Cache"] == "miss"
    french = client.get("/matrix/", headers={"accept-language": "fr"})
    assert french["X-Cache"] == "miss"
    assert "Recommandation" in french.content.decode()
    assert client.get("/matrix/", headers={"accept-language": "fr"})["X-Cache"] == "hit"
    english = client.get("/matrix/")
    assert english["X-Cache"] == "hit"
    assert "Recommandation" not in english.content.decode()
    # The language cookie chooses as Accept-Language does.
    client.cookies["django_language"] = "fr"
    assert "Recommandation" in client.get("/matrix/").content.decode()
    assert client.get("/matrix/", HTTP_HOST="localhost")["X-Cache"] == "miss"


def test_parameters_no_page_reads_share_the_pages_entry():
    client = Client()
    assert client.get("/matrix/?cluster=I&sort=-number")["X-Cache"] == "miss"
    for same in [
        "/matrix/?sort=-number&cluster=I",  # another order
        "/matrix/?q=&cluster=I&changed_since=&sort=-number&page=1",  # the form's empty fields
        "/matrix/?cluster=I&sort=-number&utm_source=newsletter",  # a tracking tag
        "/matrix/?cluster=I&sort=-number&x1=1&x2=2",  # junk
        "/matrix/?cluster=I&sort=-number&Cluster=II",  # a name no page reads
    ]:
        response = client.get(same)
        assert (response.status_code, response["X-Cache"]) == (200, "hit"), same
    for other in ["/matrix/?cluster=I&sort=number", "/matrix/?cluster=I&sort=-number&page=2"]:
        assert client.get(other)["X-Cache"] == "miss", other


def test_a_page_rendered_for_junk_parameters_is_never_kept():
    """Its links may repeat them: the same page without them is kept, and serves them next."""
    client = Client()
    first = client.get("/matrix/?cluster=II&per_page=25&junk=1")
    assert (first.status_code, first["X-Cache"]) == (200, "miss")
    assert client.get("/matrix/?cluster=II&per_page=25&junk=1")["X-Cache"] == "miss"
    clean = client.get("/matrix/?cluster=II&per_page=25")
    assert clean["X-Cache"] == "miss"
    assert "junk" not in clean.content.decode()
    again = client.get("/matrix/?cluster=II&per_page=25&junk=2")
    assert again["X-Cache"] == "hit"
    assert again.content == clean.content


def test_many_junk_addresses_add_nothing_to_the_cache():
    from django.core.cache import cache

    client = Client()
    client.get("/matrix/")
    before = cache.size_in_bytes
    for number in range(300):
        assert client.get(f"/matrix/?x{number}={number}")["X-Cache"] == "hit"
    assert cache.size_in_bytes == before


def test_a_parameter_given_twice_names_another_page_than_given_once():
    """A view reads the last value: ``?page=2&page=1`` is page 1, and must not be kept as
    page 2 (nor ``?q=x&q=`` as the search for x)."""
    client = Client()
    first = client.get("/matrix/?per_page=25&page=2&page=1")
    assert '<a href="/recommendations/R1/">' in first.content.decode()
    second = client.get("/matrix/?per_page=25&page=2")
    assert second["X-Cache"] == "miss"
    assert '<a href="/recommendations/R26/">' in second.content.decode()
    client.get("/matrix/?q=prosecutor&q=")
    assert client.get("/matrix/?q=prosecutor")["X-Cache"] == "miss"


def test_an_empty_page_is_refused_by_the_api_even_when_the_list_is_kept():
    client = Client()
    assert client.get("/api/v1/recommendations/")["X-Cache"] == "miss"
    assert client.get("/api/v1/recommendations/?page=").status_code == 400


def test_an_empty_value_that_means_something_names_another_page():
    """The API docs serve their script at their own address plus ``?script=``."""
    client = Client()
    assert client.get("/api/docs/")["Content-Type"].startswith("text/html")
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert client.get("/api/docs/")["Content-Type"].startswith("text/html")


def test_a_parameter_read_elsewhere_is_junk_on_the_matrix():
    client = Client()
    assert client.get("/matrix/?next=/x/")["X-Cache"] == "miss"
    assert client.get("/matrix/")["X-Cache"] == "miss"  # the page for ?next=/x/ was not kept
    for junk in ["next=/y/", "lang=fr", "format=json", "script="]:
        assert client.get(f"/matrix/?{junk}")["X-Cache"] == "hit", junk


def test_the_log_in_page_still_reads_where_to_go_next():
    page = Client().get("/accounts/login/?next=/reporting/").content.decode()
    assert 'value="/reporting/"' in page


class _Parameters(HTMLParser):
    """The names of the query parameters in a page's addresses (links, scripts, styles,
    images: any ``href`` or ``src`` on the site) and GET forms."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()
        self._get_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for address in (attrs.get("href") or "", attrs.get("src") or ""):
            on_the_site = address.startswith(("/", "?")) and not address.startswith(
                ("//", "/admin/", "/reporting/")
            )
            if on_the_site and "?" in address:
                self.names |= set(parse_qs(urlsplit(address).query, keep_blank_values=True))
        if tag == "form":
            self._get_form = (attrs.get("method") or "get").lower() == "get"
        elif tag in ("input", "select", "textarea") and self._get_form and attrs.get("name"):
            self.names.add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._get_form = False


def test_every_parameter_the_sites_links_forms_and_api_use_is_one_the_cache_keys_on():
    """A parameter missing from ``public_parameters`` would be left out of the key: a page
    with it would be served the page without it."""
    client = Client()
    found = set()
    for path in [
        *[p for p in PUBLIC if ".atom" not in p and ".csv" not in p and "/api/" not in p],
        "/matrix/?per_page=25&cluster=I",
        "/compare/?from=2021-01-01&to=live",
        "/accounts/login/",
        "/api/docs/",
    ]:
        parser = _Parameters()
        parser.feed(client.get(path).content.decode())
        found |= parser.names
    schema = client.get("/api/schema/?format=json").json()
    for operations in schema["paths"].values():
        for operation in operations.values():
            found |= {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    assert {"cluster", "page", "per_page", "as_of", "from", "page_size", "next", "script"} <= found
    assert found <= caching.public_parameters()


def test_the_per_process_cache_is_bounded_in_bytes():
    from iertracker.cache import BoundedLocMemCache

    bounded = BoundedLocMemCache(
        "bound-test", {"OPTIONS": {"MAX_ENTRIES": 1000, "MAX_BYTES": 100_000}}
    )
    bounded.clear()
    for number in range(50):
        bounded.set(f"page-{number}", b"x" * 10_000)
    assert bounded.size_in_bytes <= 100_000
    assert bounded.get("page-49") is not None  # the newest stay
    assert bounded.get("page-0") is None  # the least recently used went first
    bounded.get("page-41")  # read: now the most recently used
    bounded.set("page-50", b"x" * 10_000)
    assert bounded.get("page-41") is not None
    bounded.set("huge", b"x" * 200_000)  # larger than the bound: not kept, nothing pushed out
    assert bounded.get("huge") is None
    assert bounded.get("page-50") is not None
    bounded.delete("page-50")
    assert bounded.size_in_bytes <= 90_000
    bounded.clear()
    assert bounded.size_in_bytes == 0


@COMMITS
def test_an_anonymous_page_knows_the_demo_banner_without_a_query_once_per_version(
    committed_reference_data, django_assert_num_queries
):
    from recommendations.demo import demo_seed

    client = Client()
    assert client.get("/no-such-page/").status_code == 404  # never kept: rendered each time
    with django_assert_num_queries(1):  # the data version; the banner's answer is known
        missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert "Demonstration data, not official." not in missing.content.decode()
    demo_seed()  # a change, so a new version: asked again
    assert "Demonstration data, not official." in client.get("/no-such-page/").content.decode()


@COMMITS
def test_a_change_is_visible_on_the_very_next_request(committed_reference_data):
    client = Client()
    assert "In progress" not in client.get("/recommendations/R14/").content.decode()
    before = token()
    set_implementation(14, "in_progress")
    assert token() != before
    response = client.get("/recommendations/R14/")
    assert response["X-Cache"] == "miss"
    assert "In progress" in response.content.decode()
    matrix = client.get("/matrix/?implementation=in_progress")
    assert "Showing 1 of 384" in matrix.content.decode()


@COMMITS
def test_writes_that_change_nothing_shown_leave_the_version(committed_reference_data, dora):
    before = token()
    Client().post("/accounts/login/", {"username": "dora", "password": "wrong"})  # axes row
    logged_in = Client()
    logged_in.force_login(dora)  # a session row, the last login
    assert token() == before


@COMMITS
def test_the_status_services_bulk_path_replaces_the_version(committed_reference_data):
    """It writes with bulk_update and bulk_create, which send no signal."""
    before = token()
    changed = recommendation_update_many(
        [
            Update(pk, {"public_remarks": "bulk"}, "test")
            for pk in Recommendation.objects.filter(number__lte=3).values_list("pk", flat=True)
        ],
        user=None,
        source=ChangeSource.IMPORT,
    )
    assert len(changed) == 3
    assert token() != before


@COMMITS
def test_publishing_an_edition_is_a_change(committed_reference_data, secretariat_user):
    client = Client()
    assert "asp24" not in client.get("/editions/").content.decode()
    publish_edition(title="Matrix as of ASP24", user=secretariat_user, slug="asp24")
    response = client.get("/editions/")
    assert response["X-Cache"] == "miss"
    assert "/editions/asp24/" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/editions/asp24/?cluster=I", "/editions/asp24/progress/", "/compare/?from=asp24&to=live"],
)
def test_an_editions_pages_are_kept_too(secretariat_user, path, django_assert_num_queries):
    publish_edition(title="Matrix as of ASP24", user=secretariat_user, slug="asp24")
    client = Client()
    assert client.get(path)["X-Cache"] == "miss"
    with django_assert_num_queries(1):
        assert client.get(path)["X-Cache"] == "hit"


def test_migrate_replaces_the_version():
    before = token()
    call_command("migrate", verbosity=0)
    assert token() != before


#
# A shared cache (Redis): the version is read from it, a kept page needs no database
#


@pytest.fixture
def redis_cache(settings):
    """The real Redis of this machine (CI makes sure it runs), emptied: database 15 for the
    tests on PostgreSQL, 14 on SQLite, since CI runs both at once."""
    number = 15 if connection.vendor == "postgresql" else 14
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:6379/{number}",
        }
    }
    settings.PUBLIC_CACHE_SHARED = True
    caching.cache.clear()
    yield
    caching.cache.clear()


@pytest.mark.parametrize("path", ["/", "/matrix/?cluster=I", "/api/v1/recommendations/R14/"])
@COMMITS
def test_with_redis_a_kept_page_takes_no_query_and_a_change_shows_at_once(
    committed_reference_data, redis_cache, path, django_assert_num_queries
):
    client = Client()
    assert client.get(path)["X-Cache"] == "miss"
    with django_assert_num_queries(0):
        again = client.get(path)
    assert again["X-Cache"] == "hit"
    set_implementation(14, "in_progress")
    changed = client.get(path)
    assert changed["X-Cache"] == "miss"
    assert caching.cache.get(caching.VERSION_KEY).token == DataVersion.objects.get(pk=1).token


def test_with_redis_the_version_copy_is_made_again_from_the_row(redis_cache):
    Client().get("/")
    caching.cache.delete(caching.VERSION_KEY)
    assert Client().get("/")["X-Cache"] == "hit"  # the same token, read again from the row
    assert caching.cache.get(caching.VERSION_KEY).token == DataVersion.objects.get(pk=1).token


def test_a_cache_that_does_not_answer_means_pages_rendered_not_errors(monkeypatch, settings):
    settings.PUBLIC_CACHE_SHARED = True

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    for method in ("get", "set", "add"):
        monkeypatch.setattr(caching.cache, method, down)
    client = Client()
    for _ in range(2):
        response = client.get("/recommendations/R14/")
        assert response.status_code == 200
        assert response["X-Cache"] == "miss"
    assert "R14" in response.content.decode()


#
# Conditional requests
#


def test_an_etag_that_matches_gets_304_with_one_query(django_assert_num_queries):
    client = Client()
    first = client.get("/recommendations/R14/")
    with django_assert_num_queries(1):
        again = client.get("/recommendations/R14/", headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


@COMMITS
def test_if_modified_since_gets_304_until_the_data_changes(committed_reference_data):
    client = Client()
    first = client.get("/")
    modified = first["Last-Modified"]
    assert modified == http_date(DataVersion.objects.get(pk=1).changed_at.timestamp())
    assert client.get("/", headers={"if-modified-since": modified}).status_code == 304
    set_implementation(14, "in_progress")
    changed = client.get("/", headers={"if-modified-since": "Thu, 01 Jan 1970 00:00:01 GMT"})
    assert changed.status_code == 200


@COMMITS
def test_an_old_etag_gets_the_new_page_after_a_change(committed_reference_data):
    client = Client()
    first = client.get("/recommendations/R14/")
    set_implementation(14, "in_progress")
    again = client.get("/recommendations/R14/", headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]


def test_the_first_request_with_a_matching_etag_gets_304_too():
    """The page was evicted (or rendered by another server): the ETag still matches."""
    client = Client()
    etag = client.get("/matrix/")["ETag"]
    caching.cache.clear()
    response = client.get("/matrix/", headers={"if-none-match": etag})
    assert response.status_code == 304
    assert response["X-Cache"] == "miss"


#
# What is never kept
#


def test_a_signed_in_person_is_never_served_a_kept_page(dora):
    Client().get("/matrix/")  # kept for anonymous visitors
    client = Client()
    client.force_login(dora)
    response = client.get("/matrix/")
    assert "X-Cache" not in response
    assert "Log out" in response.content.decode()
    assert "ETag" not in response


def test_a_page_that_sets_a_cookie_is_not_kept():
    client = Client()
    login = client.get("/accounts/login/")  # a CSRF token, so a cookie
    assert login.status_code == 200
    assert "X-Cache" not in login
    assert "X-Cache" not in Client().get("/accounts/login/")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/recommendations/R999/", 404),
        ("/reporting/", 302),
        ("/admin/", 302),
        ("/recommendations/r14/", 301),
    ],
)
def test_only_successful_pages_are_kept(path, status):
    client = Client()
    assert client.get(path).status_code == status
    response = client.get(path)
    assert response.status_code == status
    assert "X-Cache" not in response


def test_a_post_is_never_answered_from_the_cache():
    client = Client()
    client.get("/matrix/")
    assert client.post("/matrix/").status_code == 405


def test_the_secretariats_download_with_internal_columns_is_never_kept(secretariat_client):
    response = secretariat_client.get("/matrix.csv")
    assert "no-store" in response["Cache-Control"]
    assert "X-Cache" not in response
    public = Client().get("/matrix.csv")
    assert public["X-Cache"] == "miss"
    assert public.content != response.content


def test_a_page_is_kept_public_cache_seconds_at_most(settings, monkeypatch):
    settings.PUBLIC_CACHE_SECONDS = 42
    kept = []
    original = caching.cache.set

    def spy(key, value, timeout):
        kept.append((key, timeout))
        return original(key, value, timeout)

    monkeypatch.setattr(caching.cache, "set", spy)
    Client().get("/")
    assert [timeout for key, timeout in kept if key.startswith("page:")] == [42]


def test_public_cache_seconds_0_turns_the_cache_off(settings):
    settings.PUBLIC_CACHE_SECONDS = 0
    client = Client()
    client.get("/")
    assert "X-Cache" not in client.get("/")


def test_while_the_database_does_not_answer_kept_pages_are_served_and_others_get_503(
    monkeypatch,
):
    client = Client(raise_request_exception=False)
    kept = client.get("/recommendations/R14/")

    def refused(*args):
        raise OperationalError("connection refused")

    monkeypatch.setattr(caching, "current_version", refused)
    again = client.get("/recommendations/R14/")
    assert again.status_code == 200
    assert again.content == kept.content
    assert again["X-Cache"] == "hit"
    monkeypatch.setattr("recommendations.views.Vocabulary", mock.Mock(side_effect=refused))
    other = client.get("/")
    assert other.status_code == 503
    assert other["Retry-After"] == "5"
    assert "The database is not answering" in other.content.decode()
    assert "X-Cache" not in other


def test_any_other_error_is_the_500_page(monkeypatch):
    monkeypatch.setattr("recommendations.views.Vocabulary", mock.Mock(side_effect=KeyError))
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "Server error" in response.content.decode()


def test_an_unknown_host_is_refused_even_when_the_page_is_kept():
    client = Client()
    assert client.get("/matrix/")["X-Cache"] == "miss"  # kept for testserver
    response = client.get("/matrix/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "X-Cache" not in response


def test_the_language_switcher_needs_no_csrf_token():
    """No page may carry a CSRF token for anonymous visitors (it would be a cookie); the switch
    only sets the language cookie."""
    page = Client().get("/").content.decode()
    assert "csrfmiddlewaretoken" not in page
    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/matrix/"})
    assert response.status_code == 302
    assert response["Location"] == "/matrix/"
    assert client.cookies["django_language"].value == "fr"
    offsite = client.post("/i18n/setlang/", {"language": "fr", "next": "https://evil.example/"})
    assert offsite["Location"] == "/"


#
# The real path: changes committed (or rolled back) by transactions
#


@COMMITS
def test_a_committed_change_replaces_the_version_once_when_it_commits(committed_reference_data):
    client = Client()
    client.get("/recommendations/R14/")
    before = token()
    with transaction.atomic():
        set_implementation(14, "in_progress")
        set_implementation(15, "in_progress")
        assert token() == before  # not yet committed: other connections still see the old
    after = token()
    assert after != before
    response = client.get("/recommendations/R14/")
    assert response["X-Cache"] == "miss"
    assert "In progress" in response.content.decode()


@COMMITS
def test_a_rolled_back_change_leaves_the_version(committed_reference_data):
    client = Client()
    client.get("/")
    before = token()

    class Abandon(Exception):
        pass

    @transaction.atomic
    def abandoned_change():
        set_implementation(14, "in_progress")
        raise Abandon

    with pytest.raises(Abandon):
        abandoned_change()
    assert token() == before
    assert client.get("/")["X-Cache"] == "hit"


@COMMITS
def test_a_change_in_a_savepoint_rolled_back_is_not_counted_but_a_later_one_is(
    committed_reference_data,
):
    before = token()
    with transaction.atomic():
        try:
            with transaction.atomic():
                set_implementation(14, "in_progress")
                raise ValueError
        except ValueError:
            pass
        assert token() == before
        recommendation_update(
            Recommendation.objects.get(number=20),
            changes={"assessment_status": AssessmentStatus.objects.first()},
            user=make_user("zoe"),
            reason="test",
            source=ChangeSource.ADMIN,
        )
    assert token() != before


@COMMITS
def test_a_save_outside_a_transaction_replaces_the_version_at_once(committed_reference_data):
    before = token()
    topic = Topic.objects.first()
    topic.name = "Renamed"
    topic.save()
    assert token() != before


@COMMITS
def test_a_lost_version_row_is_made_again(committed_reference_data):
    DataVersion.objects.all().delete()
    response = Client().get("/")
    assert response.status_code == 200
    assert DataVersion.objects.count() == 1

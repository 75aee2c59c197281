"""The public pages' cache: what an anonymous visitor is shown, kept and served again until the
data changes.

* **The data version** (``DataVersion``, one row): a token that every committed change to what
  pages show replaces. ``changed()`` asks for it, once per transaction, when the transaction
  commits (at once in autocommit); a rolled-back change asks nothing. It is called for every
  save and delete of the app's models and of the accounts (``connect_receivers``, from
  apps.py: the back-office, the loaders, the workflow, editions), and by the writes that send
  no signal (the status service's bulk path). ``migrate`` and ``flush`` replace it too, so
  that a new release never serves pages an old one rendered.
* **The cache** (``PublicPageCacheMiddleware``): a GET or HEAD with no session cookie (an
  anonymous visitor) is looked up by its page (scheme, host, path and the canonical query
  string: only parameters some page reads, sorted, empty filters and ``page=1`` left out, so
  that junk parameters share one entry: ``canonical_query``), the language and the data version,
  in Django's cache (Redis when ``REDIS_URL`` is set, so every server shares it; it then holds
  a copy of the version too, and a kept page needs no database query; otherwise each
  process's memory, bounded in bytes: ``iertracker.cache``). ``X-Cache: hit`` or ``miss``
  says which. A page rendered for a parameter no page reads is never kept. A response is
  kept only if it is a 200 that sets no cookie, is not marked private or no-store, and is not
  a stream; so pages that carry a CSRF token (the log-in form), a message or anything
  personal are never kept.
  A change is therefore visible on the next request: its token is new, so no kept page matches.
* **While the database does not answer**, kept pages are still served (nothing can change
  meanwhile); anything else gets a 503 with ``Retry-After`` (``iertracker.health``).
* **Conditional requests:** kept pages carry an ``ETag`` (a hash of the content) and a
  ``Last-Modified`` (when the data last changed), and ``Cache-Control: no-cache`` so that
  browsers ask again each time; a matching ``If-None-Match`` or ``If-Modified-Since`` gets 304.

``PUBLIC_CACHE_SECONDS`` (default 300; 0 turns the cache off) bounds how long a page is kept
even if nothing changes: some pages say what today is (an update is due, "as of" a date).
"""

import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, urlencode

logger = logging.getLogger(__name__)

# A longer address is never served from the cache (the API answers it 414).
MAX_KEPT_ADDRESS = 4096  # api.MAX_URL_LENGTH

# This process's latest read of the data version: used while the database does not answer.
_last_known: "Version | None" = None


@dataclass(frozen=True)
class Version:
    token: str
    changed_at: datetime


# With a shared cache (Redis), the version is read from a copy kept there, so that a page
# served from the cache needs no database at all. The copy is replaced with the row, and read
# again from the database after VERSION_COPY_SECONDS in any case (should a replacement be lost).
VERSION_KEY = "data-version"
VERSION_COPY_SECONDS = 60


def call_cache(method: str, *args):
    """A call to the cache; None if it does not answer (the pages are then rendered)."""
    try:
        return getattr(cache, method)(*args)
    except Exception as error:  # e.g. Redis down: serve without the cache, never fail
        logger.warning("The cache does not answer: %s", error)
        return None


def _read_row() -> Version | None:
    """The row, by plain SQL: this runs before every anonymous page, the ORM costs more."""
    from recommendations.models import DataVersion

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT token, changed_at FROM {connection.ops.quote_name(DataVersion._meta.db_table)}"
            " WHERE id = 1"
        )
        row = cursor.fetchone()
    if row is None:
        return None
    token, changed_at = row
    convert = getattr(connection.ops, "convert_datetimefield_value", None)  # SQLite: text
    return Version(token, convert(changed_at, None, connection) if convert else changed_at)


def current_version() -> Version:
    if settings.PUBLIC_CACHE_SHARED:
        copy = call_cache("get", VERSION_KEY)
        if copy is not None:
            return copy
    version = _read_row() or bump()  # no row: a database made without the migration's row
    if settings.PUBLIC_CACHE_SHARED:
        call_cache("add", VERSION_KEY, version, VERSION_COPY_SECONDS)  # a newer one may be there
    return version


def bump() -> Version:
    """Replace the data version: every page kept until now is stale."""
    from recommendations.models import DataVersion

    version = Version(secrets.token_hex(8), timezone.now())
    fields = {"token": version.token, "changed_at": version.changed_at}
    if not DataVersion.objects.filter(pk=1).update(**fields):
        DataVersion.objects.update_or_create(pk=1, defaults=fields)
    if settings.PUBLIC_CACHE_SHARED:
        call_cache("set", VERSION_KEY, version, VERSION_COPY_SECONDS)
    return version


def _bump_default() -> None:
    try:
        bump()
    except DatabaseError as error:  # e.g. during the first migrate, before the table exists
        logger.warning("The data version could not be replaced: %s", error)


def changed(using: str = DEFAULT_DB_ALIAS) -> None:
    """What public pages show has changed: the data version is replaced when the transaction
    commits (at once outside one), once per transaction however many rows it writes.

    Called by the receivers below for every save and delete of a model pages show, and by the
    write paths that skip signals (``bulk_create``, ``bulk_update``, ``QuerySet.update``)."""
    if using != DEFAULT_DB_ALIAS:
        return
    db = connections[using]
    if not db.in_atomic_block:
        _bump_default()
    elif not any(func is _bump_default for _, func, _ in db.run_on_commit):
        # Once per transaction (a rolled-back savepoint takes its callback with it).
        db.on_commit(_bump_default)


# Rows no public page shows: the version itself, the audit log, the import's uploads and lock.
# An edition's rows are written only in bulk, by publishing it (the edition's own save is the
# change).
NOT_SHOWN = (
    "DataVersion",
    "AuditEntry",
    "SpreadsheetUpload",
    "ImportLock",
    "EditionRow",
    "EditionAssignment",
)


def _saved_or_deleted(sender, instance, using, update_fields=None, **kwargs) -> None:
    if (
        sender._meta.label == settings.AUTH_USER_MODEL
        and update_fields
        and set(update_fields) <= {"last_login"}
    ):
        return  # a login: what it writes shows nowhere
    changed(using)


def _m2m_changed(sender, action, using, **kwargs) -> None:
    if action.startswith("post_"):
        changed(using)


# Deleted in bulk only, by the status service (which saves the recommendation too): a delete
# receiver would make Django read every row before deleting it, one query more per batch.
DELETED_BY_THE_SERVICE = ("MandateAssignment",)


def connect_receivers(app_config) -> None:
    """Every model of ``app_config`` but ``NOT_SHOWN``, and the accounts (an author's name
    shows on the updates they publish), replace the version when saved or deleted."""
    from django.contrib.auth import get_user_model

    models = [m for m in app_config.get_models() if m.__name__ not in NOT_SHOWN]
    for model in [*models, get_user_model()]:
        uid = f"data-version:{model._meta.label}"
        post_save.connect(_saved_or_deleted, sender=model, dispatch_uid=f"{uid}:save")
        if model.__name__ not in DELETED_BY_THE_SERVICE:
            post_delete.connect(_saved_or_deleted, sender=model, dispatch_uid=f"{uid}:delete")
    for model in models:
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            m2m_changed.connect(
                _m2m_changed, sender=through, dispatch_uid=f"data-version:{through._meta.label}"
            )


def bump_after_migrate(sender, **kwargs) -> None:
    """``post_migrate`` (after ``migrate`` and ``flush``): a new release may render pages
    otherwise, and migrations and flushes write without signals."""
    if kwargs.get("using", DEFAULT_DB_ALIAS) == DEFAULT_DB_ALIAS:
        _bump_default()


#
# The middleware
#


# The query parameters a public page reads, besides the Matrix's filters: paging (a
# comparison pages its changed recommendations and its updates apart; the API refuses an empty
# page), the API's format, the log-in page's next address, the API schema's language, and the
# API docs' ``?script`` (their script, by the same address as their page).
READ_BY_PAGES = frozenset(
    {"page", "per_page", "page_size", "changed_page", "format", "next", "lang", "script"}
)


# ... and what is shown, for which an empty value is no value: as of a day, the two sides of
# a comparison (as for the filters: the Matrix's form sends every field).
EMPTY_IS_NONE = frozenset({"as_of", "from", "to"})


@functools.cache
def _parameters() -> tuple[frozenset[str], frozenset[str], dict[str, tuple[str, ...]]]:
    """What the key knows, read once per process: every parameter some page reads, those whose
    empty value is no value, and the paths under which some are read (they are junk elsewhere:
    ``/matrix/?next=...`` is the Matrix): the log-in pages' next address, the API's format, its
    schema's language and its docs' script."""
    from recommendations.filters import RecommendationFilterSet

    filters = frozenset(RecommendationFilterSet.base_filters)
    under = {
        "next": ("/accounts/", f"/{settings.ADMIN_URL}"),
        "format": ("/api/",),
        "lang": ("/api/",),
        "script": ("/api/",),
    }
    return filters | EMPTY_IS_NONE | READ_BY_PAGES, filters | EMPTY_IS_NONE, under


def public_parameters() -> frozenset[str]:
    """Every query parameter some public page reads: the FilterSet's (the Matrix, its
    downloads, feeds and the API filter with it), ``EMPTY_IS_NONE`` and ``READ_BY_PAGES``."""
    return _parameters()[0]


def canonical_query(request) -> tuple[str, bool]:
    """The query string as the page reads it, and whether the request gave nothing else.

    Parameters no page reads are left out (a tracking tag, junk), and so are an empty filter,
    date or side of a comparison, and ``page=1``, when given once; the others are sorted by
    name, each name's values in the order given. So ``?b=2&a=1``, ``?a=1&b=2&q=`` and
    ``?a=1&b=2&utm=x`` name the same page. A name given several times keeps all its values:
    a view that reads one reads the last (``?page=2&page=1`` is page 1, not page 2)."""
    known, empty_is_none, under = _parameters()
    kept, pure = [], True
    for name, values in request.GET.lists():
        if name not in known or (name in under and not request.path.startswith(under[name])):
            pure = False
        elif len(values) > 1:
            kept.extend((name, value) for value in values)
        elif not (
            (name in empty_is_none and values[0] == "") or (name, values[0]) == ("page", "1")
        ):
            kept.append((name, values[0]))
    kept.sort(key=lambda pair: pair[0])
    return urlencode(kept), pure


def _key(request, version: Version, language: str, query: str) -> str:
    page = f"{request.scheme}://{request.get_host()}{request.path}?{query}"
    url = hashlib.sha256(page.encode()).hexdigest()
    return f"page:{version.token}:{language}:{url}"


def _cacheable_request(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and len(request.get_full_path()) <= MAX_KEPT_ADDRESS
        and settings.PUBLIC_CACHE_SECONDS > 0
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def _keepable(request, response) -> bool:
    cache_control = response.get("Cache-Control", "")
    return (
        request.method == "GET"
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "private" not in cache_control
        and "no-store" not in cache_control
        and len(response.content) <= settings.PUBLIC_CACHE_MAX_BYTES
    )


def _conditional(request, response, etag: str, changed_at: datetime):
    """The response, or 304 (Not Modified) if the request's ETag or date still matches."""
    return get_conditional_response(
        request, etag=etag, last_modified=int(changed_at.timestamp()), response=response
    )


class PublicPageCacheMiddleware:
    """Serves anonymous visitors' pages from the cache (see the module's docstring).

    Placed before the session, locale, CSRF and message middleware, so that it sees the
    cookies they set and keeps no page that sets one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable_request(request):
            return self.get_response(request)
        global _last_known
        try:
            version = _last_known = current_version()
            fresh = True
        except DatabaseError:
            # The database does not answer (a restart, a failover): nothing can change until it
            # does, so the pages kept for the version last read are still right.
            if _last_known is None:
                raise
            version, fresh = _last_known, False
        if fresh:
            request.data_version = version  # what else the page knows by it (the demo banner)
        query, pure = canonical_query(request)
        key = _key(request, version, translation.get_language_from_request(request), query)
        kept = call_cache("get", key)
        if kept is not None:
            status, headers, content = kept
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response.headers[name] = value
            response = _conditional(request, response, response["ETag"], version.changed_at)
            response.headers["X-Cache"] = "hit"
            return response

        response = self.get_response(request)
        if not pure:
            # Rendered for parameters no page reads, it may repeat them in its links: served,
            # never kept (the same page without them is kept, and then serves them too).
            response.headers["X-Cache"] = "miss"
            return response
        if not fresh or not _keepable(request, response):
            return response
        etag = f'"{hashlib.md5(response.content, usedforsecurity=False).hexdigest()}"'
        response.headers["ETag"] = etag
        response.headers["Last-Modified"] = http_date(version.changed_at.timestamp())
        patch_cache_control(response, no_cache=True)
        call_cache(
            "set",
            key,
            (response.status_code, list(response.items()), response.content),
            settings.PUBLIC_CACHE_SECONDS,
        )
        response = _conditional(request, response, etag, version.changed_at)
        response.headers["X-Cache"] = "miss"
        return response

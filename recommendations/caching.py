"""The public pages' cache: what an anonymous visitor is shown, kept and served again until the
data changes.

* **The data version** (``DataVersion``, one row): a token that every committed change to the
  database replaces. A wrapper on every database connection watches the SQL it runs; a write
  to any table but the few below (sessions, login throttling, the audit log...) replaces the
  token when its transaction commits (at once, in autocommit). Bulk writes, the import, the
  loaders, management commands and the back-office are all caught, whatever path they take.
  ``migrate`` replaces it too, so that a new release never serves pages an old one rendered.
* **The cache** (``PublicPageCacheMiddleware``): a GET or HEAD with no session cookie (an
  anonymous visitor) is looked up by the full URL (scheme, host, path and query string), the
  language and the data version, in Django's cache (Redis when ``REDIS_URL`` is set, so every
  server shares it; it then holds a copy of the version too, and a kept page needs no database
  query; otherwise each process's memory, bounded in bytes: ``iertracker.cache``). ``X-Cache:
  hit`` or ``miss`` says which. A response is kept only if it is a 200 that sets no cookie, is
  not marked private or no-store, and is not a stream; so pages that carry a CSRF token (the
  log-in form), a message or anything personal are never kept.
  A change is therefore visible on the next request: its token is new, so no kept page matches.
* **While the database does not answer**, kept pages are still served (nothing can change
  meanwhile); anything else gets a 503 with ``Retry-After`` (``iertracker.health``).
* **Conditional requests:** kept pages carry an ``ETag`` (a hash of the content) and a
  ``Last-Modified`` (when the data last changed), and ``Cache-Control: no-cache`` so that
  browsers ask again each time; a matching ``If-None-Match`` or ``If-Modified-Since`` gets 304.

``PUBLIC_CACHE_SECONDS`` (default 300; 0 turns the cache off) bounds how long a page is kept
even if nothing changes: some pages say what today is (an update is due, "as of" a date).
"""

import hashlib
import logging
import re
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

logger = logging.getLogger(__name__)

# Writes to these tables change nothing a public page shows; nor does a login's own write
# (the session, login throttling, the audit log, two-step verification devices).
UNWATCHED_TABLES = (
    "recommendations_dataversion",
    "django_session",
    "axes_",
    "recommendations_auditentry",
    "otp_",
)
_LAST_LOGIN = re.compile(r'^\s*UPDATE\s+"auth_user"\s+SET\s+"last_login"\s*=\s*%s\s+WHERE', re.I)
_WRITE = re.compile(
    r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO|TRUNCATE(?:\s+TABLE)?)"
    r"\s+[\"`]?([\w.]+)",
    re.IGNORECASE,
)
# Set by tests/conftest.py: a test's transaction never commits, so there a change marks the
# token to be replaced inside it, before the next read (transactional tests keep the real path).
BUMP_INSIDE_TRANSACTIONS = False

# A longer address is never served from the cache (the API answers it 414).
MAX_KEPT_ADDRESS = 4096  # api.MAX_URL_LENGTH

_local = threading.local()
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
    if getattr(_local, "pending", False):  # tests only (BUMP_INSIDE_TRANSACTIONS)
        _local.pending = False
        return bump()
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


@contextmanager
def not_a_change():
    """Writes made inside are caches of what already is (the Matrix as of a past day): they
    leave the data version alone."""
    previous = getattr(_local, "quiet", False)
    _local.quiet = True
    try:
        yield
    finally:
        _local.quiet = previous


def _is_watched_write(sql: str) -> bool:
    match = _WRITE.match(sql)
    return (
        bool(match)
        and not match.group(1).lower().startswith(UNWATCHED_TABLES)
        and not _LAST_LOGIN.match(sql)
    )


def _changed(db) -> None:
    if getattr(_local, "quiet", False):
        return
    if not db.in_atomic_block:
        _bump_default()  # autocommit: the statement is already committed
    elif BUMP_INSIDE_TRANSACTIONS:
        _local.pending = True
    elif not any(func is _bump_default for _, func, _ in db.run_on_commit):
        # Once per transaction (a rolled-back savepoint takes its callback with it).
        db.on_commit(_bump_default)


def watch_writes(execute, sql, params, many, context):
    """A database execute wrapper (installed on every connection, see apps.py)."""
    result = execute(sql, params, many, context)
    if context["connection"].alias == "default" and _is_watched_write(sql):
        _changed(context["connection"])
    return result


def install_watcher(sender, connection, **kwargs) -> None:
    """``connection_created``: watch this connection's writes."""
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


def quiet_while_migrating(sender, **kwargs) -> None:
    """``pre_migrate``: the version's table may not exist yet; ``post_migrate`` replaces it."""
    _local.quiet = True


def bump_after_migrate(sender, **kwargs) -> None:
    """``post_migrate`` (after ``migrate`` and ``flush``): a new release may render pages
    otherwise."""
    _local.quiet = False
    if kwargs.get("using", "default") == "default":
        _bump_default()


#
# The middleware
#


def _key(request, version: Version, language: str) -> str:
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
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
        key = _key(request, version, translation.get_language_from_request(request))
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

"""Personas and shared set-up.

The reference data is loaded once into the test database; each test runs in a transaction
that is rolled back, so every test starts from exactly the reference data.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import translation

from recommendations.models import FocalPoint, MandateAssignment, MandateHolder, Recommendation
from recommendations.reference import load_reference_data
from recommendations.roles import FOCAL_POINT, SECRETARIAT
from recommendations.services import Assignment, recommendation_update

# With the public pages' cache on, an anonymous visitor's GET first reads the data version, its
# key (recommendations/caching.py; a page served from the cache takes this one query only:
# tests/test_caching.py). Query counts elsewhere are of the page itself, the cache off.
DATA_VERSION = 1


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_reference_data()


@pytest.fixture(autouse=True)
def _english_to_start_with():
    """A request in French leaves French active in the thread: each test starts in English."""
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _empty_cache():
    """The API's throttle counts live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _public_cache_only_where_changes_commit(request, settings):
    """A test's transaction is rolled back, never committed, so a change made in it never
    replaces the data version (recommendations/caching.py: on commit) and the public pages'
    cache would serve the page from before. So the cache is off in such tests, unless marked
    ``public_cache`` (they change nothing, or test exactly that); transactional tests commit,
    and keep it on like production."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker and marker.kwargs.get("transaction")
    if not transactional and not request.node.get_closest_marker("public_cache"):
        settings.PUBLIC_CACHE_SECONDS = 0


def authenticator_code(device) -> str:
    """The code an authenticator app shows for ``device`` (a TOTPDevice): the current step's,
    or the next one's if the current one was used already (django-otp refuses a replay and
    accepts one step ahead)."""
    import time

    from django_otp.oath import totp

    device.refresh_from_db()
    now = int((time.time() - device.t0) // device.step)
    drift = max(0, device.last_t + 1 - now)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}"


@pytest.fixture(autouse=True)
def _force_login_gives_the_second_factor_too(monkeypatch):
    """``Client.force_login`` skips the password; for an account that needs two-step
    verification (iertracker/mfa.py) it skips the code too, as if the person had given it.
    tests/test_mfa.py signs in the real way, with the password and then the code."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from iertracker import mfa

    real = Client.force_login

    def force_login(self, user, backend=None):
        real(self, user, backend)
        if mfa.required_for(user):
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="tests", defaults={"confirmed": True}
            )
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _fast_and_plain(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def make_user(username: str, *, groups=(), holders=(), **flags):
    flags.setdefault("email", f"{username}@example.org")
    user = get_user_model().objects.create_user(username=username, password="pw", **flags)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    for slug in holders:
        FocalPoint.objects.create(user=user, mandate_holder=MandateHolder.objects.get(slug=slug))
    return user


def assign(number: int, slug: str, role=MandateAssignment.Role.LEAD, *, also=()):
    """Record ``slug`` (and ``also``) as owners of R<number>, through the status service."""
    holders = [Assignment(MandateHolder.objects.get(slug=slug), role)]
    holders += [
        Assignment(MandateHolder.objects.get(slug=s), MandateAssignment.Role.CONTRIBUTING)
        for s in also
    ]
    recommendation_update(
        Recommendation.objects.get(number=number),
        changes={"assignments": holders},
        user=None,
        reason="test set-up",
        source="admin",
    )


@pytest.fixture
def secretariat_user(db):
    """Alice, ASP Secretariat staff: the back-office persona."""
    return make_user("alice", is_staff=True, groups=[SECRETARIAT])


@pytest.fixture
def secretariat_client(client, secretariat_user):
    client.force_login(secretariat_user)
    return client


@pytest.fixture
def outsider_client(client, db):
    """Charlie, logged in but neither staff nor in any group."""
    client.force_login(make_user("charlie"))
    return client


@pytest.fixture
def staff_without_group_client(client, db):
    """Bob, staff flag set but no group: reaches the admin index and nothing else."""
    client.force_login(make_user("bob", is_staff=True))
    return client


@pytest.fixture
def dora(db):
    """Dora, focal point of the Office of the Prosecutor, which leads R14 and R15."""
    assign(14, "otp")
    assign(15, "otp", also=["registry"])
    return make_user(
        "dora", first_name="Dora", last_name="Maar", groups=[FOCAL_POINT], holders=["otp"]
    )


@pytest.fixture
def erik(db):
    """Erik, focal point of the Registry, which leads R20 and contributes to R15."""
    assign(20, "registry")
    return make_user("erik", groups=[FOCAL_POINT], holders=["registry"])


@pytest.fixture
def rec(db):
    """Fetch a recommendation by number: rec(14)."""
    return lambda number: Recommendation.objects.get(number=number)

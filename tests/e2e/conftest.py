"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

* ``browser_type_launch_args`` points pytest-playwright at ``/usr/bin/chromium`` (``playwright
  install`` is neither needed nor possible: no network).
* Without Chromium the browser tests are skipped with a reason, unless ``REQUIRE_BROWSER=1``
  (CI sets it): then each of them fails with a message saying what to install.
* Playwright's sync API keeps an asyncio event loop running in the test thread for as long as the
  session-scoped ``playwright`` fixture lives, and Django refuses ORM calls from a thread with a
  running loop (``SynchronousOnlyOperation``). ``DJANGO_ALLOW_ASYNC_UNSAFE`` is therefore set
  from the first browser test to the end of the session, and the browser tests are moved to the
  end of the run so that no other test ever runs with it set.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
E2E_DIR = Path(__file__).resolve().parent
MISSING = (
    f"Chromium is not installed at {CHROMIUM}: the browser tests (tests/e2e) need it. "
    "Install it with `apt-get install -y chromium` (Debian/Ubuntu)."
)


def browser_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER", "") not in ("", "0")


def _is_e2e(item: pytest.Item) -> bool:
    return E2E_DIR in Path(item.path).resolve().parents


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Run the browser tests last; skip them (with the reason) when Chromium is absent.

    After pytest-django's own ordering (``trylast``): their flush empties the database, so no
    other test may follow them, whatever pytest-django thinks of its fixtures.
    """
    e2e = [item for item in items if _is_e2e(item)]
    if not e2e:
        return
    items[:] = [item for item in items if not _is_e2e(item)] + e2e
    if not CHROMIUM.exists() and not browser_required():
        skip = pytest.mark.skip(reason=f"{MISSING} Set REQUIRE_BROWSER=1 to fail instead.")
        for item in e2e:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        # Reached only with REQUIRE_BROWSER set (otherwise the tests were skipped at collection).
        pytest.fail(f"{MISSING} REQUIRE_BROWSER is set, so the browser tests may not be skipped.")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, started only once the test database exists.

    Session-scoped fixtures are set up before function-scoped ones, so when the browser tests run
    on their own the server would start before the test database is created. It would then not
    share the in-memory SQLite connection with its request threads: each thread would open its
    own connection, which is never closed (``ResourceWarning``, an error here).
    """
    return live_server


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_calls_beside_playwright_loop():
    """Set ``DJANGO_ALLOW_ASYNC_UNSAFE`` for the browser tests only (see the module docstring).

    Session-scoped on purpose: the database flush of a transactional test runs after its
    function-scoped fixtures are torn down, while Playwright's loop is still running.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="session")
def base_url(pytestconfig):
    """Replaces pytest-playwright's fallback ``base_url``, a fixture defined as an instance method,
    which pytest 9.2 deprecates (``PytestRemovedIn10Warning``, an error under this project's
    ``filterwarnings``). The tests use ``live_server.url``; ``--base-url`` still works."""
    return pytestconfig.getoption("--base-url", None) or None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """An English-speaking desktop browser, whatever the machine's locale."""
    return {**browser_context_args, "locale": "en-GB", "viewport": {"width": 1280, "height": 900}}

"""The production configuration on this machine, for the load, fault and memory benchmarks.

``prepare_database()`` makes a throwaway PostgreSQL database (``iertracker_bench``, dropped and
made again each run), migrates it and loads the reference and demonstration data and the three
local accounts. ``Server`` starts gunicorn on it exactly as ``make serve`` does (DEBUG off,
the hashed and compressed static files, the access log), plus ``/bench-trivial/`` (``floor_wsgi``):
a view that returns "ok" through the same middleware, the floor the pages are compared with.

Not a benchmark by itself: ``load.py``, ``fault.py`` and ``memory.py`` import it.
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
BENCH_DATABASE = "iertracker_bench"
DEFAULT_URL = f"postgres://iertracker:iertracker@127.0.0.1:5432/{BENCH_DATABASE}"
SECRET_KEY = secrets.token_urlsafe(50)
PASSWORD = "ier-local-bench"  # the local accounts' password in the bench database


def say(*parts) -> None:
    print(*parts, flush=True)


def psql_admin(sql: str) -> str:
    """Run SQL as PostgreSQL's superuser (this machine's root may run as ``postgres``)."""
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", "psql", "-v", "ON_ERROR_STOP=1", "-qtAc", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def ensure_postgresql() -> None:
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0:
        return
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", cluster_version(), "main", "start"],
        check=True,
    )
    wait_for_postgresql()


def wait_for_postgresql(timeout: float = 60) -> float:
    """Seconds until PostgreSQL accepts connections."""
    start = time.monotonic()
    while subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode != 0:
        if time.monotonic() - start > timeout:
            raise SystemExit("PostgreSQL does not answer on 127.0.0.1:5432")
        time.sleep(0.05)
    return time.monotonic() - start


def cluster_version() -> str:
    return subprocess.run(
        ["pg_lsclusters", "-h"], capture_output=True, text=True, check=True
    ).stdout.split()[0]


def prepare_database(url: str = DEFAULT_URL) -> str:
    """A fresh bench database with the reference and demonstration data and local accounts."""
    if url == DEFAULT_URL:
        ensure_postgresql()
        if "1" not in psql_admin("SELECT 1 FROM pg_roles WHERE rolname = 'iertracker'"):
            psql_admin("CREATE ROLE iertracker LOGIN PASSWORD 'iertracker' CREATEDB")
        psql_admin(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        psql_admin(f"CREATE DATABASE {BENCH_DATABASE} OWNER iertracker")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "1",  # ensure_local_accounts runs only with DEBUG on
        "LOCAL_ACCOUNT_PASSWORD": PASSWORD,
    }
    say(f"Preparing {url}: migrate, reference data, demonstration data, local accounts")
    for command in (
        ["migrate", "--no-input", "-v", "0"],
        ["load_reference_data"],
        ["seed_demo"],
        ["ensure_local_accounts"],
    ):
        subprocess.run(
            [str(PYTHON), "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return url


def production_env(url: str, **extra: str) -> dict:
    """What ``make serve`` sets: the production configuration over plain HTTP on loopback."""
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": url,
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        **extra,
    }


def collectstatic(url: str) -> None:
    subprocess.run(
        [str(PYTHON), "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=production_env(url),
        check=True,
    )


def get(url: str, timeout: float = 10, headers: dict | None = None):
    """(status, headers, body) of a GET; (0, {}, error text) if nothing answered."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except (urllib.error.URLError, OSError) as error:
        return 0, {}, str(error).encode()


class Server:
    """gunicorn with the production configuration, started and stopped around a ``with``."""

    def __init__(self, url: str, *, port: int = 8011, workers: int = 2, **env: str):
        self.url = url
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.env = production_env(
            url, BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(workers), LOG_LEVEL="WARNING", **env
        )
        self.logdir = Path(tempfile.mkdtemp(prefix="iertracker-bench-"))
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self.log = log = open(self.logdir / "gunicorn.log", "wb")  # closed in __exit__
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", "iertracker/gunicorn.conf.py", "bench.floor_wsgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while get(f"{self.base}/readyz", timeout=2)[0] != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.log.flush()
                sys.stdout.write((self.logdir / "gunicorn.log").read_text()[-3000:])
                raise SystemExit("gunicorn did not start (its log is above)")
            time.sleep(0.1)
        return self

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        shutil.rmtree(self.logdir, ignore_errors=True)

    def workers(self) -> list[int]:
        """The worker processes' ids (the master's children)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def log_lines(self) -> list[str]:
        self.log.flush()
        return (self.logdir / "gunicorn.log").read_text(errors="replace").splitlines()


def rss_kib(pid: int) -> int:
    """A process's resident memory (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError(f"no VmRSS for process {pid}")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])

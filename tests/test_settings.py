"""The one settings module reads the environment and refuses unsafe combinations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**env):
    environ = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    environ.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import iertracker.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


def test_it_runs_with_nothing_set_on_sqlite():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3"]


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_database_url_switches_to_postgresql():
    result = load_settings(
        DEBUG="0", SECRET_KEY="x" * 50, DATABASE_URL="postgres://u:p@db:5432/ier"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.db.backends.postgresql"]


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_malformed_boolean_is_named_in_the_error(value):
    result = load_settings(DEBUG=value)
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr
    assert repr(value) in result.stderr

"""The one settings module reads the environment and refuses unsafe combinations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


SETTINGS_ENV = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "REDIS_URL"}
PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "k" * 20 + "-a-long-random-production-key-0123456789"}


def load_settings(code="print(s.DEBUG, s.DATABASES['default']['ENGINE'])", **env):
    environ = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", f"import iertracker.settings as s; {code}"],
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
        DEBUG="0",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="ier.example.org",
        DATABASE_URL="postgres://u:p@db:5432/ier",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.db.backends.postgresql"]


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_malformed_boolean_is_named_in_the_error(value):
    result = load_settings(DEBUG=value)
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr
    assert repr(value) in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PUBLIC_CACHE_SECONDS", "5m", "must be a whole number"),
        ("SESSION_COOKIE_AGE", "8h", "must be a whole number"),
        ("AXES_FAILURE_LIMIT", "0", "must be at least 1"),
        ("PUBLIC_CACHE_MAX_BYTES", "-1", "must be at least 0"),
    ],
)
def test_a_malformed_number_is_named_in_the_error(name, value, says):
    result = load_settings(**{name: value})
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: ")
    assert f"{name} {says}" in last_line
    assert repr(value) in last_line


def test_the_smtp_port_is_checked_too():
    result = load_settings(**PRODUCTION, ALLOWED_HOSTS="ier.example.org", EMAIL_PORT="25/tcp")
    assert "EMAIL_PORT must be a whole number (e.g. 300); got '25/tcp'" in result.stderr


def test_every_whole_number_setting_goes_through_the_typed_helper():
    """No bare int(os.environ...): a new setting read that way would crash with a ValueError."""
    for path in (ROOT / "iertracker").glob("*.py"):
        assert "int(os.environ" not in path.read_text(), path


def test_it_refuses_the_development_secret_key_when_debug_is_off():
    result = load_settings(
        DEBUG="0", SECRET_KEY="django-insecure-local-development-only", ALLOWED_HOSTS="a.org"
    )
    assert result.returncode != 0
    assert "SECRET_KEY is the development key" in result.stderr


def test_it_refuses_an_empty_allowed_hosts_when_debug_is_off():
    result = load_settings(**PRODUCTION)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must name the site's host names" in result.stderr


def test_production_defaults_are_secure():
    code = (
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS, s.LOG_FORMAT, s.MAILERS['default']['BACKEND'].split('.')[-2],"
        " s.DATABASES['default']['CONN_MAX_AGE'])"
    )
    result = load_settings(code, ALLOWED_HOSTS="ier.example.org", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "31536000", "json", "smtp", "60"]


def test_redis_url_selects_the_shared_cache():
    code = "print(s.CACHES['default']['BACKEND'], s.CACHES['default'].get('LOCATION'))"
    result = load_settings(code, REDIS_URL="redis://cache:6379/1")
    assert result.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://cache:6379/1",
    ]
    assert load_settings(code).stdout.split()[0].endswith("LocMemCache")


def test_check_deploy_reports_nothing_in_the_production_configuration():
    environ = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    environ.update(PRODUCTION, ALLOWED_HOSTS="ier.example.org")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_logs_are_one_json_object_per_line():
    import json
    import logging

    from iertracker.logs import JsonFormatter

    record = logging.LogRecord("ier", logging.ERROR, __file__, 1, "Broke on %s", ("R14",), None)
    record.status_code = 500
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "ERROR"
    assert entry["message"] == "Broke on R14"
    assert entry["status"] == 500
    assert entry["time"].endswith("+00:00")


def gunicorn_check(**env):
    environ = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    environ.update(env)
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--check-config",
            "-c",
            "iertracker/gunicorn.conf.py",
            "iertracker.wsgi",
        ],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("debug", [None, "1", "on"])
def test_gunicorn_refuses_to_start_with_debug_on(debug):
    result = gunicorn_check(**({"DEBUG": debug} if debug else {}))
    assert result.returncode != 0
    assert "gunicorn runs the production configuration: set DEBUG=0" in result.stderr


def test_gunicorn_starts_the_production_configuration():
    result = gunicorn_check(**PRODUCTION, ALLOWED_HOSTS="ier.example.org")
    assert result.returncode == 0, result.stderr

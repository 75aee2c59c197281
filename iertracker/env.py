"""Reading the settings from the environment: every value through a typed helper, so that a
wrong value stops ``manage.py`` (and gunicorn) with ImproperlyConfigured naming the variable,
never with a bare ValueError."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}"
    )


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envint(name: str, default, *, minimum: int = 0) -> int:
    """A whole number of at least ``minimum``: ``PUBLIC_CACHE_SECONDS=300``, not ``5m``."""
    value = os.environ.get(name)
    if value is None or not value.strip():  # set but empty: as if unset
        return int(default)
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number (e.g. 300); got {value!r}"
        ) from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value!r}")
    return number

"""Security headers, and templates that need no inline script or style (CSP)."""

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import make_user

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE), "an inline <script>"),
    (re.compile(r"<style\b", re.IGNORECASE), "a <style> element"),
    (re.compile(r"\sstyle=", re.IGNORECASE), "a style attribute"),
    (re.compile(r"\son[a-z]+=", re.IGNORECASE), "an event-handler attribute"),
]


@pytest.mark.parametrize("path", ["/", "/matrix/?cluster=I", "/recommendations/R14/", "/api/docs/"])
def test_pages_carry_the_security_headers(path):
    response = Client().get(path)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_template_needs_an_inline_script_or_style():
    found = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(TEMPLATES)}:{line}: {what}")
    assert found == []


def test_the_api_docs_page_uses_the_stylesheet_not_an_inline_style():
    page = Client().get("/api/docs/").content.decode()
    assert "<style" not in page
    assert "api-docs" in page


def test_password_guessing_is_locked_out(dora):
    client = Client()
    for _attempt in range(4):
        response = client.post("/accounts/login/", {"username": "dora", "password": "guess"})
        assert response.status_code == 200
    # The fifth failure locks the account from this address...
    response = client.post("/accounts/login/", {"username": "dora", "password": "guess"})
    assert response.status_code == 429
    # ...and even the right password is refused now, with a page that says why.
    response = client.post("/accounts/login/", {"username": "dora", "password": "pw"})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked.
    make_user("erin")
    other = client.post("/accounts/login/", {"username": "erin", "password": "pw"})
    assert other.status_code == 302


def test_the_admin_login_is_throttled_too(admin_user):
    client = Client()
    for _attempt in range(5):
        client.post("/admin/login/", {"username": "admin", "password": "guess"})
    response = client.post("/admin/login/", {"username": "admin", "password": "password"})
    assert response.status_code == 429


def test_passwords_need_twelve_characters(dora):
    client = Client()
    client.force_login(dora)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "pw", "new_password1": "Short-pw-1", "new_password2": "Short-pw-1"},
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()


def test_a_username_longer_than_any_column_is_a_failed_login():
    response = Client().post("/accounts/login/", {"username": "u" * 20_000, "password": "x"})
    assert response.status_code == 200


def test_a_comparison_with_a_nul_character_is_a_message():
    response = Client().get("/compare/?from=%00&to=%ff")
    assert response.status_code == 200
    assert "is neither a published edition, a date nor" in response.content.decode()

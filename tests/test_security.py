"""Security headers, and templates that need no inline script or style (CSP)."""

import re
from pathlib import Path

import pytest
from django.test import Client

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

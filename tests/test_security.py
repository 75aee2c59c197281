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


#
# Links: http and https only (the probe saved a source with a javascript: address, and the
# public page linked it; only the CSP stopped it)
#

HOSTILE_ADDRESSES = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
]


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES)
def test_a_source_url_of_another_scheme_is_refused_with_its_line(address, rec):
    from django.core.exceptions import ValidationError

    from recommendations.models import Source

    source = Source(
        recommendation=rec(14),
        fact=Source.Fact.TEXT,
        document="ICC-ASP/19/16",
        url=f"https://asp.icc-cpi.int/\n{address}",
    )
    with pytest.raises(ValidationError) as refused:
        source.full_clean()
    [message] = refused.value.message_dict["url"]
    assert message.startswith("Line 2 is not a web address (http:// or https://)")


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES)
def test_a_reference_source_line_naming_another_scheme_is_refused(address):
    from django.core.exceptions import ValidationError

    from recommendations.models import MandateHolder

    holder = MandateHolder.objects.get(slug="otp")
    holder.source_url = address
    with pytest.raises(ValidationError, match="not a web address"):
        holder.full_clean()
    # A document symbol or a web address is fine.
    holder.source_url = "ICC-ASP/23/Res.4 para. 7\nhttps://asp.icc-cpi.int/"
    holder.full_clean()


def test_every_link_in_the_reference_data_is_http_or_https():
    """The shipped fixtures pass the validators the models now carry."""
    from django.apps import apps

    from recommendations.models import validate_links, validate_web_urls

    checked = 0
    for model in apps.get_app_config("recommendations").get_models():
        fields = [
            f
            for f in model._meta.fields
            if any(v in (validate_links, validate_web_urls) for v in f.validators)
            and not model.__name__.startswith("Historical")
        ]
        for obj in model.objects.all() if fields else ():
            for field in fields:
                field.run_validators(getattr(obj, field.attname))
                checked += 1
    assert checked > 250  # every sourced row of the fixtures


def test_a_hostile_address_already_stored_is_never_linked(client, rec):
    """Rows written before the validators (or around them) are shown as text, not links."""
    from recommendations.models import MandateHolder, ProgressStatement, Source

    address = "javascript:alert(1)"
    Source.objects.filter(recommendation=rec(14)).update(url=address)
    MandateHolder.objects.filter(slug="otp").update(source_url=address)
    ProgressStatement.objects.update(source_url=address)
    pages = [
        client.get("/recommendations/R14/").content.decode(),
        client.get("/mandate-holders/otp/").content.decode(),
        client.get("/").content.decode(),
    ]
    assert Source.objects.filter(recommendation=rec(14)).exists()
    assert ProgressStatement.objects.exists()
    for page in pages:
        assert 'href="javascript' not in page.lower()
    assert "javascript:alert(1)" in pages[1]  # still shown, as text

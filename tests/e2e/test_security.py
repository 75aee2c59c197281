"""The Content-Security-Policy in a real browser: no page breaks it, the back-office and the
API docs included (their scripts and styles are files, never inline)."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from recommendations.reference import load_reference_data
from tests.e2e.two_step import give_the_code

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "/",
    "/matrix/?cluster=I",
    "/recommendations/R14/",
    "/mandate-holders/otp/",
    "/editions/",
    "/compare/?from=2020-01-01&to=live",
    "/open-data/",
    "/accounts/login/",
]
BACK_OFFICE = [
    "/admin/",
    "/admin/recommendations/recommendation/",
    "/admin/recommendations/recommendation/?q=R14",
    "/admin/recommendations/recommendation/import/",
    "/admin/auth/user/add/",
]


def watch(page: Page) -> list[str]:
    """Collects the browser's CSP reports (console errors "Refused to ...")."""
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    return refused


def test_no_page_breaks_the_content_security_policy(live_server, page: Page):
    load_reference_data()
    get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    refused = watch(page)
    for path in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator("#swagger-ui .info")).to_be_visible(timeout=15000)  # the script ran
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    give_the_code(page, "root")
    for path in BACK_OFFICE:
        assert page.goto(f"{live_server.url}{path}").status == 200, path
    # The change form's scripts (inlines, autocomplete) work under the policy.
    page.goto(f"{live_server.url}/admin/recommendations/recommendation/?q=R14")
    page.get_by_role("link", name="R14").first.click()
    expect(page.locator(".add-row a").first).to_be_visible()
    assert refused == []

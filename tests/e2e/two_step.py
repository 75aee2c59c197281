"""The second step of signing in, in the browser: the code an authenticator app would show."""

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.conftest import authenticator_code
from tests.e2e.test_public_pages import SCREENSHOTS


def give_the_code(page: Page, username: str) -> None:
    """On the two-step page the log-in led to: enrol (first sign-in) or give the code."""
    expect(page.get_by_label("Code")).to_be_visible()
    device = TOTPDevice.objects.filter(user__username=username).latest("pk")
    enrolling = not device.confirmed
    if enrolling:  # the page a new Secretariat account sees first: look at it
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "two-step-enrol.png", full_page=True)
    page.get_by_label("Code").fill(authenticator_code(device))
    page.locator("form.form-page button[type=submit], main form button[type=submit]").first.click()
    if enrolling:
        expect(page.locator("h1")).to_have_text("Your recovery codes")
        page.get_by_role("link", name="Continue").click()
    expect(page.get_by_label("Code")).to_have_count(0)

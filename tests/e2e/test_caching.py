"""The public pages' cache in a real browser: a visitor's kept page, then a change made in the
back-office by someone else, then the visitor's next visit shows it."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, expect

from recommendations.models import Recommendation
from recommendations.reference import load_reference_data
from tests.e2e.two_step import give_the_code

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_back_office_change_shows_on_the_visitors_next_request(live_server, browser: Browser):
    load_reference_data()
    get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    page_url = f"{live_server.url}/recommendations/R14/"

    visitor = browser.new_context(locale="en-GB").new_page()
    assert visitor.goto(page_url).headers["x-cache"] == "miss"
    again = visitor.goto(page_url)
    assert again.headers["x-cache"] == "hit"  # 200, or 304 if the browser revalidated
    expect(visitor.locator("main")).not_to_contain_text("In progress")
    assert not visitor.context.cookies()  # an anonymous visitor is given no cookie at all

    secretariat = browser.new_context(locale="en-GB").new_page()
    secretariat.goto(f"{live_server.url}/admin/login/")
    secretariat.get_by_label("Username").fill("root")
    secretariat.get_by_label("Password").fill("pw")
    secretariat.get_by_role("button", name="Log in").click()
    give_the_code(secretariat, "root")
    pk = Recommendation.objects.get(number=14).pk
    secretariat.goto(f"{live_server.url}/admin/recommendations/recommendation/{pk}/change/")
    secretariat.select_option("#id_implementation_status", label="In progress")
    secretariat.fill("#id_change_reason", "Reported by the Court's focal point")
    secretariat.locator('input[name="_save"]').click()
    expect(secretariat.locator(".messagelist")).to_contain_text("Recorded in the history")

    after = visitor.goto(page_url)
    assert after.status == 200
    assert after.headers["x-cache"] == "miss"
    expect(visitor.locator("main")).to_contain_text("In progress")
    expect(visitor.locator("main")).to_contain_text("Reported by the Court's focal point")

"""The language switcher on a phone: keyboard usable, back to the same page, and without JavaScript too."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import _page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def phone(chromium, site) -> Page:
    page = _page(chromium, site, permissions=["clipboard-read", "clipboard-write"])
    page.set_viewport_size({"width": 375, "height": 800})
    yield page
    page.context.close()


def _sign_in(page: Page) -> None:
    page.goto("/enterprise/")
    page.get_by_label("Email", exact=True).fill("admin@contoso.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_an_admin_switches_to_danish_with_the_keyboard_on_a_phone(phone, site, enterprise):
    _sign_in(phone)
    expect(phone).to_have_url(f"{site}/enterprise/contoso/")
    _fits(phone)

    switch = phone.get_by_role("button", name="Dansk")
    switch.focus()
    phone.keyboard.press("Enter")

    expect(phone).to_have_url(f"{site}/enterprise/contoso/")
    expect(phone.get_by_role("heading", name="Administrér brugere med SCIM")).to_be_visible()
    expect(phone.locator("html")).to_have_attribute("lang", "da")
    _fits(phone)
    copy = phone.get_by_role("button", name="Kopiér SCIM-endpointet")
    copy.click()
    expect(copy).to_have_text("Kopieret")

    phone.get_by_role("button", name="English").click()
    expect(phone.get_by_role("heading", name="Manage users with SCIM")).to_be_visible()


def test_the_switcher_works_without_javascript(page_without_js, site, db):
    page_without_js.goto("/accounts/login/?next=/enterprise/")

    page_without_js.get_by_role("button", name="Dansk").click()

    expect(page_without_js).to_have_url(f"{site}/accounts/login/?next=/enterprise/")
    expect(page_without_js.get_by_role("heading", name="Log på Plandisc")).to_be_visible()

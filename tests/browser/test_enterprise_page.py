"""The Enterprise page in a real browser: sign in, connect the identity provider, rotate, revoke, watch."""

import re
from http import HTTPStatus

import pytest
from playwright.sync_api import Page, expect

from enterprise.activity.models import ProvisioningEvent
from enterprise.activity.selectors import Outcome
from tests.browser.conftest import OUTPUT, scim_lookup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def _sign_in(page: Page) -> None:
    page.goto("/enterprise/")
    expect(page.get_by_role("heading", name="Sign in to Plandisc")).to_be_visible()
    page.get_by_label("Email", exact=True).fill("admin@contoso.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _hint(token: str) -> str:
    return f"pdscim_…{token[-4:]}"


def test_an_admin_connects_rotates_and_revokes_the_scim_token(page, site, enterprise):
    _sign_in(page)
    expect(page).to_have_url(f"{site}/enterprise/contoso/")
    expect(page.get_by_role("heading", name="Manage users with SCIM")).to_be_visible()
    endpoint = f"{site}/scim/v2/{enterprise.public_id}"
    expect(page.get_by_role("textbox", name="SCIM endpoint")).to_have_value(endpoint)
    copy_endpoint = page.get_by_role("button", name="Copy the SCIM endpoint")
    copy_endpoint.click()
    expect(copy_endpoint).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == endpoint

    # Generate: the token is shown once, can be copied, and opens the SCIM endpoint.
    page.get_by_role("button", name="Generate token").click()
    expect(page.get_by_text("Copy it now: you will not see it again.")).to_be_visible()
    first = page.get_by_role("textbox", name="New SCIM token").input_value()
    copy = page.get_by_role("button", name="Copy the new SCIM token")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == first
    assert scim_lookup(site, enterprise, first) == HTTPStatus.OK

    # A reload is a plain GET of the page: the token is masked from now on.
    expect(page).to_have_url(f"{site}/enterprise/contoso/#scim-token")
    page.reload()
    tokens = page.get_by_role("list", name="Live tokens").get_by_role("listitem")
    expect(tokens).to_have_count(1)
    expect(tokens.first).to_contain_text(_hint(first))
    expect(tokens.first).to_contain_text("In use")
    assert first not in page.content()
    expect(page.get_by_role("textbox", name="New SCIM token")).to_have_count(0)

    # Rotate: both tokens are live until the new one is first used.
    page.get_by_role("button", name="Rotate token").click()
    expect(page.get_by_text("Your previous token keeps working until this one is first used")).to_be_visible()
    second = page.get_by_role("textbox", name="New SCIM token").input_value()
    expect(page).to_have_url(f"{site}/enterprise/contoso/#scim-token")
    page.reload()
    expect(tokens).to_have_count(2)
    expect(tokens.nth(0)).to_contain_text(_hint(second))
    expect(tokens.nth(0)).to_contain_text("Waiting for first use")
    expect(tokens.nth(1)).to_contain_text(_hint(first))
    expect(tokens.nth(1)).to_contain_text("Live until")
    assert scim_lookup(site, enterprise, first) == HTTPStatus.OK
    assert scim_lookup(site, enterprise, second) == HTTPStatus.OK
    assert scim_lookup(site, enterprise, first) == HTTPStatus.UNAUTHORIZED
    page.reload()
    expect(tokens).to_have_count(1)
    expect(tokens.first).to_contain_text(_hint(second))

    # Revoke, behind a confirmation: the token stops at once.
    page.get_by_text("Revoke now…").click()
    expect(page.get_by_text("It is your only live token")).to_be_visible()
    page.get_by_role("button", name=f"Revoke {_hint(second)}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Token {_hint(second)} is revoked")
    assert scim_lookup(site, enterprise, second) == HTTPStatus.UNAUTHORIZED
    expect(page.get_by_role("button", name="Generate token")).to_be_visible()

    # Activity: five requests, two refused, in the chart and in the table.
    page.reload()
    expect(page.locator("#chart-desc")).to_have_text(
        "5 requests: 3 succeeded, 2 client errors, 0 server errors."
    )
    # One bar per hour, one block per outcome in it: the five requests may straddle the turn of an hour.
    blocks = {
        (event.created_at.replace(minute=0, second=0, microsecond=0), Outcome.of(event.status))
        for event in ProvisioningEvent.objects.filter(enterprise=enterprise)
    }
    assert {outcome for _, outcome in blocks} == {Outcome.SUCCESS, Outcome.CLIENT_ERROR}
    expect(page.locator("svg.chart-svg rect")).to_have_count(len(blocks))
    expect(page.locator("svg.chart-svg rect.client_error")).to_have_count(
        len({hour for hour, outcome in blocks if outcome == Outcome.CLIENT_ERROR})
    )
    rows = page.locator("table.activity tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("Client error")
    expect(page.locator("#health")).to_contain_text("No live SCIM token")
    page.get_by_role("button", name="Generate token").click()
    expect(page.get_by_text("Copy it now: you will not see it again.")).to_be_visible()
    expect(page).to_have_url(f"{site}/enterprise/contoso/#scim-token")
    page.reload()
    expect(page.locator("#health")).to_have_text(
        "2 requests failed in the last 24 hours: The bearer token is missing, revoked or not valid for this "
        "endpoint."
    )
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=OUTPUT / "enterprise-page.png", full_page=True)

    page.get_by_role("link", name="Errors only").click()
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text(
        "The bearer token is missing, revoked or not valid for this endpoint."
    )


def test_the_core_actions_work_from_the_keyboard_without_javascript(page_without_js, site, enterprise):
    page = page_without_js
    _sign_in(page)

    generate = page.get_by_role("button", name="Generate token")
    generate.focus()
    page.keyboard.press("Enter")
    token = page.get_by_role("textbox", name="New SCIM token").input_value()
    assert re.fullmatch(r"pdscim_[\w-]{43}", token)
    expect(page.get_by_role("button", name="Copy the new SCIM token")).to_be_hidden()
    assert scim_lookup(site, enterprise, token) == HTTPStatus.OK

    page.goto("/enterprise/contoso/")
    page.get_by_text("Turn provisioning off…").focus()
    page.keyboard.press("Enter")
    page.get_by_role("radio", name="Keep them active").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Turn provisioning off").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Provisioning is off")
    expect(page.locator("#health")).to_have_text(
        "Provisioning is off: requests from your identity provider are refused until you turn it on."
    )
    assert scim_lookup(site, enterprise, token) == HTTPStatus.FORBIDDEN

    page.get_by_role("button", name="Turn provisioning on").click()
    expect(page.get_by_role("status")).to_contain_text("Provisioning is on")
    assert scim_lookup(site, enterprise, token) == HTTPStatus.OK

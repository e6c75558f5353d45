"""The OAuth client secret on the Enterprise page in a real browser: choose the way in, create a secret, copy
what Entra's OAuth2 Client Credentials Grant asks for, and use it against the live token endpoint."""

import base64
import json
import urllib.request
from http import HTTPStatus

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OUTPUT, scim_lookup
from tests.browser.test_enterprise_page import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _access_token(token_endpoint: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        token_endpoint,
        data=b"grant_type=client_credentials&scope=scim",
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        return json.load(response)["access_token"]


def test_an_admin_sets_up_an_oauth_client_secret_for_entra(page, site, enterprise):
    _sign_in(page)
    oauth = page.locator("#scim-oauth")
    expect(oauth.get_by_role("button", name="Create a client secret")).to_be_hidden()
    page.get_by_text("OAuth client secret", exact=False).first.click()
    page.get_by_label("Expires after").select_option("2")
    oauth.get_by_role("button", name="Create a client secret").click()

    expect(page.get_by_text("Your new client secret. Copy it now")).to_be_visible()
    secret = page.get_by_role("textbox", name="Client Secret").input_value()
    copy = page.get_by_role("button", name="Copy the new client secret")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    token_endpoint = page.get_by_role("textbox", name="Token Endpoint").input_value()
    client_id = page.get_by_role("textbox", name="Client Identifier").input_value()
    assert token_endpoint == f"{site}/oauth/{enterprise.public_id}/token"
    page.screenshot(path=OUTPUT / "enterprise-page-oauth.png", full_page=True)

    access_token = _access_token(token_endpoint, client_id, secret)
    assert scim_lookup(site, enterprise, access_token) == HTTPStatus.OK

    # After a reload the secret is masked, and the OAuth way in stays open.
    page.reload()
    expect(page.locator("#scim-oauth")).to_have_attribute("open", "")
    assert secret not in page.content()
    expect(page.get_by_role("list", name="Live client secrets").get_by_role("listitem")).to_have_count(1)

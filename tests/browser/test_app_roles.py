"""
Entra's app roles in a real browser: SCIM assigns an app role, the person signs in through single sign-on and
sees their role; a Viewer never reaches the Enterprise page, an Admin app role does.
"""

from http import HTTPStatus

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OUTPUT
from tests.browser.test_sso import answer_as_entra
from tests.sso.conftest import CONTOSO_TENANT, Entra, connect, entra_user, make_signing_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLE_TYPE = "WindowsAzureActiveDirectoryRole"


def _provision(scim, user_name: str, role: str) -> None:
    body = entra_user(user_name)
    body["roles"] = [{"primary": True, "type": ROLE_TYPE, "value": role}]
    assert scim.post("/Users", body).status_code == HTTPStatus.CREATED


def _sign_in(page, entra, connection, user_name: str) -> None:
    page.context.clear_cookies()
    answer_as_entra(page, entra, connection, user_name)
    page.goto("/accounts/login/")
    page.get_by_label("Work email").fill(user_name)
    page.get_by_role("button", name="Continue with single sign-on").click()
    expect(page.get_by_role("heading", name="You are signed in to Plandisc")).to_be_visible()


def test_an_app_role_from_entra_decides_what_the_person_signed_in_may_do(
    page, site, enterprise, scim, tmp_path
):
    entra = Entra(CONTOSO_TENANT, make_signing_key(tmp_path))
    connection = connect(enterprise, entra, "contoso.example")
    _provision(scim, "vic@contoso.example", "Viewer")
    _provision(scim, "ada@contoso.example", "Admin")

    _sign_in(page, entra, connection, "vic@contoso.example")
    expect(page.locator("#role")).to_have_text("Viewer (app role)")
    expect(page.get_by_text("You can read the plans shared with you.")).to_be_visible()
    expect(page.get_by_role("link", name="Open the Enterprise page")).to_have_count(0)
    page.screenshot(path=OUTPUT / "signed-in-viewer.png")
    assert page.goto("/enterprise/contoso/").status == HTTPStatus.FORBIDDEN

    _sign_in(page, entra, connection, "ada@contoso.example")
    expect(page.locator("#role")).to_have_text("Admin (app role)")
    page.get_by_role("link", name="Open the Enterprise page").click()
    expect(page.get_by_role("heading", name="Roles and seats")).to_be_visible()
    admins = page.get_by_role("table", name="Enterprise admins and where their role comes from")
    expect(admins.get_by_role("row", name="ada@contoso.example Through app role")).to_be_visible()

"""
An Entra group grants the Enterprise admin role, in a real browser: the admin maps a provisioned group on the
Enterprise page, a member of it signs in through single sign-on and manages the enterprise; Entra removes them
from the group through SCIM, and their next page load is refused.
"""

from http import HTTPStatus

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OUTPUT
from tests.browser.test_sso import answer_as_entra
from tests.scim import entra as entra_requests
from tests.sso.conftest import CONTOSO_TENANT, Entra, connect, make_signing_key, provision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADA = "ada@contoso.example"


def test_a_group_member_administers_until_entra_removes_them(page, site, enterprise, scim, tmp_path):
    entra = Entra(CONTOSO_TENANT, make_signing_key(tmp_path))
    connection = connect(enterprise, entra, "contoso.example")
    ada = provision(scim, ADA)
    group = scim.post("/Groups", entra_requests.create_group("Plandisc Admins")).json()["id"]
    add = entra_requests.patch({"op": "Add", "path": "members", "value": [{"value": ada}]})
    assert scim.patch(f"/Groups/{group}", add).status_code == HTTPStatus.NO_CONTENT

    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill("admin@contoso.example")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Plandisc Admins").check()
    page.get_by_role("button", name="Save admin groups").click()
    expect(page.get_by_text("Admin groups saved")).to_be_visible()
    page.context.clear_cookies()

    answer_as_entra(page, entra, connection, ADA)
    page.goto("/accounts/login/")
    page.get_by_label("Work email").fill(ADA)
    page.get_by_role("button", name="Continue with single sign-on").click()
    expect(page.get_by_role("heading", name="You are signed in to Plandisc")).to_be_visible()
    page.goto("/enterprise/")
    admins = page.get_by_role("table", name="Enterprise admins and where their role comes from")
    expect(
        admins.get_by_role("row", name="ada@contoso.example Through group Plandisc Admins")
    ).to_be_visible()
    page.locator("#admins").screenshot(path=OUTPUT / "admin-roles.png")

    remove = entra_requests.patch({"op": "Remove", "path": "members", "value": [{"value": ada}]})
    assert scim.patch(f"/Groups/{group}", remove).status_code == HTTPStatus.NO_CONTENT

    response = page.goto("/enterprise/contoso/")
    assert response.status == HTTPStatus.FORBIDDEN
    assert list(
        enterprise.audit_events.filter(action__startswith="admin_")
        .order_by("id")
        .values_list("detail", flat=True)
    ) == [
        "Plandisc Admins",
        "ada@contoso.example through group Plandisc Admins (first sign-in)",
        "ada@contoso.example through group Plandisc Admins",
    ]

"""
Single sign-on in a real browser: from the sign-in page to Entra and back. Entra's page is simulated by
answering its URL with the auto-submitting form Entra serves, so its POST back to Plandisc is cross-site, as
in production, and must carry the browser's SameSite=None cookie.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils.html import escape
from playwright.sync_api import Page, Route, expect

from enterprise.sso.models import SsoConnection
from tests.browser.conftest import OUTPUT
from tests.sso.conftest import CONTOSO_TENANT, Entra, connect, make_signing_key, provision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADA = "ada@contoso.example"


def answer_as_entra(page: Page, entra: Entra, connection, name_id: str) -> None:
    """Entra signs the person in and posts its response to the reply URL from its own site."""

    def respond(route: Route) -> None:
        query = parse_qs(urlsplit(route.request.url).query)
        saml_response = entra.response(
            connection, name_id, in_response_to=entra.read_request(route.request.url).id
        )
        form = (
            f'<form method="post" action="{escape(connection.acs_url)}">'
            f'<input type="hidden" name="SAMLResponse" value="{saml_response}">'
            f'<input type="hidden" name="RelayState" value="{escape(query.get("RelayState", [""])[0])}">'
            "</form><script>document.forms[0].submit()</script>"
        )
        route.fulfill(status=200, content_type="text/html", body=form)

    page.route(lambda url: url.startswith(entra.sso_url + "?"), respond)


def test_a_member_signs_in_with_their_work_email_through_entra(page, site, enterprise, scim, tmp_path):
    entra = Entra(CONTOSO_TENANT, make_signing_key(tmp_path))
    connection = connect(enterprise, entra, "contoso.example")
    provision(scim, ADA)
    answer_as_entra(page, entra, connection, ADA)

    page.goto("/accounts/login/")
    page.get_by_label("Work email").fill(ADA)
    page.get_by_role("button", name="Continue with single sign-on").click()

    expect(page.get_by_role("heading", name="You are signed in to Plandisc")).to_be_visible()
    expect(page.get_by_text("Contoso", exact=True)).to_be_visible()
    page.screenshot(path=OUTPUT / "sso-signed-in.png", full_page=True)


def test_a_person_who_is_refused_sees_a_reference_not_the_detail(page, site, enterprise, scim, tmp_path):
    entra = Entra(CONTOSO_TENANT, make_signing_key(tmp_path))
    connection = connect(enterprise, entra, "contoso.example")
    answer_as_entra(page, entra, connection, "mallory@contoso.example")

    page.goto("/accounts/login/")
    page.get_by_label("Work email").fill("mallory@contoso.example")
    page.get_by_role("button", name="Continue with single sign-on").click()

    expect(page.get_by_role("heading", name="You can't sign in to Plandisc")).to_be_visible()
    expect(page.get_by_text("Reference:")).to_be_visible()
    assert "mallory@contoso.example" not in page.content()
    page.screenshot(path=OUTPUT / "sso-refused.png", full_page=True)


def test_an_admin_adds_a_domain_and_reads_refused_sign_ins(page, site, enterprise, scim, tmp_path):
    entra = Entra(CONTOSO_TENANT, make_signing_key(tmp_path))
    connect(enterprise, entra, "contoso.example")
    answer_as_entra(page, entra, SsoConnection.objects.get(enterprise=enterprise), "mallory@contoso.example")
    page.goto("/accounts/login/")
    page.get_by_label("Work email").fill("mallory@contoso.example")
    page.get_by_role("button", name="Continue with single sign-on").click()
    reference = page.locator("code").first.inner_text()

    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill("admin@contoso.example")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Work email domain").fill("contoso.co.example")
    page.get_by_role("button", name="Add domain").click()

    domains = page.get_by_role("list", name="Email domains")
    expect(domains).to_contain_text("plandisc-verification=")
    expect(domains.get_by_role("button", name="Verify contoso.co.example")).to_be_visible()
    refusals = page.get_by_role("list", name="Refused sign-ins")
    expect(refusals).to_contain_text(reference)
    expect(refusals).to_contain_text(
        "No member of Contoso has the userName or work email mallory@contoso.example"
    )
    page.locator("#sso").screenshot(path=OUTPUT / "sso-section.png")

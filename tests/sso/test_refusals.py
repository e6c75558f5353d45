"""A refused sign-in: the person sees a plain explanation and a reference, the admins see the detail."""

import base64
import re
from http import HTTPStatus

from django.test import Client
from django.urls import reverse

from enterprise.sso.models import SsoRefusal
from tests.sso.conftest import post_response, provision

ADA = "ada@contoso.example"


def reference_on(page: str) -> str:
    found = re.search(r"Reference: <code>([0-9A-F]{4}-[0-9A-F]{4})</code>", page)
    assert found, page
    return found.group(1)


def test_the_refusal_page_keeps_technical_detail_from_the_browser(sso, entra):
    xml = base64.b64decode(entra.response(sso, ADA)).decode().replace(f">{ADA}<", ">grace@contoso.example<")

    response = post_response(Client(), sso, base64.b64encode(xml.encode()).decode())

    assert response.status_code == HTTPStatus.FORBIDDEN
    page = response.content.decode()
    assert "could not accept the sign-in response" in page
    assert "Details for your admin" not in page
    assert "Signature" not in page
    assert "grace@contoso.example" not in page
    refusal = SsoRefusal.objects.get(reference=reference_on(page))
    assert refusal.enterprise == sso.enterprise
    assert "Signature" in refusal.detail


def test_the_enterprises_admins_see_the_refusal_with_its_reference(sso, entra, scim, admin_session):
    provision(scim, ADA)
    scim_id = scim.get("/Users", {"filter": f'userName eq "{ADA}"'}).json()["Resources"][0]["id"]
    scim.patch(
        f"/Users/{scim_id}",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
        },
    )
    refused = post_response(Client(), sso, entra.response(sso, ADA)).content.decode()
    assert "Your access to Plandisc through Contoso is turned off" in refused
    assert ADA not in refused

    page = admin_session.get(reverse("enterprise:detail", args=[sso.enterprise.slug])).content.decode()

    assert reference_on(refused) in page
    assert f"{ADA} is deactivated" in page


def test_another_enterprises_admins_do_not_see_it(sso, entra, other_enterprise, django_user_model):
    post_response(Client(), sso, entra.response(sso, "mallory@contoso.example"))
    admin = django_user_model.objects.create_user("admin@fabrikam.example", password="x" * 12)
    other_enterprise.admins.add(admin)
    client = Client()
    client.force_login(admin)

    page = client.get(reverse("enterprise:detail", args=[other_enterprise.slug])).content.decode()

    assert "mallory@contoso.example" not in page


def test_refusals_beyond_the_minutes_budget_are_not_recorded(sso, entra, settings):
    settings.SSO_REFUSALS_PER_MINUTE = 2
    garbage = base64.b64encode(b"<not-saml/>").decode()

    pages = [post_response(Client(), sso, garbage) for _ in range(3)]

    assert [page.status_code for page in pages] == [HTTPStatus.FORBIDDEN] * 3
    assert SsoRefusal.objects.filter(enterprise=sso.enterprise).count() == 2
    assert "Reference:" in pages[1].content.decode()
    assert "Reference:" not in pages[2].content.decode()
    assert "Too many sign-ins to Contoso were refused in the last minute" in pages[2].content.decode()

"""The Content-Security-Policy header on HTML pages, and templates that need nothing it forbids."""

import re
from pathlib import Path

import pytest
from django.test import Client

from enterprise.sso.models import SsoConnection

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _policy(response) -> str:
    return "; ".join(sorted(response["Content-Security-Policy"].split("; ")))


@pytest.mark.parametrize("url", ["/accounts/login/", "/enterprise/contoso/", "/enterprise/contoso/members/"])
def test_every_page_has_the_policy(admin_session, url):
    response = admin_session.get(url)

    assert response.status_code == 200
    assert _policy(response) == _policy({"Content-Security-Policy": POLICY})


def test_the_sign_in_page_may_also_send_its_forms_on_to_identity_providers(enterprise, other_enterprise):
    for owner, tenant in [(enterprise, "contoso"), (other_enterprise, "fabrikam")]:
        SsoConnection.objects.create(
            enterprise=owner,
            idp_metadata="<EntityDescriptor/>",
            idp_entity_id=f"https://sts.windows.net/{tenant}/",
            idp_sso_url=f"https://login.microsoftonline.com/{tenant}/saml2",
        )

    policy = Client().get("/accounts/login/")["Content-Security-Policy"]

    assert "form-action 'self' https://login.microsoftonline.com;" in policy + ";"


def test_other_pages_send_forms_only_to_themselves(admin_session, enterprise):
    SsoConnection.objects.create(
        enterprise=enterprise,
        idp_metadata="<EntityDescriptor/>",
        idp_entity_id="https://sts.windows.net/contoso/",
        idp_sso_url="https://login.microsoftonline.com/contoso/saml2",
    )

    assert (
        "login.microsoftonline.com"
        not in admin_session.get("/enterprise/contoso/")["Content-Security-Policy"]
    )


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda path: path.name)
def test_templates_have_no_inline_script_style_or_event_handler(template):
    text = template.read_text()

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=|javascript:", text)

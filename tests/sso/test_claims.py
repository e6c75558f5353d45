"""Entra's claims are read as Entra sends them: full claim URIs, no NameFormat."""

import base64
from http import HTTPStatus

from django.test import Client

from enterprise import services
from enterprise.models import Member
from tests.sso.conftest import post_response, provision, signed_in_user

ADA = "ada@contoso.example"


def test_the_test_identity_provider_sends_claims_as_entra_does(sso, entra):
    xml = base64.b64decode(entra.response(sso, ADA)).decode()

    assert "NameFormat" not in xml
    assert 'Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"' in xml
    assert 'Name="http://schemas.microsoft.com/identity/claims/objectidentifier"' in xml


def test_an_opaque_name_id_signs_in_the_member_with_that_email_claim(scim, sso, entra):
    provision(scim, "ada.lovelace@contoso.onmicrosoft.example", email=ADA)
    client = Client()

    response = post_response(
        client, sso, entra.response(sso, "AAAAAAAAAAAAAAAAAAAAAOc5dPQYbdZNqZ8", email=ADA)
    )

    assert response.status_code == HTTPStatus.FOUND
    member = Member.objects.get(user_name="ada.lovelace@contoso.onmicrosoft.example")
    assert signed_in_user(client) == member.user


def test_a_member_made_at_first_sign_in_gets_the_names_and_email_entra_sends(sso, entra, enterprise):
    services.enterprise_scim_toggle(enterprise=enterprise, enabled=False)
    sso.allow_jit = True
    sso.save()

    response = post_response(Client(), sso, entra.response(sso, "nh1815", email="new.hire@contoso.example"))

    assert response.status_code == HTTPStatus.FOUND
    member = Member.objects.get(enterprise=enterprise, user_name="nh1815")
    assert (member.email, member.given_name, member.family_name, member.display_name) == (
        "new.hire@contoso.example",
        "Ada",
        "Lovelace",
        "Ada Lovelace",
    )

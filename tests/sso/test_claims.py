"""Entra's claims are read as Entra sends them: full claim URIs, no NameFormat."""

import base64
from http import HTTPStatus

from django.test import Client

from enterprise.directory.models import Member
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

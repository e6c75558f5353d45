"""create_scim_client and configure_scim_federation, as support and automated set-up run them."""

import json
from datetime import datetime, timedelta
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from enterprise.credentials.models import ClientSecret, FederationTrust
from tests.oauth import basic, request_token

pytestmark = pytest.mark.django_db


def _run(*args) -> dict:
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def _token_status(enterprise, data: dict) -> int:
    authorization = basic(data["client_id"], data["client_secret"])
    return request_token(enterprise, "grant_type=client_credentials&scope=scim", authorization).status_code


def test_create_scim_client_prints_working_credentials_and_each_call_adds_a_live_secret(enterprise, settings):
    settings.PLANDISC_BASE_URL = "https://plandisc.example.com"
    first = _run("create_scim_client", "contoso")
    second = _run("create_scim_client", "contoso", "--years", "3")

    client_id = str(enterprise.oauth_client.client_id)
    assert first == {
        "scim_endpoint": f"https://plandisc.example.com/scim/v2/{enterprise.public_id}",
        "token_endpoint": f"https://plandisc.example.com/oauth/{enterprise.public_id}/token",
        "client_id": client_id,
        "client_secret": first["client_secret"],
        "secret_expires_at": first["secret_expires_at"],
    }
    assert second["client_id"] == client_id and second["client_secret"] != first["client_secret"]
    expiry = datetime.fromisoformat(second["secret_expires_at"]) - timezone.now()
    assert timedelta(days=3 * 365 - 1) < expiry <= timedelta(days=3 * 365)
    assert ClientSecret.objects.live().count() == 2
    assert (
        _token_status(enterprise, first) == HTTPStatus.OK
        and _token_status(enterprise, second) == HTTPStatus.OK
    )


def test_create_scim_client_refuses_an_unknown_enterprise_and_a_fourth_year(enterprise):
    with pytest.raises(CommandError, match="No enterprise"):
        call_command("create_scim_client", "nobody", stdout=StringIO())
    with pytest.raises(CommandError, match="1 to 3 years"):
        call_command("create_scim_client", "contoso", "--years", "4", stdout=StringIO())
    assert not ClientSecret.objects.exists()


def test_configure_scim_federation_prints_what_goes_back_into_entra(enterprise, settings):
    settings.PLANDISC_BASE_URL = "https://plandisc.example.com"
    settings.SCIM_JWKS_ALLOW_LOOPBACK = True
    data = _run(
        "configure_scim_federation",
        "contoso",
        "--issuer",
        "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
        "--jwks-url",
        "http://127.0.0.1:9/keys",
        "--subject",
        "0b3c9e4f",
        "--audience",
        "api://5a1d8e1c/.default",
    )
    assert data == {
        "scim_endpoint": f"https://plandisc.example.com/scim/v2/{enterprise.public_id}",
        "token_endpoint": f"https://plandisc.example.com/oauth/{enterprise.public_id}/token",
        "client_id": str(enterprise.oauth_client.client_id),
    }
    trust = FederationTrust.objects.live().get()
    assert (trust.subject, trust.audience, trust.jwks_url) == (
        "0b3c9e4f",
        "api://5a1d8e1c/.default",
        "http://127.0.0.1:9/keys",
    )


def test_configure_scim_federation_refuses_loopback_without_the_test_setting(enterprise):
    args = ["--issuer", "https://i.example", "--subject", "s", "--audience", "a"]
    with pytest.raises(CommandError, match="https"):
        call_command("configure_scim_federation", "contoso", "--jwks-url", "http://127.0.0.1:9/keys", *args)
    assert not FederationTrust.objects.exists()

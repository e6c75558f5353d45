"""OAuth client secrets and federation on the Enterprise page and in its JSON API: Entra's field names next
to each value, a secret shown once, revocation, the expiry warning, and why token requests failed."""

import json
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine

from enterprise.activity.models import AuditEvent
from enterprise.credentials.models import ClientSecret, FederationTrust
from enterprise.credentials.services import client_secret_create
from tests.oauth import basic, request_token, scim_status

pytestmark = pytest.mark.django_db

PAGE = "/enterprise/contoso/"
API = "/enterprise/contoso/api/scim/"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def _shown_secret(response) -> str:
    match = re.search(r'<input id="new-client-secret" type="text" readonly value="([^"]+)"', response.text)
    assert match, "the response shows no new client secret"
    return match[1]


def _token_status(enterprise, client_id: str, secret: str) -> int:
    return request_token(enterprise, "grant_type=client_credentials", basic(client_id, secret)).status_code


def test_creating_a_secret_shows_it_once_with_entras_field_names(admin_session, enterprise, settings):
    settings.PLANDISC_BASE_URL = "https://create.plandisc.com"
    response = admin_session.post("/enterprise/contoso/scim/client/secrets/", {"years": "2"})

    assert response.status_code == HTTPStatus.OK
    assert "no-store" in response["Cache-Control"]
    secret = _shown_secret(response)
    client_id = str(enterprise.oauth_client.client_id)
    text = response.text
    for label, value in [
        ("Tenant URL", f"https://create.plandisc.com/scim/v2/{enterprise.public_id}"),
        ("Token Endpoint", f"https://create.plandisc.com/oauth/{enterprise.public_id}/token"),
        ("Client Identifier", client_id),
    ]:
        assert re.search(
            rf">{label}</label></dt>\s*<dd class=\"copy-field\"><input [^>]*value=\"{value}\"", text
        )
    assert "Copy it now: you will not see it again." in text
    assert "<b>OAuth2 Client Credentials Grant</b>" in text
    stored = ClientSecret.objects.get()
    assert stored.digest == ClientSecret.digest_of(secret)
    assert (stored.expires_at - stored.created_at).days == 730
    assert _token_status(enterprise, client_id, secret) == HTTPStatus.OK

    later = admin_session.get(PAGE).text
    assert secret not in later and stored.hint in later


def test_a_secret_expiring_in_more_than_three_years_is_refused(admin_session):
    response = admin_session.post("/enterprise/contoso/scim/client/secrets/", {"years": "4"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not ClientSecret.objects.exists()


def test_revoking_a_secret_from_the_page_ends_it(admin_session, enterprise):
    secret, raw = client_secret_create(enterprise=enterprise)
    response = admin_session.post(f"/enterprise/contoso/scim/client/secrets/{secret.pk}/revoke/", follow=True)

    assert f"Client secret {secret.hint} is revoked" in response.text
    secret.refresh_from_db()
    assert secret.revoked_by.username == "admin@contoso.example"
    assert _token_status(enterprise, str(enterprise.oauth_client.client_id), raw) == HTTPStatus.UNAUTHORIZED
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CLIENT_SECRET_REVOKED).count() == 1


def test_another_enterprises_secret_cannot_be_revoked(admin_session, other_enterprise):
    secret, _ = client_secret_create(enterprise=other_enterprise)
    response = admin_session.post(f"/enterprise/contoso/scim/client/secrets/{secret.pk}/revoke/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    secret.refresh_from_db()
    assert secret.revoked_at is None


def test_the_page_warns_30_days_before_the_last_secret_expires(admin_session, enterprise):
    secret, _ = client_secret_create(enterprise=enterprise)
    with time_machine.travel(secret.expires_at - timedelta(days=31)):
        assert 'id="secret-warning"' not in admin_session.get(PAGE).text
    with time_machine.travel(secret.expires_at - timedelta(days=29)):
        admin_session.force_login(enterprise.admins.get())  # a year on, the admin signs in again
        text = admin_session.get(PAGE).text
        assert f"Your last live client secret expires on {secret.expires_at:%Y-%m-%d %H:%M} UTC." in text
        # A newer secret takes the warning away.
        client_secret_create(enterprise=enterprise)
        assert 'id="secret-warning"' not in admin_session.get(PAGE).text


def test_the_page_says_why_the_last_token_request_failed(admin_session, enterprise):
    secret, raw = client_secret_create(enterprise=enterprise)
    with time_machine.travel(secret.expires_at + timedelta(minutes=1)):
        _token_status(enterprise, str(enterprise.oauth_client.client_id), raw)
        admin_session.force_login(enterprise.admins.get())
        text = admin_session.get(PAGE).text
    expired = f"{secret.expires_at:%Y-%m-%d %H:%M}"
    assert f"Token request refused: Client secret {secret.hint} expired on {expired} UTC." in text


def test_the_access_token_lifetime_can_be_set_between_1_and_6_hours(admin_session, enterprise):
    response = admin_session.post("/enterprise/contoso/scim/client/lifetime/", {"hours": "6"}, follow=True)
    assert "Access tokens issued from now on work for 6 hours." in response.text
    enterprise.refresh_from_db()
    assert enterprise.access_token_lifetime == 6 * 3600
    assert admin_session.post("/enterprise/contoso/scim/client/lifetime/", {"hours": "7"}).status_code == 400


def test_setting_up_federation_from_the_tenant_id_shows_what_goes_back_into_entra(
    admin_session, enterprise, settings
):
    settings.SCIM_JWKS_ALLOW_LOOPBACK = True
    # The tenant id derives Entra's issuer; the JWKS URL is given, as for another issuer.
    response = admin_session.post(
        "/enterprise/contoso/scim/federation/",
        {
            "tenant_id": TENANT,
            "jwks_url": "http://127.0.0.1:9/keys",
            "subject": "0b3c9e4f-6a7d-4e2b-8c1f-9d0a1b2c3d4e",
            "audience": "api://5a1d8e1c-2b7a-4c39-9d55-7f0e4c1b2a90/.default",
        },
        follow=True,
    )
    assert "Federation is set up" in response.text
    trust = FederationTrust.objects.live().get()
    assert trust.issuer == f"https://login.microsoftonline.com/{TENANT}/v2.0"
    for label, value in [
        ("Client ID", str(enterprise.oauth_client.client_id)),
        ("Token URL", enterprise.token_endpoint),
        ("SCIM URL", enterprise.scim_endpoint),
    ]:
        assert re.search(
            rf">{label}</label></dt>\s*<dd class=\"copy-field\"><input [^>]*value=\"{value}\"", response.text
        )


def test_federation_with_only_the_tenant_id_derives_entras_keys_url(admin_session, enterprise, monkeypatch):
    # No network here: pretend login.microsoftonline.com resolves to a public address.
    monkeypatch.setattr("socket.getaddrinfo", lambda *args, **kwargs: [(2, 1, 6, "", ("20.190.128.1", 443))])
    admin_session.post(
        "/enterprise/contoso/scim/federation/",
        {"tenant_id": TENANT, "subject": "s", "audience": "api://a"},
    )
    trust = FederationTrust.objects.live().get()
    assert trust.jwks_url == f"https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys"


def test_a_private_jwks_url_is_refused_on_the_page(admin_session):
    response = admin_session.post(
        "/enterprise/contoso/scim/federation/",
        {"issuer": "https://i.example", "jwks_url": "https://10.0.0.5/keys", "subject": "s", "audience": "a"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "resolves to a private, link-local or loopback address" in response.text
    assert not FederationTrust.objects.exists()


def test_the_api_creates_lists_and_revokes_secrets_without_ever_showing_one_again(admin_session, enterprise):
    created = admin_session.post(
        API + "client/secrets/", json.dumps({"years": 3}), content_type="application/json"
    )
    assert created.status_code == HTTPStatus.CREATED
    body = created.json()
    assert body["plaintext"].startswith("pdsec_")
    assert body["client_id"] == str(enterprise.oauth_client.client_id)
    secret_id = body["client_secret"]["id"]

    listed = admin_session.get(API).json()["oauth"]
    assert listed["client_id"] == body["client_id"]
    assert [s["id"] for s in listed["client_secrets"]] == [secret_id]
    assert body["plaintext"] not in json.dumps(listed)
    assert "digest" not in listed["client_secrets"][0]

    revoked = admin_session.post(API + f"client/secrets/{secret_id}/revoke/")
    assert revoked.status_code == HTTPStatus.OK and revoked.json()["revoked_by"] == "admin@contoso.example"
    assert admin_session.get(API).json()["oauth"]["client_secrets"] == []


def test_the_api_configures_and_removes_federation(admin_session, enterprise, settings):
    settings.SCIM_JWKS_ALLOW_LOOPBACK = True
    values = {
        "issuer": "https://i.example",
        "jwks_url": "http://127.0.0.1:9/keys",
        "subject": "s",
        "audience": "a",
    }
    response = admin_session.post(API + "federation/", json.dumps(values), content_type="application/json")
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["client_id"] == str(enterprise.oauth_client.client_id)
    assert admin_session.get(API).json()["oauth"]["federation"]["subject"] == "s"

    assert admin_session.post(API + "federation/revoke/").json() == {"federation": None}
    assert admin_session.get(API).json()["oauth"]["federation"] is None


def test_a_plain_member_cannot_reach_the_oauth_actions(member_session, enterprise):
    for url in (
        "/enterprise/contoso/scim/client/secrets/",
        API + "client/secrets/",
        API + "federation/revoke/",
    ):
        assert member_session.post(url).status_code == HTTPStatus.FORBIDDEN
    assert not ClientSecret.objects.exists()


def test_the_activity_says_which_credential_each_request_used(admin_session, enterprise, scim):
    secret, raw = client_secret_create(enterprise=enterprise)
    response = request_token(
        enterprise, "grant_type=client_credentials", basic(str(secret.client.client_id), raw)
    )
    scim_status(enterprise, response.json()["access_token"])
    scim.get("/Groups")

    text = admin_session.get(PAGE).text
    token_hint = enterprise.scim_tokens.get().hint
    # Each row's folded request details say which credential it used.
    within = r"(?:(?!</details>).)*?"
    assert re.search(
        rf"<code>GET /Groups</code>{within}<dd>SCIM token {re.escape(token_hint)}</dd>", text, re.S
    )
    assert re.search(
        rf"<code>GET /Users</code>{within}<dd>OAuth client secret {re.escape(secret.hint)}</dd>", text, re.S
    )
    assert re.search(
        rf"<code>POST /token</code>{within}<dd>OAuth client secret {re.escape(secret.hint)}</dd>", text, re.S
    )
    csv = b"".join(admin_session.get("/enterprise/contoso/scim/activity.csv").streaming_content).decode()
    assert f',"SCIM token {token_hint}"\r\n' in csv

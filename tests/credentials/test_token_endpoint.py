"""The token endpoint with client secrets (RFC 6749 §4.4), as Entra's "OAuth2 Client Credentials Grant"
calls it, and the access tokens it issues at the SCIM endpoint."""

from datetime import timedelta
from http import HTTPStatus
from urllib.parse import quote_plus

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from enterprise.activity.models import ProvisioningEvent
from enterprise.credentials.models import AccessToken, ClientSecret
from enterprise.credentials.services import (
    access_token_lifetime_set,
    client_secret_create,
    client_secret_revoke,
)
from enterprise.services import enterprise_scim_toggle
from tests.oauth import FORM, basic, issued, scim_status, token_url
from tests.oauth import request_token as _post

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_secret(enterprise) -> tuple[str, str]:
    """The enterprise's client id and a fresh secret."""
    _, raw = client_secret_create(enterprise=enterprise)
    return str(enterprise.oauth_client.client_id), raw


def _error(response, status: int, error: str) -> dict:
    assert response.status_code == status
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == error
    return body


def _last_activity(enterprise) -> ProvisioningEvent:
    return enterprise.provisioning_events.first()


def test_client_secret_basic_gets_a_bearer_token_that_works_at_the_scim_endpoint(enterprise, client_secret):
    client_id, secret = client_secret
    response = _post(
        enterprise, "grant_type=client_credentials&scope=scim", authorization=basic(client_id, secret)
    )

    access_token = issued(response)
    # Stored only as a digest.
    token = AccessToken.objects.get()
    assert token.digest == AccessToken.digest_of(access_token)
    assert not AccessToken.objects.filter(digest=access_token).exists()
    assert scim_status(enterprise, access_token) == HTTPStatus.OK
    event = _last_activity(enterprise)
    assert (event.path, event.credential) == ("/Users", f"OAuth client secret {ClientSecret.hint_of(secret)}")


def test_client_secret_post_works_too_and_extra_fields_and_no_scope_are_accepted(enterprise, client_secret):
    client_id, secret = client_secret
    response = _post(
        enterprise,
        f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
        "&baseAddress=https%3A%2F%2Fplandisc.example.com%2Fscim%2Fv2",
    )

    assert scim_status(enterprise, issued(response, scope=None)) == HTTPStatus.OK


@pytest.mark.parametrize("scope", ["scim", "api://plandisc/.default", "read write"])
def test_any_well_formed_scope_is_accepted(enterprise, client_secret, scope):
    client_id, secret = client_secret
    response = _post(
        enterprise,
        f"grant_type=client_credentials&scope={quote_plus(scope)}",
        authorization=basic(client_id, secret),
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json()["scope"] == scope


def test_a_form_encoded_basic_header_reads_the_same(enterprise, client_secret):
    client_id, secret = client_secret
    encoded = basic(quote_plus(client_id), quote_plus(secret))
    response = _post(enterprise, "grant_type=client_credentials", authorization=encoded)
    assert response.status_code == HTTPStatus.OK


def test_secrets_are_long_and_url_safe(enterprise):
    _, raw = client_secret_create(enterprise=enterprise)
    assert len(raw) >= 32
    assert set(raw) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def test_several_secrets_are_live_at_once(enterprise, client_secret):
    client_id, first = client_secret
    _, second = client_secret_create(enterprise=enterprise, years=3)
    for secret in (first, second):
        response = _post(enterprise, "grant_type=client_credentials", authorization=basic(client_id, secret))
        assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "credentials",
    ["wrong-secret", "wrong-client", "missing"],
)
def test_client_authentication_failures_are_401_invalid_client(enterprise, client_secret, credentials):
    client_id, secret = client_secret
    body = {
        "wrong-secret": f"client_id={client_id}&client_secret=pdsec_wrong",
        "wrong-client": f"client_id=2f1d9c2e-0000-4000-8000-000000000000&client_secret={secret}",
        "missing": f"client_id={client_id}",
    }[credentials]
    response = _post(enterprise, f"grant_type=client_credentials&{body}")

    _error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")
    assert "WWW-Authenticate" not in response
    assert not AccessToken.objects.exists()
    event = _last_activity(enterprise)
    assert (event.path, event.status) == ("/token", 401)
    assert event.detail.startswith("Token request refused: ")
    assert secret not in event.detail


def test_a_wrong_basic_secret_is_401_with_a_basic_challenge(enterprise, client_secret):
    client_id, _ = client_secret
    response = _post(enterprise, "grant_type=client_credentials", authorization=basic(client_id, "nope"))
    _error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")
    assert response["WWW-Authenticate"].startswith("Basic")
    assert _last_activity(enterprise).detail == "Token request refused: Wrong client secret."


def test_a_malformed_basic_header_is_401(enterprise, client_secret):
    response = _post(enterprise, "grant_type=client_credentials", authorization="Basic !!!")
    _error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")
    assert response["WWW-Authenticate"].startswith("Basic")


def test_an_expired_secret_is_refused_and_the_activity_says_when_it_expired(enterprise, client_secret):
    client_id, secret = client_secret
    expires_at = ClientSecret.objects.get().expires_at
    with time_machine.travel(expires_at + timedelta(seconds=1)):
        response = _post(enterprise, "grant_type=client_credentials", authorization=basic(client_id, secret))
    _error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")
    hint = ClientSecret.hint_of(secret)
    assert _last_activity(enterprise).detail == (
        f"Token request refused: Client secret {hint} expired on {expires_at:%Y-%m-%d %H:%M} UTC."
    )


def test_revoking_a_secret_ends_the_tokens_it_obtained_and_no_others(enterprise, client_secret):
    client_id, first = client_secret
    _, second = client_secret_create(enterprise=enterprise)
    tokens = [
        _post(enterprise, "grant_type=client_credentials", authorization=basic(client_id, s)).json()
        for s in (first, second)
    ]
    # Used once, so each worker has the token cached when the secret is revoked.
    assert [scim_status(enterprise, t["access_token"]) for t in tokens] == [HTTPStatus.OK] * 2
    client_secret_revoke(secret=ClientSecret.objects.get(digest=ClientSecret.digest_of(first)))

    assert scim_status(enterprise, tokens[0]["access_token"]) == HTTPStatus.UNAUTHORIZED
    assert scim_status(enterprise, tokens[1]["access_token"]) == HTTPStatus.OK
    response = _post(enterprise, "grant_type=client_credentials", authorization=basic(client_id, first))
    _error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")
    assert "was revoked on" in _last_activity(enterprise).detail


def test_an_access_token_expires_after_the_enterprise_lifetime(enterprise, client_secret):
    access_token_lifetime_set(enterprise=enterprise, hours=6)
    client_id, secret = client_secret
    body = _post(enterprise, "grant_type=client_credentials", authorization=basic(client_id, secret)).json()
    assert body["expires_in"] == 6 * 3600
    with time_machine.travel(timezone.now() + timedelta(hours=6, seconds=-5)):
        assert scim_status(enterprise, body["access_token"]) == HTTPStatus.OK
    with time_machine.travel(timezone.now() + timedelta(hours=6, seconds=1)):
        assert scim_status(enterprise, body["access_token"]) == HTTPStatus.UNAUTHORIZED


def test_an_access_token_is_refused_at_another_enterprise_and_its_secret_at_this_one(
    enterprise, client_secret, other_enterprise
):
    client_id, secret = client_secret
    token = _post(enterprise, "grant_type=client_credentials", authorization=basic(client_id, secret))
    assert scim_status(other_enterprise, token.json()["access_token"]) == HTTPStatus.UNAUTHORIZED
    # This enterprise's secret at the other's token endpoint is no client of the other.
    response = _post(
        other_enterprise, "grant_type=client_credentials", authorization=basic(client_id, secret)
    )
    _error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")


def test_a_client_secret_is_never_a_scim_bearer(enterprise, client_secret):
    _, secret = client_secret
    assert scim_status(enterprise, secret) == HTTPStatus.UNAUTHORIZED


def test_the_scim_token_keeps_working_beside_oauth(enterprise, scim, client_secret):
    assert scim.get("/Users").status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ("client_id=x&client_secret=y", 400, "invalid_request"),
        ("grant_type=password&username=a&password=b", 400, "unsupported_grant_type"),
        ("grant_type=client_credentials&grant_type=client_credentials", 400, "invalid_request"),
        ("grant_type=client_credentials&scope=%22quoted%22", 400, "invalid_scope"),
    ],
    ids=["no-grant-type", "password-grant", "repeated-field", "bad-scope"],
)
def test_malformed_requests_get_400(enterprise, client_secret, body, status, error):
    client_id, secret = client_secret
    response = _post(enterprise, body, authorization=basic(client_id, secret))
    _error(response, status, error)
    assert not AccessToken.objects.exists()


def test_two_authentication_methods_at_once_are_400(enterprise, client_secret):
    client_id, secret = client_secret
    response = _post(
        enterprise,
        f"grant_type=client_credentials&client_secret={secret}",
        authorization=basic(client_id, secret),
    )
    _error(response, HTTPStatus.BAD_REQUEST, "invalid_request")


def test_provisioning_turned_off_is_invalid_grant(enterprise, client_secret):
    enterprise_scim_toggle(enterprise=enterprise, enabled=False)
    client_id, secret = client_secret
    response = _post(enterprise, "grant_type=client_credentials", authorization=basic(client_id, secret))
    _error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")


def test_only_form_posts_issue_tokens(enterprise, client_secret):
    client_id, secret = client_secret
    query = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    url = token_url(enterprise)

    response = Client().get(f"{url}?{query}")
    _error(response, HTTPStatus.METHOD_NOT_ALLOWED, "invalid_request")
    assert (_last_activity(enterprise).method, _last_activity(enterprise).status) == ("GET", 405)
    # Credentials in the query string of a POST do not count.
    response = Client().post(f"{url}?{query}", "grant_type=client_credentials", content_type=FORM)
    _error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")
    response = Client().post(url, {"grant_type": "client_credentials"}, content_type="application/json")
    _error(response, HTTPStatus.BAD_REQUEST, "invalid_request")
    assert not AccessToken.objects.exists()


def test_a_body_over_one_mebibyte_is_413(enterprise, client_secret):
    response = _post(enterprise, "grant_type=client_credentials&pad=" + "a" * (1024 * 1024))
    _error(response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "invalid_request")


def test_an_unknown_token_endpoint_is_401(client_secret):
    client_id, secret = client_secret
    response = Client().post(
        "/oauth/2f1d9c2e-0000-4000-8000-000000000000/token",
        "grant_type=client_credentials",
        content_type=FORM,
        headers={"Authorization": basic(client_id, secret)},
    )
    _error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")


def test_a_flood_of_bad_credentials_gets_429_while_good_ones_from_elsewhere_still_work(
    enterprise, client_secret, settings
):
    settings.SCIM_TOKEN_FAILURES_PER_MINUTE = 3
    client_id, secret = client_secret
    bad = f"grant_type=client_credentials&client_id={client_id}&client_secret=pdsec_guess"
    for _ in range(3):
        _error(_post(enterprise, bad), HTTPStatus.UNAUTHORIZED, "invalid_client")
    response = _post(
        enterprise, f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    )
    _error(response, HTTPStatus.TOO_MANY_REQUESTS, "temporarily_unavailable")
    assert response["Retry-After"] == "60"

    elsewhere = Client(REMOTE_ADDR="10.1.2.3").post(
        token_url(enterprise),
        f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}",
        content_type=FORM,
    )
    assert elsewhere.status_code == HTTPStatus.OK


def test_a_client_id_with_a_nul_byte_is_refused_and_recorded(enterprise, client_secret):
    _, secret = client_secret
    response = _post(
        enterprise, f"grant_type=client_credentials&client_id=%00%ED%A0%80x&client_secret={secret}"
    )
    _error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")
    assert "\x00" not in _last_activity(enterprise).detail


def test_too_many_form_fields_are_400(enterprise, client_secret):
    body = "grant_type=client_credentials&" + "&".join(f"f{n}=x" for n in range(1001))
    _error(_post(enterprise, body), HTTPStatus.BAD_REQUEST, "invalid_request")


@pytest.mark.parametrize(
    ("body", "authorization"),
    [
        ("grant_type=client_credentials&client_id=%FF%FE&client_secret=%FF", ""),
        ("grant_type=client_credentials", "Basic"),
        ("grant_type=client_credentials", "Basic " + "w7/Dvg=="),
        ("grant_type=client_credentials&client_assertion=x", ""),
    ],
    ids=["latin1-form", "empty-basic", "basic-without-colon", "assertion-without-type"],
)
def test_odd_credentials_are_401_never_500(enterprise, client_secret, body, authorization):
    _error(_post(enterprise, body, authorization=authorization), HTTPStatus.UNAUTHORIZED, "invalid_client")

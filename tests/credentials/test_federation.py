"""Workload identity federation (RFC 7523): Entra's provisioning service posts a JWT it signed to the token
endpoint. The issuer's keys are served by a live HTTP server on loopback, with RSA keys made in the test."""

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from enterprise.credentials.models import FederationTrust
from enterprise.credentials.services import federation_trust_revoke, federation_trust_save, oauth_client_of
from tests.oauth import FORM, issued, scim_status, token_url

pytestmark = pytest.mark.django_db

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
APP_ID = "5a1d8e1c-2b7a-4c39-9d55-7f0e4c1b2a90"
SUBJECT = "0b3c9e4f-6a7d-4e2b-8c1f-9d0a1b2c3d4e"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class Issuer:
    """An identity provider: its signing keys by kid, published as a JWKS at `jwks_url`."""

    jwks_url: str = ""
    keys: dict = field(default_factory=dict)
    fetches: int = 0

    @property
    def issuer(self) -> str:
        return f"https://login.microsoftonline.com/{TENANT}/v2.0"

    def add_key(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> bytes:
        keys = []
        for kid, key in self.keys.items():
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig"})
        return json.dumps({"keys": keys}).encode()

    def claims(self, **overrides) -> dict:
        now = int(time.time())
        claims = {
            "aud": f"api://{APP_ID}",
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "sub": SUBJECT,
            "oid": SUBJECT,
            "tid": TENANT,
            "appid": APP_ID,
            "uti": "kXbJ5d1mR0ePq7d0oK1sAA",
            "ver": "2.0",
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def sign(self, kid: str = "key-1", **overrides) -> str:
        return jwt.encode(self.claims(**overrides), self.keys[kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def issuer(settings) -> Iterator[Issuer]:
    settings.SCIM_JWKS_ALLOW_LOOPBACK = True
    issuer = Issuer()
    issuer.add_key("key-1")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            issuer.fetches += 1
            body = issuer.jwks()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            # Entra's keys say they may be cached for a day; rotation must work anyway.
            self.send_header("Cache-Control", "max-age=86400")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    issuer.jwks_url = f"http://127.0.0.1:{server.server_port}/{TENANT}/discovery/v2.0/keys"
    yield issuer
    server.shutdown()
    server.server_close()


@pytest.fixture
def trust(enterprise, issuer) -> FederationTrust:
    return federation_trust_save(
        enterprise=enterprise,
        issuer=issuer.issuer,
        jwks_url=issuer.jwks_url,
        subject=SUBJECT,
        audience=f"api://{APP_ID}/.default",
    )


def _exchange(enterprise, assertion: str, client_id: str | None = None):
    client_id = client_id or str(enterprise.oauth_client.client_id)
    body = (
        f"grant_type=client_credentials&client_id={client_id}"
        f"&client_assertion_type={ASSERTION_TYPE}&client_assertion={assertion}&scope=scim"
    )
    return Client().post(token_url(enterprise), body, content_type=FORM)


def _refused(enterprise, response) -> str:
    """The reason the activity gives for a refused exchange."""
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"
    assert "WWW-Authenticate" not in response
    assert "access_token" not in response.json()
    return enterprise.provisioning_events.first().detail.removeprefix("Token request refused: ")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_an_entra_assertion_gets_an_access_token_that_works_at_the_scim_endpoint(enterprise, issuer, trust):
    response = _exchange(enterprise, issuer.sign())

    assert scim_status(enterprise, issued(response)) == HTTPStatus.OK
    event = enterprise.provisioning_events.first()
    assert (event.path, event.credential) == ("/Users", "federation")


def test_the_same_assertion_may_be_presented_again_until_it_expires(enterprise, issuer, trust):
    assertion = issuer.sign()
    assert _exchange(enterprise, assertion).status_code == HTTPStatus.OK
    assert _exchange(enterprise, assertion).status_code == HTTPStatus.OK
    # Both exchanges used the cached keys.
    assert issuer.fetches == 1


@pytest.mark.parametrize("audience", [f"api://{APP_ID}", f"api://{APP_ID}/.default", APP_ID])
def test_the_three_spellings_of_the_app_id_are_accepted(enterprise, issuer, trust, audience):
    assert _exchange(enterprise, issuer.sign(aud=audience)).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        (
            {"aud": "api://00000000-0000-0000-0000-000000000000"},
            "JWT audience api://00000000-0000-0000-0000-000000000000 does not match the one configured "
            f"(api://{APP_ID}/.default).",
        ),
        ({"aud": f"api://{APP_ID}/other"}, None),
        (
            {"iss": "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0"},
            "JWT issuer https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0 does not "
            "match the one configured.",
        ),
        ({"sub": "someone-else"}, "JWT subject someone-else does not match the one configured."),
        ({"sub": None}, "The JWT has no sub claim."),
        ({"exp": None}, "The JWT has no exp claim."),
    ],
    ids=["wrong-aud", "aud-lookalike", "wrong-iss", "wrong-sub", "no-sub", "no-exp"],
)
def test_claims_that_do_not_match_are_refused_and_the_activity_says_why(
    enterprise, issuer, trust, overrides, reason
):
    refused = _refused(enterprise, _exchange(enterprise, issuer.sign(**overrides)))
    if reason:
        assert refused == reason


def test_the_subject_is_sub_not_oid(enterprise, issuer, trust):
    assertion = issuer.sign(sub="another-object", oid=SUBJECT)
    assert _refused(enterprise, _exchange(enterprise, assertion)).startswith("JWT subject another-object")


def test_an_expired_assertion_is_refused(enterprise, issuer, trust, settings):
    now = int(time.time())
    expired = issuer.sign(iat=now - 7200, nbf=now - 7200, exp=now - settings.SAML_CLOCK_SKEW_SECONDS - 1)
    assert _refused(enterprise, _exchange(enterprise, expired)) == "The JWT has expired."
    # Within the clock skew it still counts.
    fresh = issuer.sign(iat=now - 7200, nbf=now - 7200, exp=now - settings.SAML_CLOCK_SKEW_SECONDS + 30)
    assert _exchange(enterprise, fresh).status_code == HTTPStatus.OK


def test_an_assertion_that_is_not_yet_valid_is_refused(enterprise, issuer, trust, settings):
    later = int(time.time()) + settings.SAML_CLOCK_SKEW_SECONDS + 60
    refused = _refused(enterprise, _exchange(enterprise, issuer.sign(nbf=later, iat=later)))
    assert refused == "The JWT is not valid yet (nbf or iat is in the future)."


def test_a_key_the_issuer_does_not_publish_is_refused(enterprise, issuer, trust):
    stranger = Issuer()
    stranger.add_key("key-9")
    refused = _refused(enterprise, _exchange(enterprise, stranger.sign("key-9")))
    assert refused == f"The JWT is signed with key key-9, which {issuer.jwks_url} does not publish."


def test_a_known_kid_signed_by_another_key_is_refused(enterprise, issuer, trust):
    forger = Issuer()
    forger.add_key("key-1")
    refused = _refused(enterprise, _exchange(enterprise, forger.sign("key-1")))
    assert refused == "The JWT signature does not verify with the issuer's key."


def test_alg_none_is_refused(enterprise, issuer, trust):
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "key-1"}).encode())
    payload = _b64(json.dumps(issuer.claims()).encode())
    refused = _refused(enterprise, _exchange(enterprise, f"{header}.{payload}."))
    assert refused == "JWT algorithm none is not allowed; only RS256 is."


def test_hmac_signed_with_the_public_key_is_refused(enterprise, issuer, trust):
    public_pem = (
        issuer.keys["key-1"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "key-1"}).encode())
    payload = _b64(json.dumps(issuer.claims()).encode())
    signature = _b64(hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    refused = _refused(enterprise, _exchange(enterprise, f"{header}.{payload}.{signature}"))
    assert refused == "JWT algorithm HS256 is not allowed; only RS256 is."


def test_a_tampered_payload_is_refused(enterprise, issuer, trust):
    header, _, signature = issuer.sign(sub="someone-else").split(".")
    payload = _b64(json.dumps(issuer.claims()).encode())
    refused = _refused(enterprise, _exchange(enterprise, f"{header}.{payload}.{signature}"))
    assert refused == "The JWT signature does not verify with the issuer's key."


def test_garbage_and_a_wrong_assertion_type_are_refused(enterprise, issuer, trust):
    assert _refused(enterprise, _exchange(enterprise, "not-a-jwt")) == "The client assertion is not a JWT."
    body = (
        f"grant_type=client_credentials&client_id={enterprise.oauth_client.client_id}"
        f"&client_assertion_type=urn:other&client_assertion={issuer.sign()}"
    )
    response = Client().post(token_url(enterprise), body, content_type=FORM)
    assert _refused(enterprise, response) == f"client_assertion_type must be {ASSERTION_TYPE}."


def test_key_rotation_fetches_the_keys_again_at_most_once_a_minute(enterprise, issuer, trust):
    assert _exchange(enterprise, issuer.sign()).status_code == HTTPStatus.OK
    issuer.add_key("key-2")
    # The cached keys do not have key-2: one refetch finds it, although the JWKS said to cache for a day.
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert _exchange(enterprise, issuer.sign("key-2")).status_code == HTTPStatus.OK
        assert issuer.fetches == 2
        # Unknown kids within the minute do not make the server fetch again.
        issuer.add_key("key-3")
        _refused(enterprise, _exchange(enterprise, issuer.sign("key-3")))
        _refused(enterprise, _exchange(enterprise, issuer.sign("key-3")))
        assert issuer.fetches == 2
    with time_machine.travel(timezone.now() + timedelta(seconds=125)):
        assert _exchange(enterprise, issuer.sign("key-3")).status_code == HTTPStatus.OK
        assert issuer.fetches == 3


def test_removing_the_trust_ends_its_tokens_on_the_next_request(enterprise, issuer, trust):
    access_token = _exchange(enterprise, issuer.sign()).json()["access_token"]
    assert scim_status(enterprise, access_token) == HTTPStatus.OK
    federation_trust_revoke(enterprise=enterprise)
    assert scim_status(enterprise, access_token) == HTTPStatus.UNAUTHORIZED
    refused = _refused(enterprise, _exchange(enterprise, issuer.sign()))
    assert refused == "Federation is not set up for this enterprise."


def test_a_jwt_is_never_a_scim_bearer(enterprise, issuer, trust):
    assert scim_status(enterprise, issuer.sign()) == HTTPStatus.UNAUTHORIZED


def test_another_enterprises_client_id_is_refused(enterprise, issuer, trust, other_enterprise):
    other_client = oauth_client_of(enterprise=other_enterprise)
    response = _exchange(enterprise, issuer.sign(), client_id=str(other_client.client_id))
    assert _refused(enterprise, response).startswith(f"Client id {other_client.client_id} is not")
    # And this enterprise's trust does not let the assertion in at the other's token endpoint.
    response = _exchange(other_enterprise, issuer.sign(), client_id=str(other_client.client_id))
    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    "jwks_url",
    [
        "http://login.microsoftonline.com/x/discovery/v2.0/keys",
        "https://127.0.0.1/keys",
        "https://10.0.0.5/keys",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/keys",
        "file:///etc/passwd",
    ],
)
def test_jwks_urls_that_reach_inside_are_refused(enterprise, jwks_url):
    with pytest.raises(ValidationError):
        federation_trust_save(
            enterprise=enterprise,
            issuer="https://issuer.example",
            jwks_url=jwks_url,
            subject="s",
            audience="a",
        )
    assert not FederationTrust.objects.exists()


def test_loopback_is_refused_without_the_test_setting_even_when_already_configured(
    enterprise, issuer, trust, settings
):
    settings.SCIM_JWKS_ALLOW_LOOPBACK = False
    refused = _refused(enterprise, _exchange(enterprise, issuer.sign()))
    assert refused.startswith(f"The signing keys at {issuer.jwks_url} could not be read")
    assert issuer.fetches == 0

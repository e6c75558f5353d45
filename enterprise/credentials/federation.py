"""
Workload identity federation (RFC 7523 client assertions): verify a JWT that an enterprise's identity
provider signed, against the keys it publishes at its JWKS URL.

PyJWT does the cryptography and the claim checks. What is ours: the algorithm allowlist, the audience
spellings Entra uses, and fetching the keys safely. Keys are fetched over https with a short timeout and a
size limit, only from public addresses (a JWKS URL is typed by a customer's admin, so it must not reach into
our network), and cached by URL in Django's cache so every worker shares them. An unknown `kid` fetches the
keys again, at most once a minute per URL, whatever the response's caching headers say: that is how Entra's
unannounced key rotation just works.
"""

import hashlib
import http.client
import ipaddress
import json
import socket
import ssl
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.core.cache import cache

from enterprise.credentials.models import FederationTrust

ALGORITHMS = ["RS256"]
JWKS_TIMEOUT_SECONDS = 3
JWKS_MAX_BYTES = 64 * 1024
JWKS_CACHE_SECONDS = 24 * 3600
JWKS_REFETCH_SECONDS = 60


class AssertionRefused(Exception):
    """Why a client assertion was refused, in words for the enterprise's admin."""


class UnsafeUrl(ValueError):
    """A JWKS URL that Plandisc will not fetch."""


def verify_assertion(trust: FederationTrust, assertion: str) -> dict:
    """The claims of `assertion` if the trust's issuer signed it for the trust's subject and audience and it
    is within its lifetime (with SAML_CLOCK_SKEW_SECONDS of leeway). Raises AssertionRefused. The same
    assertion may be presented again until it expires: Entra caches its token between calls."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.DecodeError:
        raise AssertionRefused("The client assertion is not a JWT.") from None
    if header.get("alg") not in ALGORITHMS:
        raise AssertionRefused(f"JWT algorithm {header.get('alg')} is not allowed; only RS256 is.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise AssertionRefused("The JWT header names no signing key (kid).")
    key = _signing_key(trust.jwks_url, kid)
    try:
        claims = jwt.decode(
            assertion,
            key=key,
            algorithms=ALGORITHMS,
            issuer=trust.issuer,
            audience=trust.accepted_audiences,
            leeway=settings.SAML_CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.InvalidAudienceError:
        audience = _unverified_claim(assertion, "aud")
        raise AssertionRefused(
            f"JWT audience {audience} does not match the one configured ({trust.audience})."
        ) from None
    except jwt.InvalidIssuerError:
        issuer = _unverified_claim(assertion, "iss")
        raise AssertionRefused(f"JWT issuer {issuer} does not match the one configured.") from None
    except jwt.ExpiredSignatureError:
        raise AssertionRefused("The JWT has expired.") from None
    except jwt.ImmatureSignatureError:
        raise AssertionRefused("The JWT is not valid yet (nbf or iat is in the future).") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AssertionRefused(f"The JWT has no {exc.claim} claim.") from None
    except jwt.InvalidSignatureError:
        raise AssertionRefused("The JWT signature does not verify with the issuer's key.") from None
    except jwt.InvalidTokenError as exc:
        raise AssertionRefused(f"The JWT is not valid: {exc}.") from None
    if claims["sub"] != trust.subject:
        raise AssertionRefused(f"JWT subject {claims['sub']} does not match the one configured.")
    return claims


def _unverified_claim(assertion: str, name: str) -> str:
    value = jwt.decode(assertion, options={"verify_signature": False}).get(name)
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _signing_key(jwks_url: str, kid: str):
    """The public key `kid` from the JWKS at `jwks_url`, from the shared cache or fetched."""
    url_key = hashlib.sha256(jwks_url.encode()).hexdigest()
    keys = cache.get(f"jwks:{url_key}") or {}
    if kid not in keys and cache.add(f"jwks-fetched:{url_key}", True, timeout=JWKS_REFETCH_SECONDS):
        try:
            keys = _fetch_keys(jwks_url)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise AssertionRefused(f"The signing keys at {jwks_url} could not be read: {exc}") from None
        cache.set(f"jwks:{url_key}", keys, timeout=JWKS_CACHE_SECONDS)
    if kid not in keys:
        raise AssertionRefused(f"The JWT is signed with key {kid}, which {jwks_url} does not publish.")
    try:
        return jwt.PyJWK(keys[kid], algorithm="RS256").key
    except jwt.PyJWKError as exc:
        raise AssertionRefused(f"Key {kid} at {jwks_url} is not a usable RSA key: {exc}") from None


def keys_unreachable(trust: FederationTrust) -> str:
    """Why the trust's signing keys cannot be fetched now, in words ("" when they can): what a token request
    would meet when Entra's keys are not in the cache."""
    try:
        keys = _fetch_keys(trust.jwks_url)
    except (OSError, ValueError, http.client.HTTPException) as exc:
        return f"The signing keys at {trust.jwks_url} could not be read: {exc}"
    if not keys:
        return f"{trust.jwks_url} publishes no RSA signing keys."
    return ""


def _fetch_keys(jwks_url: str) -> dict[str, dict]:
    """The RSA signing keys published at `jwks_url`, by kid."""
    url = urlsplit(jwks_url)
    address = vetted_address(jwks_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    if url.scheme == "https":
        connection = _PinnedHTTPSConnection(url.hostname, port, address, timeout=JWKS_TIMEOUT_SECONDS)
    else:
        connection = http.client.HTTPConnection(address, port, timeout=JWKS_TIMEOUT_SECONDS)
    try:
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        connection.request("GET", target, headers={"Host": url.netloc, "Accept": "application/json"})
        response = connection.getresponse()
        if response.status != 200:
            raise ValueError(f"HTTP {response.status}")
        body = response.read(JWKS_MAX_BYTES + 1)
    finally:
        connection.close()
    if len(body) > JWKS_MAX_BYTES:
        raise ValueError(f"larger than {JWKS_MAX_BYTES} bytes")
    document = json.loads(body)
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise ValueError("no 'keys' list")
    return {
        key["kid"]: key
        for key in keys
        if isinstance(key, dict) and key.get("kty") == "RSA" and isinstance(key.get("kid"), str)
    }


def vetted_address(jwks_url: str) -> str:
    """The IP address to fetch `jwks_url` from, once it is known to be a public one (or loopback, when
    SCIM_JWKS_ALLOW_LOOPBACK is on for tests). Raises UnsafeUrl. The fetch connects to this address, so a
    name that resolves differently a moment later cannot redirect it."""
    url = urlsplit(jwks_url)
    if url.scheme not in ("https", "http") or not url.hostname:
        raise UnsafeUrl("The JWKS URL must be an https URL.")
    try:
        infos = socket.getaddrinfo(url.hostname, url.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeUrl(f"{url.hostname} does not resolve.") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    loopback_allowed = settings.SCIM_JWKS_ALLOW_LOOPBACK and all(a.is_loopback for a in addresses)
    if not loopback_allowed:
        if url.scheme != "https":
            raise UnsafeUrl("The JWKS URL must be an https URL.")
        if not all(a.is_global for a in addresses):
            raise UnsafeUrl(f"{url.hostname} resolves to a private, link-local or loopback address.")
    return str(addresses[0])


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """https to a vetted address, with the certificate checked against the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)

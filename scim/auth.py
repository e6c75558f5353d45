"""
Authentication: a bearer credential resolved to the one enterprise it belongs to.

Each kind of credential is an authenticator, chosen by the prefix of the bearer value and backed by a domain
service in enterprise/credentials/services.py. Adding a kind means adding one entry to AUTHENTICATORS; the
pipeline, the cache and the activity records take any `Credential`.

Resolutions are cached in this process, so most requests spend no query on the credential. Every entry is
checked against the enterprise's credentials version in the shared cache (read in the same round trip as the
rate limit, see scim/limits.py), which `enterprise_credentials_changed` (enterprise.credentials.services)
changes on revocation, rotation and the provisioning switch: such a change takes effect on the next request,
in every worker. A token that expires on its own (the end of a rotation's overlap) stops then, cached or
not. An entry lives at most SCIM_CREDENTIAL_CACHE_SECONDS: with hundreds of enterprises calling, a life of a
minute made every worker look each enterprise's token up again every minute, a third of the requests of a
many-tenant cycle. A cached token's last-used mark is refreshed apart, once a minute across all workers
(scim_token_used).
"""

import hashlib
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from enterprise.credentials.models import AccessToken, ScimToken
from enterprise.credentials.services import (
    LAST_USED_RESOLUTION,
    scim_access_token_authenticate,
    scim_token_authenticate,
    scim_token_used,
)
from enterprise.models import Enterprise
from scim.activity import Note

MARK_SECONDS = LAST_USED_RESOLUTION.total_seconds()


@dataclass(frozen=True)
class Credential:
    """Who is calling: the enterprise, the kind of credential and a short, non-secret label for activity,
    and when the credential stops on its own (None: only when revoked)."""

    enterprise: Enterprise
    kind: str
    label: str
    expires_at: datetime | None = None
    token_id: int | None = None  # a SCIM token's, whose last-used mark the cache keeps fresh


def scim_token(public_id: uuid.UUID, raw: str) -> Credential | None:
    token = scim_token_authenticate(public_id=public_id, raw=raw)
    if token is None:
        return None
    return Credential(token.enterprise, "scim_token", token.label, token.expires_at, token.pk)


def access_token(public_id: uuid.UUID, raw: str) -> Credential | None:
    """An OAuth access token from the token endpoint (enterprise.credentials.views). It stops at its own
    expiry, or at its client secret's when that comes first; revoking the secret or the federation trust ends
    it at once."""
    token = scim_access_token_authenticate(public_id=public_id, raw=raw)
    if token is None:
        return None
    if token.secret_id:
        return Credential(
            token.enterprise, "client_secret", token.label, min(token.expires_at, token.secret.expires_at)
        )
    return Credential(token.enterprise, "federation", token.label, token.expires_at)


# Bearer prefix -> authenticator, tried in order.
AUTHENTICATORS: list[tuple[str, Callable[[uuid.UUID, str], Credential | None]]] = [
    (ScimToken.PREFIX, scim_token),
    (AccessToken.PREFIX, access_token),
]


def bearer(authorization: str) -> str | None:
    """The credential in an `Authorization: Bearer …` header (scheme in any case), or None."""
    scheme, _, raw = authorization.partition(" ")
    raw = raw.strip()
    return raw if scheme.lower() == "bearer" and raw else None


def authenticate(public_id: uuid.UUID, raw: str) -> Credential | None:
    """Ask the authenticator for `raw`'s prefix (no cache)."""
    for prefix, authenticator in AUTHENTICATORS:
        if raw.startswith(prefix):
            return authenticator(public_id, raw)
    return None


class CredentialCache:
    """This process's resolutions, each valid while the enterprise's credentials version is unchanged. It
    holds at most SCIM_CREDENTIAL_CACHE_SIZE of them: a new one pushes out the least recently used, so with
    hundreds of enterprises calling, the ones calling now stay and memory stays flat."""

    def __init__(self):
        self.entries: OrderedDict[tuple[uuid.UUID, str], tuple[Credential, object, float]] = OrderedDict()
        # gthread workers serve requests from several threads; moving and evicting entries is not atomic.
        self.lock = threading.Lock()

    @staticmethod
    def key(public_id: uuid.UUID, raw: str) -> tuple[uuid.UUID, str]:
        # A digest, so the process never keeps a plaintext credential longer than the request.
        return public_id, hashlib.sha256(raw.encode()).hexdigest()

    def get(self, key: tuple, version: object) -> Credential | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            credential, seen, deadline, marked = entry
            now = time.monotonic()
            expired = credential.expires_at is not None and credential.expires_at <= timezone.now()
            if seen != version or now > deadline or expired:
                self.entries.pop(key, None)
                return None
            self.entries.move_to_end(key)
            mark = credential.token_id is not None and now - marked > MARK_SECONDS
            if mark:
                self.entries[key] = (credential, seen, deadline, now)
        if mark:
            scim_token_used(token_id=credential.token_id)
        return credential

    def put(self, key: tuple, credential: Credential, version: object) -> None:
        with self.lock:
            now = time.monotonic()
            self.entries[key] = (credential, version, now + settings.SCIM_CREDENTIAL_CACHE_SECONDS, now)
            self.entries.move_to_end(key)
            while len(self.entries) > settings.SCIM_CREDENTIAL_CACHE_SIZE:
                self.entries.popitem(last=False)

    def has(self, key: tuple) -> bool:
        return key in self.entries


credentials = CredentialCache()


@dataclass(frozen=True)
class Call:
    """An authenticated SCIM request: what the handlers and adapters work with."""

    request: object  # django.http.HttpRequest
    credential: Credential
    base: str  # absolute URL of the endpoint, ending in "/": locations are base + "Users/<id>"
    note: Note = field(default_factory=Note)  # what it did, for its activity row

    @property
    def enterprise(self) -> Enterprise:
        return self.credential.enterprise

    def location(self, path: str) -> str:
        return self.base + path

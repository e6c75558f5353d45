"""
Per-enterprise SCIM endpoints: `/scim/v2/<enterprise public id>/…`.

django-scim2's views and `reverse()` calls expect the SCIM routes at the root of a URLconf, so this
middleware takes the enterprise id off the path, serves the rest from `scim.urls` under a script prefix
(locations then come out as `/scim/v2/<id>/Users/<uuid>`), and before any view runs: authenticates the
bearer token against that enterprise's tokens, refuses when provisioning is off, enforces the body-size
limit and the per-enterprise rate limit. Every request that names a real enterprise is recorded as
provisioning activity, after its transaction, without headers or bodies.
"""

import json
import logging
import re
import time
import uuid
from contextlib import nullcontext

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import get_script_prefix, set_script_prefix
from django.utils import timezone

from enterprise import services
from enterprise.models import Enterprise, ProvisioningEvent
from scim.errors import ScimError, error_response

logger = logging.getLogger(__name__)

SCIM_PATH = re.compile(r"^/scim/v2/(?P<public_id>[^/]+)(?P<rest>/.*)?$")
RESOURCE_PATH = re.compile(r"^/(?P<type>Users|Groups)(?:/(?P<id>[^/.][^/]*))?$")


def base_location(request: HttpRequest | None = None, *args, **kwargs) -> str:
    """django-scim2's BASE_LOCATION_GETTER: scheme and host of PLANDISC_BASE_URL."""
    scheme, _, rest = settings.PLANDISC_BASE_URL.partition("://")
    return f"{scheme}://{rest.split('/')[0]}"


class ScimTenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = SCIM_PATH.match(request.path_info)
        if not match:
            return self.get_response(request)
        started = time.monotonic()
        # Entra joins its Tenant URL and resource paths loosely: `…/v2/<id>//Users`, `…/Users/`.
        rest = re.sub("/{2,}", "/", match["rest"] or "/").rstrip("/") or "/"
        request.path_info = rest
        request.urlconf = "scim.urls"
        request.scim_enterprise = None
        request.scim_error = None
        prefix = get_script_prefix()
        set_script_prefix(f"{prefix.rstrip('/')}/scim/v2/{match['public_id']}/")
        try:
            enterprise, error = _admit(request, match["public_id"])
            if error is None:
                request.scim_enterprise = enterprise
                response = self.get_response(request)
            else:
                request.scim_error = error
                response = error_response(error)
        finally:
            set_script_prefix(prefix)
        if enterprise is not None:
            _record(request, response, enterprise, rest, started)
        return response


# The same answer whether the enterprise exists or not, so endpoints cannot be probed.
UNAUTHORIZED = ScimError(
    401,
    "The bearer token is missing, revoked or not valid for this endpoint.",
    headers={"WWW-Authenticate": 'Bearer realm="plandisc-scim"'},
)


def _admit(request: HttpRequest, public_id: str) -> tuple[Enterprise | None, ScimError | None]:
    """The enterprise the request names (None if none), and why it may not reach the SCIM views (None if
    it may)."""
    try:
        public_id = uuid.UUID(public_id)
    except ValueError:
        return None, UNAUTHORIZED
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    token = None
    if scheme.lower() == "bearer" and raw.strip():
        token = services.scim_token_authenticate(public_id=public_id, raw=raw.strip())
        # Issue 13: an OAuth access token from the token endpoint (enterprise/oauth.py) is the second way
        # in; to be ported to the authentication stage's authenticator registry.
        if token is None:
            token = services.scim_access_token_authenticate(public_id=public_id, raw=raw.strip())
    if token is None:
        # Refused requests are still recorded for the enterprise, so its admin sees them.
        return Enterprise.objects.filter(public_id=public_id).first(), UNAUTHORIZED
    request.scim_credential = token.label  # Issue 13: activity says which credential a request used.
    return token.enterprise, _refusal(request, token.enterprise)


def _refusal(request: HttpRequest, enterprise: Enterprise) -> ScimError | None:
    if not enterprise.scim_enabled:
        return ScimError(
            403,
            "SCIM provisioning is turned off for this enterprise. An enterprise admin can "
            "turn it on in Plandisc, on the Enterprise page.",
        )
    limited = _rate_limited(enterprise)
    if limited:
        return ScimError(
            429,
            "Too many requests for this enterprise; retry after the indicated delay.",
            headers={"Retry-After": str(limited)},
        )
    length = request.headers.get("Content-Length") or "0"
    if not length.isdigit() or int(length) > settings.SCIM_MAX_BODY_BYTES:
        return ScimError(413, f"The request body is larger than {settings.SCIM_MAX_BODY_BYTES} bytes.")
    return None


def _rate_limited(enterprise: Enterprise) -> int:
    """Seconds until the enterprise may call again (0 when it may now). A fixed window per minute in the
    shared cache, so every worker on every host counts against the same limit."""
    now = int(time.time())
    count = _count(f"scim-rate:{enterprise.pk}:{now // 60}", timeout=120)
    return 0 if count <= settings.SCIM_RATE_LIMIT_PER_MINUTE else 60 - now % 60


def _count(key: str, timeout: int) -> int:
    """Add one to the counter `key` (created with `timeout`) and return it. On Redis this is one round trip;
    Django's cache API needs three (add, then incr, which first checks that the key exists)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        key = backend.make_and_validate_key(key)
        pipeline = backend._cache.get_client(key, write=True).pipeline(transaction=False)
        pipeline.set(key, 0, ex=timeout, nx=True)
        pipeline.incr(key)
        return pipeline.execute()[1]
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def _record(request: HttpRequest, response: HttpResponse, enterprise: Enterprise, rest: str, started: float):
    error = request.scim_error
    if error is None and response.status_code >= 400:
        error = _error_from_body(response)
    resource = RESOURCE_PATH.match(rest)
    resource_id = (resource["id"] or "") if resource else ""
    # Inside an outer transaction (tests do that), a savepoint keeps a failed insert from breaking it.
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    try:
        with savepoint:
            ProvisioningEvent.objects.create(
                enterprise=enterprise,
                created_at=timezone.now(),
                method=_text(request.method, 10),
                path=_text(rest, 255),
                resource_type=(resource["type"][:-1] if resource else ""),
                resource_id=_text(resource_id or getattr(request, "scim_resource_id", ""), 64),
                status=response.status_code,
                duration_ms=int((time.monotonic() - started) * 1000),
                scim_type=_text(getattr(error, "scim_type", None) or "", 32),
                detail=_text(getattr(error, "detail", "") or "", 500),
                user_agent=_text(request.headers.get("User-Agent", ""), 255),
                credential=getattr(request, "scim_credential", ""),  # Issue 13
            )
    except Exception:
        # Losing an activity row must never fail the identity provider's request.
        logger.exception("Could not record SCIM activity for enterprise %s", enterprise.pk)


def _text(value: str, limit: int) -> str:
    """`value` as a database can store it: error details echo what the client sent, NUL bytes and unpaired
    surrogates included, and PostgreSQL refuses both."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit]


def _error_from_body(response: HttpResponse) -> ScimError | None:
    try:
        body = json.loads(response.content or b"{}")
        return ScimError(response.status_code, body.get("detail", ""), body.get("scimType"))
    except (ValueError, AttributeError):
        return None

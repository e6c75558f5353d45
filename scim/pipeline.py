"""
The SCIM request pipeline, top to bottom, for every request under `/scim/v2/<enterprise public id>/`:

1. route: the path below the endpoint names a route (scim/resources.py) or nothing (a 404 kept for step 4);
2. authenticate: the bearer credential resolves to one enterprise, the one in the URL (scim/auth.py);
   without one, the request counts against the refused-requests budget (scim/limits.py);
3. admit: provisioning is on, the enterprise's rate limit has room, the body is not too large;
4. handle: the route's handler (scim/views.py), in one transaction when it writes (a user's creation, one
   INSERT, is one on its own);
5. answer: every refusal and failure on the way, a database or cache that is down included, is a SCIM
   error body (scim/errors.py); nothing here answers HTML;
6. record: one activity row (scim/activity.py) for an enterprise the request authenticated to or named.

It is the first middleware and answers SCIM requests itself: sessions, CSRF, messages and the single sign-on
session check never run for them.
"""

import logging
import re
import time
import uuid
from contextlib import nullcontext

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from enterprise.activity.batch import batch
from enterprise.activity.models import ProvisioningEvent
from enterprise.activity.services import provisioning_refusals_record
from enterprise.models import Enterprise
from plandisc.http import client_address
from scim import auth, limits, resources, views
from scim.activity import Action, Note
from scim.auth import Call, Credential
from scim.errors import ScimError, error_response

logger = logging.getLogger(__name__)

SCIM_PATH = re.compile(r"^/scim/v2/(?P<public_id>[^/]+)(?P<rest>/.*)?$")
READS = ("GET", "HEAD")

# The same answer whether the enterprise exists or not, so endpoints cannot be probed.
UNAUTHORIZED = ScimError(
    401,
    "The bearer token is missing, revoked or not valid for this endpoint.",
    headers={"WWW-Authenticate": 'Bearer realm="plandisc-scim"'},
)

# Where pages redirect to https, SCIM (whose every request carries a credential) is refused over plain http.
PLAIN_HTTP = ScimError(403, "SCIM is served over https only; use the https Tenant URL.")

TOO_MANY_REFUSED = ScimError(
    429, "Too many requests without a valid token; retry later.", headers={"Retry-After": "60"}
)


class ScimMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = SCIM_PATH.match(request.path_info)
        if match is None:
            return self.get_response(request)
        # SCIM speaks English whatever page this thread served last: its errors end up in Entra's logs, and
        # role names are matched and listed as Entra sends them.
        with translation.override(settings.LANGUAGE_CODE):
            return serve(request, match["public_id"], resources.normalize(match["rest"]))


class Refused(Exception):
    """A request stopped before its handler, with the enterprise to record it for (None: not recorded)."""

    def __init__(self, error: ScimError, enterprise: Enterprise | None):
        self.error, self.enterprise = error, enterprise


def serve(request: HttpRequest, public_id: str, path: str) -> HttpResponse:
    started = time.monotonic()
    route = resources.match(path)
    enterprise = credential = error = None
    note = Note()
    try:
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            raise Refused(PLAIN_HTTP, None)
        credential, wait = authenticate(request, public_id)
        enterprise = credential.enterprise
        admit(request, credential, wait)
        if isinstance(route, ScimError):
            raise route
        handler = views.handler(route, request.method)
        call = Call(request, credential, f"{_base_url()}/scim/v2/{public_id}/", note)
        if request.method in READS:
            response = handler(call, route)
        else:
            with _transaction(request, route):
                response = handler(call, route)
    except Refused as refused:
        error, enterprise = refused.error, refused.enterprise
    except ScimError as raised:
        error = raised
    except RequestDataTooBig:
        error = ScimError(413, "The request body is too large.")
    except DataError:
        error = ScimError(400, "A value does not fit what this service stores.", "invalidValue")
    except IntegrityError:
        error = ScimError(409, "The change conflicts with another resource.", "uniqueness")
    except DatabaseError:
        logger.exception("SCIM request failed in the database")
        error = limits.UNAVAILABLE
    except Exception:
        logger.exception("SCIM request failed")
        error = ScimError(500, "The request could not be completed.")
    if error is not None:
        response = error_response(error)
    # What CommonMiddleware would add: clients keep the connection open without chunked encoding.
    response["Content-Length"] = str(len(response.content))
    if enterprise is not None:
        record(request, response, enterprise, credential, path, route, error, note, started)
    return response


def authenticate(request: HttpRequest, public_id: str) -> tuple[Credential, int]:
    """The request's credential, for the enterprise whose public id is in the URL, and the seconds until that
    enterprise may call again (0: now; this request counted against its rate limit). Raises Refused."""
    try:
        public_id = uuid.UUID(public_id)
    except ValueError:
        raise Refused(UNAUTHORIZED, None) from None
    raw = auth.bearer(request.META.get("HTTP_AUTHORIZATION", ""))
    if raw is None:
        raise refuse(request, public_id)
    key = auth.credentials.key(public_id, raw)
    wait = None
    if auth.credentials.has(key):
        version, wait = limits.admit(public_id)
        credential = auth.credentials.get(key, version)
    else:
        version, credential = limits.credentials_version(public_id), None
    if credential is None:
        # The version was read before the database, so a change committed meanwhile invalidates the entry.
        credential = auth.authenticate(public_id, raw)
        if credential is None:
            raise refuse(request, public_id)
        auth.credentials.put(key, credential, version)
    if wait is None:
        _, wait = limits.admit(public_id)
    return credential, wait


def refuse(request: HttpRequest, public_id: uuid.UUID) -> Refused:
    """
    A request without a valid credential: 401, recorded for the enterprise the URL names, within the refused
    budget of the enterprise and of the client's address. Beyond it 429, and instead of a row each, one row
    per address and minute that counts them, brought up to date at most once a second.
    """
    address = client_address(request)
    over, count = limits.refuse(public_id, address)
    if not over:
        return Refused(UNAUTHORIZED, Enterprise.objects.filter(public_id=public_id).first())
    key, pk, due = limits.refused_row(public_id, address)
    if pk is None or (pk and due):
        # pk 0: the URL names no enterprise, so there is nothing to record, and nothing to look up again.
        enterprise = Enterprise.objects.filter(public_id=public_id).first()
        event = None
        if enterprise is not None:
            event = provisioning_refusals_record(
                event=ProvisioningEvent(pk=pk) if pk else None,
                enterprise=enterprise,
                address=address,
                refused=count,
            )
        cache.set(key, event.pk if event else 0, timeout=120)
    return Refused(TOO_MANY_REFUSED, None)


def admit(request: HttpRequest, credential: Credential, wait: int) -> None:
    if not credential.enterprise.scim_enabled:
        raise ScimError(
            403,
            "SCIM provisioning is turned off for this enterprise. An enterprise admin can "
            "turn it on in Plandisc, on the Enterprise page.",
        )
    if wait:
        raise ScimError(
            429,
            "Too many requests for this enterprise; retry after the indicated delay.",
            headers={"Retry-After": str(wait)},
        )
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit():
        raise ScimError(400, "The Content-Length header is not a number.", "invalidSyntax")
    if int(length) > settings.SCIM_MAX_BODY_BYTES:
        raise ScimError(413, f"The request body is larger than {settings.SCIM_MAX_BODY_BYTES} bytes.")


def _transaction(request: HttpRequest, route: resources.Route):
    """
    One transaction for a write. A user's creation, the most frequent write of a provisioning cycle, writes
    one row with one INSERT (member_create), a transaction of its own: it runs without the BEGIN
    and COMMIT round trips. In an outer transaction (tests run in one) it gets a savepoint, so that a
    refused INSERT leaves the outer one usable.
    """
    one_insert = route.kind == "resource" and route.resource_type is resources.USER and not route.id
    if request.method == "POST" and one_insert and not connection.in_atomic_block:
        return nullcontext()
    return transaction.atomic()


def _base_url() -> str:
    """Scheme and host of PLANDISC_BASE_URL: resource locations are absolute."""
    scheme, _, rest = settings.PLANDISC_BASE_URL.partition("://")
    return f"{scheme}://{rest.split('/')[0]}"


def record(
    request: HttpRequest,
    response: HttpResponse,
    enterprise: Enterprise,
    credential: Credential | None,
    path: str,
    route: resources.Route | ScimError,
    error: ScimError | None,
    note: Note,
    started: float,
) -> None:
    resource_type = (
        route.resource_type if isinstance(route, resources.Route) and route.kind == "resource" else None
    )
    resource_id = (route.id or "") if resource_type else ""
    if resource_type and not resource_id and response.status_code == 201:
        resource_id = response["Location"].rsplit("/", 1)[-1]
    if error is not None:
        # A failure says the plain reason the identity provider was given; the target stays if it was known.
        note.says(Action.FAILED, error.detail)
    text = ProvisioningEvent.storable  # what the client sent, as the columns can store it
    batch.add(
        dict(
            enterprise_id=enterprise.pk,
            created_at=timezone.now(),
            method=text(request.method, 10),
            path=text(path, 255),
            resource_type=resource_type.name if resource_type else "",
            resource_id=text(resource_id, 64),
            status=response.status_code,
            duration_ms=int((time.monotonic() - started) * 1000),
            scim_type=text(getattr(error, "scim_type", None) or "", 32),
            detail=text(getattr(error, "detail", "") or "", 500),
            user_agent=text(request.META.get("HTTP_USER_AGENT", ""), 255),
            credential=credential.label if credential else "",
            action=note.action or Action.READ,
            summary=text(note.summary or f"{request.method} {path}", 500),
            target_type=note.target_type,
            target_id=note.target_id,
            target_label=text(note.target_label, 255),
            facts=note.facts,
        )
    )

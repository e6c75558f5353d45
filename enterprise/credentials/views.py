"""
The OAuth 2.0 token endpoint of an enterprise's SCIM service: `POST /oauth/<enterprise public id>/token`
(Entra: Token Endpoint, or Token URL under federation).

RFC 6749 §4.4 client credentials. The client authenticates with a client secret, in the `Authorization:
Basic` header (client_secret_basic, §2.3.1) or in the form (client_secret_post), or with a JWT its identity
provider signed (RFC 7523 §2.2, workload identity federation). The answer is an access token for the
enterprise's SCIM endpoint (§5.1), or a §5.2 error. Why a request failed is recorded, in words, in the
enterprise's provisioning activity; the caller only learns the error code, so nobody can probe client ids.
"""

import base64
import binascii
import re
import time
import uuid
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from enterprise.activity.services import token_request_record
from enterprise.credentials import services
from enterprise.models import Enterprise
from plandisc.counters import cache_count
from plandisc.http import client_address

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_BODY_BYTES = 1024 * 1024
# RFC 6749 §3.3: scope tokens are printable ASCII except space, `"` and `\`, separated by spaces.
SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$")


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str, reason: str = "", basic: bool = False):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        # What the enterprise's admin reads in the activity; the caller gets `description`.
        self.reason = reason or description
        self.basic = basic


def _client_failure(reason: str, basic: bool) -> OAuthError:
    return OAuthError(401, "invalid_client", "Client authentication failed.", reason, basic)


@csrf_exempt
def token(request: HttpRequest, public_id: uuid.UUID) -> JsonResponse:
    started = time.monotonic()
    enterprise = Enterprise.objects.filter(public_id=public_id).first()
    credential = ""
    try:
        _check_budget(request, enterprise)
        fields = _read_form(request)
        grant_type = fields.get("grant_type")
        if not grant_type:
            raise OAuthError(400, "invalid_request", "grant_type is missing.")
        if grant_type != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "Only client_credentials is supported.")
        scope = fields.get("scope")
        if scope and not SCOPE.match(scope):
            raise OAuthError(400, "invalid_scope", "The scope has characters RFC 6749 does not allow.")
        secret, trust = _authenticate_client(request, enterprise, fields)
        credential = (secret or trust).label
        if not enterprise.scim_enabled:
            raise OAuthError(400, "invalid_grant", "SCIM provisioning is turned off for this enterprise.")
        access_token, raw = services.access_token_issue(enterprise=enterprise, secret=secret, trust=trust)
    except OAuthError as error:
        if error.status == 401:
            _spend_budget(request, enterprise)
        response = JsonResponse(
            {"error": error.error, "error_description": error.description}, status=error.status
        )
        if error.basic:
            response["WWW-Authenticate"] = 'Basic realm="plandisc-scim"'
        if error.status == 429:
            response["Retry-After"] = "60"
        if error.status == 405:
            response["Allow"] = "POST"
        detail = f"Token request refused: {error.reason}"
    else:
        body = {"access_token": raw, "token_type": "Bearer", "expires_in": enterprise.access_token_lifetime}
        if scope:
            body["scope"] = scope
        response = JsonResponse(body)
        detail = f"Access token issued, valid until {access_token.expires_at:%Y-%m-%d %H:%M} UTC."
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    if enterprise is not None:
        token_request_record(
            enterprise=enterprise,
            method=request.method,
            status=response.status_code,
            detail=detail,
            credential=credential,
            user_agent=request.headers.get("User-Agent", ""),
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    return response


def _read_form(request: HttpRequest) -> dict[str, str]:
    """The form fields of a POST body; never the query string (credentials there do not count)."""
    if request.method != "POST":
        raise OAuthError(405, "invalid_request", "Request a token with POST.")
    length = request.headers.get("Content-Length") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        raise OAuthError(413, "invalid_request", f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    content_type = request.content_type
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError(400, "invalid_request", "Send the request as application/x-www-form-urlencoded.")
    try:
        repeated = [name for name, values in request.POST.lists() if len(values) > 1]
    except TooManyFieldsSent:
        raise OAuthError(400, "invalid_request", "The request has too many fields.") from None
    if repeated:
        raise OAuthError(400, "invalid_request", f"{repeated[0]} is given more than once.")
    return request.POST.dict()


def _authenticate_client(request: HttpRequest, enterprise: Enterprise | None, fields: dict):
    """(client secret, None) or (None, federation trust) that authenticated the client."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    basic = scheme.lower() == "basic"
    methods = [basic, "client_secret" in fields, "client_assertion" in fields]
    if sum(methods) > 1:
        raise OAuthError(400, "invalid_request", "Use one client authentication method.", basic=basic)
    if enterprise is None:
        raise _client_failure("Unknown token endpoint.", basic)
    try:
        if basic:
            client_id, secret = _basic_credentials(encoded, basic)
            if fields.get("client_id", client_id) != client_id:
                raise _client_failure("client_id in the form is not the one in the Basic header.", basic)
            return services.oauth_client_authenticate_secret(
                enterprise=enterprise, client_id=client_id, raw=secret
            ), None
        if "client_secret" in fields:
            return services.oauth_client_authenticate_secret(
                enterprise=enterprise, client_id=fields.get("client_id", ""), raw=fields["client_secret"]
            ), None
        if "client_assertion" in fields:
            if fields.get("client_assertion_type") != ASSERTION_TYPE:
                raise _client_failure(f"client_assertion_type must be {ASSERTION_TYPE}.", basic)
            return None, services.oauth_client_authenticate_assertion(
                enterprise=enterprise,
                client_id=fields.get("client_id", ""),
                assertion=fields["client_assertion"],
            )
    except services.ClientRefused as refused:
        raise _client_failure(str(refused), basic) from None
    raise _client_failure("The request carries no client credentials.", basic)


def _basic_credentials(encoded: str, basic: bool) -> tuple[str, str]:
    """client id and secret from a Basic header; each may be form-encoded (RFC 6749 §2.3.1) or not, which
    reads the same for our ids and secrets (URL-safe characters only)."""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _client_failure("The Basic header is not base64 of client_id:client_secret.", basic) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise _client_failure("The Basic header is not base64 of client_id:client_secret.", basic)
    return unquote_plus(client_id), unquote_plus(secret)


def _budget_keys(request: HttpRequest, enterprise: Enterprise | None) -> list[str]:
    minute = int(time.time()) // 60
    keys = [f"oauth-fail:addr:{client_address(request)}:{minute}"]
    if enterprise is not None:
        keys.append(f"oauth-fail:ent:{enterprise.pk}:{minute}")
    return keys


def _check_budget(request: HttpRequest, enterprise: Enterprise | None) -> None:
    """Refuse (429) a caller or an enterprise that failed client authentication too often this minute, in
    the shared cache, so a flood of guesses is bounded on every worker and host together. The enterprise's
    budget is ten addresses' worth, so one noisy address cannot lock the enterprise's Entra out."""
    limit = settings.SCIM_TOKEN_FAILURES_PER_MINUTE
    counts = cache.get_many(_budget_keys(request, enterprise))
    for key, count in counts.items():
        if count >= (limit if ":addr:" in key else limit * 10):
            raise OAuthError(429, "temporarily_unavailable", "Too many failed attempts; retry in a minute.")


def _spend_budget(request: HttpRequest, enterprise: Enterprise | None) -> None:
    for key in _budget_keys(request, enterprise):
        cache_count(key, 120)

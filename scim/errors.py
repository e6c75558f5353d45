"""SCIM error bodies (RFC 7644 §3.12): every error this service answers has one of these."""

import orjson
from django.http import HttpResponse
from django_scim import exceptions
from django_scim.constants import SCIM_CONTENT_TYPE, SchemaURI


class ScimError(exceptions.SCIMException):
    """A django-scim2 exception whose body carries `status` as a string, as RFC 7644 asks."""

    status = 400

    def __init__(self, status: int, detail: str, scim_type: str | None = None, headers: dict | None = None):
        super().__init__(detail, status=status, scim_type=scim_type)
        self.headers = headers or {}

    def to_dict(self) -> dict:
        body = {"schemas": [SchemaURI.ERROR], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


def bad_request(detail: str, scim_type: str = "invalidValue") -> ScimError:
    return ScimError(400, detail, scim_type)


def not_found(resource: str, id_: str) -> ScimError:
    return ScimError(404, f"{resource} {id_} not found")


def scim_response(body: dict | None, status: int = 200, headers: dict | None = None) -> HttpResponse:
    content = orjson.dumps(body) if body is not None else b""
    response = HttpResponse(content, status=status, content_type=SCIM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: exceptions.SCIMException) -> HttpResponse:
    if not isinstance(error, ScimError):
        error = ScimError(error.status, error.detail, error.scim_type)
    return scim_response(error.to_dict(), status=error.status, headers=error.headers)

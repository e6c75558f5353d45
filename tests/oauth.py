"""Helpers for driving the OAuth token endpoint and using its access tokens, as Entra does."""

import base64

from django.test import Client

from enterprise.models import Enterprise

FORM = "application/x-www-form-urlencoded"


def token_url(enterprise: Enterprise) -> str:
    return f"/oauth/{enterprise.public_id}/token"


def basic(client_id: str, secret: str) -> str:
    """An `Authorization: Basic` value (client_secret_basic)."""
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def request_token(enterprise: Enterprise, body: str, authorization: str = ""):
    headers = {"Authorization": authorization} if authorization else {}
    return Client().post(token_url(enterprise), body, content_type=FORM, headers=headers)


def scim_status(enterprise: Enterprise, bearer: str) -> int:
    """The status of a user lookup at the enterprise's SCIM endpoint with `bearer`."""
    response = Client().get(
        f"/scim/v2/{enterprise.public_id}/Users", headers={"Authorization": f"Bearer {bearer}"}
    )
    return response.status_code


def issued(response, expires_in: int = 3600, scope: str | None = "scim") -> str:
    """The access token of an RFC 6749 §5.1 answer, after checking the answer is one."""
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store" and response["Pragma"] == "no-cache"
    body = response.json()
    expected = {"access_token": body["access_token"], "token_type": "Bearer", "expires_in": expires_in}
    assert body == (expected | {"scope": scope} if scope is not None else expected)
    assert body["access_token"].startswith("pdat_")
    return body["access_token"]

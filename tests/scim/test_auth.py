"""Who may call an enterprise's SCIM endpoint, and what everyone else gets."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.utils import timezone

from enterprise.credentials.services import scim_token_revoke, scim_token_rotate
from enterprise.services import enterprise_scim_toggle
from tests.scim import entra

pytestmark = pytest.mark.django_db


def error_body(response, status: int) -> dict:
    """The SCIM error body of `response`, after checking its status and shape."""
    assert response.status_code == status
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert body["schemas"] == [entra.ERROR] and body["status"] == str(status)
    return body


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer pdscim_not-a-real-token", "Basic dXNlcjpwYXNz", "bearer"],
    ids=["missing", "empty", "wrong", "basic", "scheme-only"],
)
def test_requests_without_a_valid_token_get_401_with_a_bearer_challenge(enterprise, scim, header):
    headers = {"Authorization": header} if header else {}
    response = Client().get(f"{scim.base}/Users", headers=headers)
    error_body(response, HTTPStatus.UNAUTHORIZED)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_token_is_accepted_in_any_scheme_case(scim):
    response = Client().get(f"{scim.base}/Users", headers={"Authorization": f"bearer {scim.token}"})
    assert response.status_code == HTTPStatus.OK


def test_a_token_of_another_enterprise_is_401(scim, other_scim):
    response = Client().get(f"{scim.base}/Users", headers={"Authorization": f"Bearer {other_scim.token}"})
    error_body(response, HTTPStatus.UNAUTHORIZED)


def test_an_unknown_enterprise_id_is_401_like_a_bad_token(scim):
    for public_id in ("2f1d9c2e-0000-4000-8000-000000000000", "contoso"):
        response = Client().get(
            f"/scim/v2/{public_id}/Users", headers={"Authorization": f"Bearer {scim.token}"}
        )
        error_body(response, HTTPStatus.UNAUTHORIZED)


def test_a_revoked_token_stops_at_once(scim, enterprise):
    token = enterprise.scim_tokens.get()
    scim_token_revoke(token=token)
    error_body(scim.get("/Users"), HTTPStatus.UNAUTHORIZED)


def test_after_rotation_the_old_token_works_until_the_new_one_is_used(scim, enterprise):
    old = scim.token
    _, new = scim_token_rotate(enterprise=enterprise)
    assert scim.get("/Users").status_code == HTTPStatus.OK
    scim.token = new
    assert scim.get("/Users").status_code == HTTPStatus.OK
    scim.token = old
    error_body(scim.get("/Users"), HTTPStatus.UNAUTHORIZED)


def test_after_rotation_the_old_token_ends_after_24_hours(scim, enterprise, monkeypatch):
    scim_token_rotate(enterprise=enterprise)
    later = timezone.now() + timedelta(hours=24, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    error_body(scim.get("/Users"), HTTPStatus.UNAUTHORIZED)


def test_using_a_token_marks_it_used(scim, enterprise):
    scim.get("/Users")
    assert enterprise.scim_tokens.get().last_used_at is not None


def test_provisioning_turned_off_answers_403_saying_so(scim, enterprise):
    enterprise_scim_toggle(enterprise=enterprise, enabled=False)
    body = error_body(scim.get(entra.TEST_CONNECTION), HTTPStatus.FORBIDDEN)
    assert "turned off" in body["detail"]
    enterprise_scim_toggle(enterprise=enterprise, enabled=True)
    assert scim.get(entra.TEST_CONNECTION).status_code == HTTPStatus.OK


def test_the_rate_limit_answers_429_with_retry_after(scim, settings):
    settings.SCIM_RATE_LIMIT_PER_MINUTE = 3
    for _ in range(3):
        assert scim.get(entra.TEST_CONNECTION).status_code == HTTPStatus.OK
    response = scim.get(entra.TEST_CONNECTION)
    error_body(response, HTTPStatus.TOO_MANY_REQUESTS)
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_rate_limit_is_per_enterprise(scim, other_scim, settings):
    settings.SCIM_RATE_LIMIT_PER_MINUTE = 1
    assert scim.get("/Users").status_code == HTTPStatus.OK
    assert scim.get("/Users").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert other_scim.get("/Users").status_code == HTTPStatus.OK


def test_a_body_over_the_limit_is_413(scim, settings, enterprise):
    settings.SCIM_MAX_BODY_BYTES = 1000
    body = entra.create_user(displayName="x" * 2000)
    error_body(scim.post("/Users", body), HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    assert not enterprise.members.exists()


def test_scim_ignores_sessions_and_csrf(scim, admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    # A signed-in admin's browser session is no SCIM credential...
    error_body(client.get(f"{scim.base}/Users"), HTTPStatus.UNAUTHORIZED)
    # ...and a token-authenticated POST needs no CSRF token.
    response = client.post(
        f"{scim.base}/Users",
        entra.create_user(),
        content_type="application/scim+json",
        headers={"Authorization": f"Bearer {scim.token}"},
    )
    assert response.status_code == HTTPStatus.CREATED

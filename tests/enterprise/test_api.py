"""The Enterprise page's JSON API: SCIM settings and status, rotate, revoke, toggle and activity."""

import json
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from enterprise.activity.models import AuditEvent
from enterprise.credentials.models import ScimToken
from enterprise.credentials.services import scim_token_rotate
from tests.conftest import ScimClient
from tests.factories import MemberFactory, ProvisioningEventFactory

pytestmark = pytest.mark.django_db

API = "/enterprise/contoso/api/scim/"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _post(client: Client, url: str, body: dict | None = None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_it_reads_the_scim_settings_and_status(admin_session, enterprise, settings):
    settings.PLANDISC_BASE_URL = "https://create.plandisc.com"
    token, _ = scim_token_rotate(enterprise=enterprise, actor=enterprise.admins.get())
    MemberFactory.create_batch(2, enterprise=enterprise)
    MemberFactory(enterprise=enterprise, active=False)
    event = ProvisioningEventFactory(enterprise=enterprise, created_at=timezone.now() - timedelta(minutes=5))

    response = admin_session.get(API)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "enterprise": "contoso",
        "scim_endpoint": f"https://create.plandisc.com/scim/v2/{enterprise.public_id}",
        "scim_enabled": True,
        "token_endpoint": f"https://create.plandisc.com/oauth/{enterprise.public_id}/token",
        "access_token_lifetime": 3600,
        "oauth": {
            "client_id": None,
            "client_secrets": [],
            "federation": None,
            "secret_warning": "",
            "last_token_request": None,
        },
        "tokens": [
            {
                "id": token.pk,
                "hint": token.hint,
                "created_at": _iso(token.created_at),
                "created_by": "admin@contoso.example",
                "last_used_at": None,
                "expires_at": None,
                "revoked_at": None,
                "revoked_by": None,
            }
        ],
        "status": {
            "last_request_at": _iso(event.created_at),
            "active_members": 2,
            "deactivated_members": 1,
            "groups": 0,
            "health": {"level": "ok", "text": "Healthy — last sync 5 minutes ago"},
        },
    }


def test_a_new_enterprise_has_no_tokens_and_no_requests(admin_session):
    body = admin_session.get(API).json()

    assert body["tokens"] == []
    assert body["status"]["last_request_at"] is None
    assert body["status"]["health"]["level"] == "waiting"


def test_rotate_returns_the_plaintext_once(admin_session, enterprise):
    response = _post(admin_session, API + "tokens/")
    body = response.json()
    token = ScimToken.objects.get()

    assert response.status_code == HTTPStatus.CREATED
    assert "no-store" in response["Cache-Control"]
    assert body["token"]["id"] == token.pk and body["token"]["hint"] == token.hint
    assert token.digest == ScimToken.digest_of(body["plaintext"])
    assert ScimClient(Client(), enterprise, body["plaintext"]).get("/Users").status_code == HTTPStatus.OK
    assert body["plaintext"] not in admin_session.get(API).text
    assert AuditEvent.objects.get().actor.username == "admin@contoso.example"


def test_rotating_lists_both_tokens_until_the_new_one_is_used(admin_session, enterprise):
    old = _post(admin_session, API + "tokens/").json()
    new = _post(admin_session, API + "tokens/").json()

    overlap = admin_session.get(API).json()["tokens"]
    ScimClient(Client(), enterprise, new["plaintext"]).get("/Users")
    after = admin_session.get(API).json()["tokens"]

    assert [t["id"] for t in overlap] == [new["token"]["id"], old["token"]["id"]]
    assert overlap[0]["expires_at"] is None and overlap[1]["expires_at"] is not None
    assert [t["id"] for t in after] == [new["token"]["id"]]


def test_revoke_ends_the_token_now(admin_session, enterprise):
    created = _post(admin_session, API + "tokens/").json()

    response = _post(admin_session, f"{API}tokens/{created['token']['id']}/revoke/")

    token = ScimToken.objects.get()
    assert response.status_code == HTTPStatus.OK
    assert response.json()["revoked_at"] == _iso(token.revoked_at)
    assert response.json()["revoked_by"] == "admin@contoso.example"
    assert (
        ScimClient(Client(), enterprise, created["plaintext"]).get("/Users").status_code
        == HTTPStatus.UNAUTHORIZED
    )
    assert admin_session.get(API).json()["tokens"] == []


def test_another_enterprises_token_is_not_found(admin_session, other_enterprise, other_scim):
    token = other_enterprise.scim_tokens.get()

    response = _post(admin_session, f"{API}tokens/{token.pk}/revoke/")

    token.refresh_from_db()
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "This enterprise has no such SCIM token."}
    assert token.revoked_at is None


def test_toggle_turns_provisioning_off_and_on(admin_session, enterprise, scim):
    off = _post(admin_session, API + "provisioning/", {"enabled": False})
    refused = scim.get("/Users").status_code
    on = _post(admin_session, API + "provisioning/", {"enabled": True})

    assert off.status_code == HTTPStatus.OK and off.json() == {
        "scim_enabled": False,
        "deactivated_members": 0,
    }
    assert refused == HTTPStatus.FORBIDDEN
    assert on.json() == {"scim_enabled": True, "deactivated_members": 0}
    assert scim.get("/Users").status_code == HTTPStatus.OK


def test_toggle_needs_an_explicit_json_choice(admin_session, enterprise):
    missing = _post(admin_session, API + "provisioning/", {})
    form = admin_session.post(API + "provisioning/", {})

    enterprise.refresh_from_db()
    assert missing.status_code == HTTPStatus.BAD_REQUEST
    assert missing.json() == {"enabled": ["This field is required."]}
    assert form.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert enterprise.scim_enabled is True


def test_activity_is_listed_newest_first_and_paged(admin_session, enterprise, other_enterprise):
    start = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    for i in range(51):
        ProvisioningEventFactory(enterprise=enterprise, created_at=start - timedelta(minutes=i + 1))
    ProvisioningEventFactory(
        enterprise=enterprise, created_at=start, status=409, scim_type="uniqueness", detail="Conflict."
    )
    ProvisioningEventFactory(enterprise=other_enterprise)

    # Read the next day: the activity shown is the retention window's (SCIM_ACTIVITY_RETENTION_DAYS) to now.
    with time_machine.travel(start + timedelta(days=1), tick=False):
        first = admin_session.get(API + "activity/").json()
        second = admin_session.get(API + "activity/", {"page": "2"}).json()
        errors = admin_session.get(API + "activity/", {"kind": "errors"}).json()

    assert first["count"] == 52 and len(first["results"]) == 50
    assert first["next"] == "http://testserver/enterprise/contoso/api/scim/activity/?page=2"
    assert first["previous"] is None
    assert first["results"][0] == {
        "created_at": "2026-03-10T14:00:00Z",
        "action": "",
        "summary": "",
        "target_type": "",
        "target_id": "",
        "target_label": "",
        "method": "GET",
        "path": "/Users",
        "resource_type": "User",
        "resource_id": "",
        "status": 409,
        "outcome": "client_error",
        "scim_type": "uniqueness",
        "detail": "Conflict.",
        "duration_ms": 12,
        "user_agent": "Azure AD SCIM Client",
        "credential": "",
    }
    assert [e["created_at"] for e in second["results"]] == ["2026-03-10T13:10:00Z", "2026-03-10T13:09:00Z"]
    assert errors["count"] == 1 and errors["results"][0]["detail"] == "Conflict."


def test_anonymous_callers_are_refused(client, enterprise):
    response = client.get(API)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize(
    "method,path", [("get", ""), ("post", "tokens/"), ("post", "provisioning/"), ("get", "activity/")]
)
def test_a_member_who_is_not_an_admin_is_refused(member_session, enterprise, method, path):
    response = getattr(member_session, method)(
        API + path, {"enabled": False} if method == "post" else None, content_type="application/json"
    )

    enterprise.refresh_from_db()
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {"detail": "You are not an admin of this enterprise."}
    assert not ScimToken.objects.exists() and enterprise.scim_enabled


def test_the_admin_of_contoso_cannot_use_fabrikams_api(admin_session, other_enterprise):
    read = admin_session.get("/enterprise/fabrikam/api/scim/")
    rotate = _post(admin_session, "/enterprise/fabrikam/api/scim/tokens/")
    toggle = _post(admin_session, "/enterprise/fabrikam/api/scim/provisioning/", {"enabled": False})

    other_enterprise.refresh_from_db()
    assert (read.status_code, rotate.status_code, toggle.status_code) == (HTTPStatus.FORBIDDEN,) * 3
    assert not other_enterprise.scim_tokens.exists() and other_enterprise.scim_enabled


def test_state_changes_need_the_csrf_token(enterprise, admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    client.get("/enterprise/contoso/")
    refused = _post(client, API + "tokens/")
    accepted = client.post(
        API + "tokens/",
        "{}",
        content_type="application/json",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )

    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert refused.json() == {"detail": "CSRF Failed: CSRF token missing."}
    assert accepted.status_code == HTTPStatus.CREATED

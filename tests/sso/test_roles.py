"""What a person may do follows Entra's app role, their groups and the admin's hand, on the next request."""

from http import HTTPStatus

from django.urls import reverse

from enterprise.activity.models import AuditEvent
from enterprise.directory.models import Group
from tests.scim import entra as entra_bodies
from tests.sso.conftest import entra_user, sign_in

ADA = "ada@contoso.example"
ROLE_TYPE = "WindowsAzureActiveDirectoryRole"


def _provision(scim, role: str | None) -> str:
    body = entra_user(ADA)
    body["roles"] = [{"primary": True, "type": ROLE_TYPE, "value": role}] if role else []
    response = scim.post("/Users", body)
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()["id"]


def _set_app_role(scim, scim_id: str, role: str) -> None:
    replace = {
        "op": "replace",
        "path": "roles",
        "value": [{"primary": True, "type": ROLE_TYPE, "value": role}],
    }
    response = scim.patch(f"/Users/{scim_id}", entra_bodies.patch(replace))
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.NO_CONTENT), response.content


def _me(client) -> list[dict]:
    response = client.get(reverse("enterprise:api-me"))
    assert response.status_code == HTTPStatus.OK
    return response.json()["enterprises"]


def test_the_landing_page_and_the_api_say_the_role_from_entra(scim, sso, entra):
    _provision(scim, "Viewer")
    browser = sign_in(sso, entra, ADA)

    page = browser.get(reverse("sso:signed-in")).content.decode()

    assert 'id="role">Viewer <small>(app role)</small>' in page
    assert "You can read the plans shared with you." in page
    assert _me(browser) == [
        {
            "slug": "contoso",
            "name": "Contoso",
            "role": "viewer",
            "role_from": "app role",
            "permissions": ["read_plans"],
        }
    ]


def test_an_admin_app_role_opens_the_enterprise_page_until_entra_makes_them_a_viewer(scim, sso, entra):
    ada = _provision(scim, "Admin")
    browser = sign_in(sso, entra, ADA)
    page = reverse("enterprise:detail", args=["contoso"])
    assert browser.get(page).status_code == HTTPStatus.OK

    _set_app_role(scim, ada, "Viewer")

    assert browser.get(page).status_code == HTTPStatus.FORBIDDEN
    assert _me(browser)[0]["role"] == "viewer"


def test_a_viewer_never_reaches_the_enterprise_page(scim, sso, entra):
    _provision(scim, "Viewer")
    browser = sign_in(sso, entra, ADA)

    assert browser.get(reverse("enterprise:detail", args=["contoso"])).status_code == HTTPStatus.FORBIDDEN
    assert browser.get(reverse("enterprise:api-scim", args=["contoso"])).status_code == HTTPStatus.FORBIDDEN


def test_a_group_role_set_on_the_page_applies_on_the_next_request_and_is_audited(
    scim, sso, entra, admin_session, enterprise
):
    ada = _provision(scim, "Viewer")
    group = scim.post("/Groups", entra_bodies.create_group()).json()
    scim.patch(
        f"/Groups/{group['id']}",
        entra_bodies.patch({"op": "Add", "path": "members", "value": [{"value": ada}]}),
    )
    browser = sign_in(sso, entra, ADA)

    response = admin_session.post(
        reverse("enterprise:group-role", args=["contoso", group["id"]]), {"role": "editor"}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert Group.objects.get(scim_id=group["id"]).role == "editor"
    name = group["displayName"]
    assert _me(browser) == [
        {
            "slug": "contoso",
            "name": "Contoso",
            "role": "editor",
            "role_from": f"group {name}",
            "permissions": ["read_plans", "edit_plans"],
        }
    ]
    details = list(enterprise.audit_events.order_by("id").values_list("action", "detail"))
    assert (AuditEvent.Action.ROLE_CHANGED, f"{ADA} is now Editor (group {name})") in details
    assert (AuditEvent.Action.GROUP_ROLE_CHANGED, f"Group {name} gives Editor") in details


def test_a_role_by_hand_on_the_members_page_applies_and_is_shown_with_its_source(
    scim, sso, entra, admin_session, enterprise
):
    ada = _provision(scim, None)
    browser = sign_in(sso, entra, ADA)
    assert browser.get(reverse("enterprise:detail", args=["contoso"])).status_code == HTTPStatus.FORBIDDEN

    admin_session.post(reverse("enterprise:member-role", args=["contoso", ada]), {"role": "admin"})

    assert browser.get(reverse("enterprise:detail", args=["contoso"])).status_code == HTTPStatus.OK
    members = admin_session.get(reverse("enterprise:members", args=["contoso"])).content.decode()
    assert "Admin <small>(by hand)</small>" in members
    audit = enterprise.audit_events.get(action=AuditEvent.Action.ROLE_CHANGED)
    assert (audit.detail, audit.done_by) == (f"{ADA} is now Admin (by hand)", "admin@contoso.example")


def test_a_role_by_hand_beyond_the_seats_is_refused_on_the_page(scim, admin_session, enterprise):
    ada = _provision(scim, "Viewer")
    assert scim.post("/Users", entra_user("bo@contoso.example")).status_code == HTTPStatus.CREATED
    enterprise.seats = 1
    enterprise.save()

    response = admin_session.post(
        reverse("enterprise:member-role", args=["contoso", ada]), {"role": "editor"}, follow=True
    )

    assert "Plandisc has no free Editor seat: 1 of 1 used." in response.content.decode()
    assert enterprise.members.get(scim_id=ada).role_by_hand == ""


def test_a_role_never_reaches_an_account_another_enterprise_owns(
    scim, other_scim, sso, other_sso, entra, fabrikam_entra
):
    _provision(other_scim, "Admin")
    _provision(scim, "Admin")
    contoso_browser = sign_in(sso, entra, ADA)
    fabrikam_browser = sign_in(other_sso, fabrikam_entra, ADA)

    assert [e["slug"] for e in _me(contoso_browser)] == ["contoso"]
    assert [e["slug"] for e in _me(fabrikam_browser)] == ["fabrikam"]
    assert (
        fabrikam_browser.get(reverse("enterprise:detail", args=["contoso"])).status_code
        == HTTPStatus.FORBIDDEN
    )


def test_the_default_role_is_chosen_on_the_page(scim, sso, entra, admin_session, enterprise):
    _provision(scim, None)
    browser = sign_in(sso, entra, ADA)
    assert _me(browser)[0]["role"] == "editor"

    admin_session.post(reverse("enterprise:default-role", args=["contoso"]), {"role": "viewer"})

    assert _me(browser)[0] == {
        "slug": "contoso",
        "name": "Contoso",
        "role": "viewer",
        "role_from": "default role",
        "permissions": ["read_plans"],
    }
    assert enterprise.audit_events.filter(
        action=AuditEvent.Action.DEFAULT_ROLE_CHANGED, detail="Viewer"
    ).exists()

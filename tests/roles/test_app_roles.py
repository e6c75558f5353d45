"""Entra's app roles, in every shape it sends them, decide what each person may do (entra-scim.md §2.4 g)."""

from http import HTTPStatus

import pytest

from enterprise.activity.models import AuditEvent
from enterprise.directory.models import Member
from enterprise.roles.selectors import member_roles
from tests.factories import GroupFactory, GroupMembershipFactory
from tests.scim import entra

ROLE_TYPE = "WindowsAzureActiveDirectoryRole"


def _role_of(user_name: str) -> tuple[str, str]:
    member = Member.objects.select_related("enterprise").get(user_name=user_name)
    role = member_roles([member])[member.pk]
    return (role.role.value if role.role else "", role.source)


def _create(scim, user_name: str, roles: list) -> dict:
    response = scim.post("/Users", entra.create_user(user_name, roles=roles))
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


@pytest.mark.parametrize("primary", [True, "True"], ids=["boolean", "validator string"])
def test_single_app_role_assignment_on_post_gives_the_role(scim, primary):
    body = _create(scim, "bo@contoso.com", [{"primary": primary, "type": ROLE_TYPE, "value": "Viewer"}])

    assert body["roles"] == [{"primary": True, "type": ROLE_TYPE, "value": "Viewer"}]
    assert _role_of("bo@contoso.com") == ("viewer", "app role")
    assert scim.get(f"/Users/{body['id']}").json()["roles"] == body["roles"]


def test_no_role_or_default_access_gives_the_default_role(scim, enterprise):
    _create(scim, "ann@contoso.com", [])
    _create(scim, "msiam@contoso.com", [{"primary": True, "type": ROLE_TYPE, "value": "msiam_access"}])
    _create(
        scim, "user@contoso.com", [{"primary": False, "type": ROLE_TYPE, "display": "User", "value": "User"}]
    )

    assert {_role_of(n) for n in ("ann@contoso.com", "msiam@contoso.com", "user@contoso.com")} == {
        ("editor", "default role")
    }
    enterprise.default_role = "viewer"
    enterprise.save()
    assert _role_of("ann@contoso.com") == ("viewer", "default role")


def test_patch_add_with_the_role_as_a_json_string_gives_the_role(scim):
    user = _create(scim, "bo@contoso.com", [])
    inner = '{"id":"06b07648-ecfe-589f-9d2f-6325724a46ee","value":"Admin","displayName":"Admin"}'

    response = scim.patch(
        f"/Users/{user['id']}", entra.patch({"op": "Add", "path": "roles", "value": [{"value": inner}]})
    )

    assert response.status_code in (HTTPStatus.OK, HTTPStatus.NO_CONTENT), response.content
    assert scim.get(f"/Users/{user['id']}").json()["roles"] == [{"value": "Admin", "display": "Admin"}]
    assert _role_of("bo@contoso.com") == ("admin", "app role")


def test_assertive_replace_of_roles_sets_the_whole_list_and_an_empty_list_means_none(scim):
    user = _create(scim, "bo@contoso.com", [{"primary": True, "type": ROLE_TYPE, "value": "Admin"}])
    replace = {
        "op": "replace",
        "path": "roles",
        "value": [{"primary": False, "type": ROLE_TYPE, "display": "Viewer", "value": "Viewer"}],
    }

    scim.patch(f"/Users/{user['id']}", entra.patch(replace))
    assert _role_of("bo@contoso.com") == ("viewer", "app role")

    scim.patch(f"/Users/{user['id']}", entra.patch({"op": "replace", "path": "roles", "value": []}))
    assert _role_of("bo@contoso.com") == ("editor", "default role")
    assert "roles" not in scim.get(f"/Users/{user['id']}").json()


def test_the_primary_role_path_replaces_the_value(scim):
    user = _create(scim, "bo@contoso.com", [{"primary": True, "type": ROLE_TYPE, "value": "Viewer"}])

    op = {"op": "Replace", "path": 'roles[primary eq "True"].value', "value": "Editor"}
    response = scim.patch(f"/Users/{user['id']}", entra.patch(op))

    assert response.status_code in (HTTPStatus.OK, HTTPStatus.NO_CONTENT), response.content
    assert _role_of("bo@contoso.com") == ("editor", "app role")


def test_several_roles_give_the_highest(scim):
    _create(
        scim,
        "bo@contoso.com",
        [{"type": ROLE_TYPE, "value": "Viewer"}, {"type": ROLE_TYPE, "value": "Admin"}, {"value": "User"}],
    )
    assert _role_of("bo@contoso.com") == ("admin", "app role")


def test_oktas_roles_shape_gives_the_role(scim):
    body = {
        "schemas": [entra.USER_SCHEMA],
        "userName": "okta.user@contoso.com",
        "name": {"givenName": "Okta", "familyName": "User"},
        "emails": [{"primary": True, "value": "okta.user@contoso.com", "type": "work"}],
        "active": True,
        "roles": [{"value": "editor", "display": "Editor", "primary": True}],
    }
    assert scim.post("/Users", body).status_code == HTTPStatus.CREATED
    assert _role_of("okta.user@contoso.com") == ("editor", "app role")


def test_an_unknown_role_is_refused_naming_the_accepted_values_and_nothing_is_written(scim, enterprise):
    response = scim.post(
        "/Users", entra.create_user("bo@contoso.com", roles=[{"primary": True, "value": "Owner"}])
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["schemas"] == [entra.ERROR] and body["status"] == "400" and body["scimType"] == "invalidValue"
    assert "Plandisc has no role 'Owner'. Its roles are Viewer, Editor, Admin" in body["detail"]
    assert not Member.objects.exists()
    failed = enterprise.provisioning_events.get(method="POST")
    assert failed.status == 400 and "no role 'Owner'" in failed.summary


def test_an_unknown_role_in_a_patch_leaves_the_member_as_it_was(scim):
    user = _create(scim, "bo@contoso.com", [{"primary": True, "type": ROLE_TYPE, "value": "Viewer"}])

    op = {
        "op": "Add",
        "path": "roles",
        "value": [{"value": '{"id":"x","value":"Owner","displayName":"Owner"}'}],
    }
    response = scim.patch(f"/Users/{user['id']}", entra.patch(op))

    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["scimType"] == "invalidValue"
    assert _role_of("bo@contoso.com") == ("viewer", "app role")


def test_a_role_change_is_a_sentence_in_the_activity_and_an_audit_event(scim, enterprise):
    user = _create(scim, "bo@contoso.com", [{"primary": True, "type": ROLE_TYPE, "value": "Editor"}])

    replace = {
        "op": "replace",
        "path": "roles",
        "value": [{"primary": True, "type": ROLE_TYPE, "value": "Viewer"}],
    }
    scim.patch(f"/Users/{user['id']}", entra.patch(replace))

    event = enterprise.provisioning_events.filter(method="PATCH").get()
    assert event.summary == "Updated bo@contoso.com: roles; bo@contoso.com is now Viewer (app role)"
    audit = enterprise.audit_events.get(action=AuditEvent.Action.ROLE_CHANGED)
    assert (audit.detail, audit.done_by) == (
        "bo@contoso.com is now Viewer (app role)",
        "your identity provider (SCIM)",
    )


def test_a_group_role_and_a_role_by_hand_count_and_the_highest_wins(scim, enterprise):
    _create(scim, "bo@contoso.com", [{"primary": True, "type": ROLE_TYPE, "value": "Viewer"}])
    bo = Member.objects.get(user_name="bo@contoso.com")
    GroupMembershipFactory(
        group=GroupFactory(enterprise=enterprise, display_name="Planners", role="editor"), member=bo
    )
    assert _role_of("bo@contoso.com") == ("editor", "group Planners")

    bo.role_by_hand = "admin"
    bo.save()
    assert _role_of("bo@contoso.com") == ("admin", "by hand")


def test_schemas_list_roles_with_their_canonical_values(scim):
    schemas = scim.get("/Schemas").json()["Resources"]
    user = next(s for s in schemas if s["id"] == entra.USER_SCHEMA)
    roles = next(a for a in user["attributes"] if a["name"] == "roles")
    value = next(s for s in roles["subAttributes"] if s["name"] == "value")
    assert value["canonicalValues"] == ["Viewer", "Editor", "Admin"]

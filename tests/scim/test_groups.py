"""Entra's group traffic (entra-scim.md §2.7): create, match, membership PATCH in both dialects, delete."""

from http import HTTPStatus

import pytest

from enterprise.directory.models import Group, GroupMembership
from tests.scim import entra

pytestmark = pytest.mark.django_db

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture
def users(scim) -> list[str]:
    return [
        scim.post("/Users", entra.create_user(f"user{n}@contoso.com", externalId=f"u{n}")).json()["id"]
        for n in range(4)
    ]


@pytest.fixture
def group(scim) -> dict:
    response = scim.post("/Groups", entra.create_group())
    assert response.status_code == HTTPStatus.CREATED
    return response.json()


def _member_ids(scim, group) -> list[str]:
    return [m["value"] for m in scim.get(f"/Groups/{group['id']}").json().get("members", [])]


def _add(*ids: str) -> dict:
    return entra.patch(
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": id_} for id_ in ids]}
    )


def test_create_with_microsofts_extra_schema_answers_201_with_no_members(scim, enterprise, group):
    stored = Group.objects.get(enterprise=enterprise)
    assert group == {
        "schemas": [GROUP_SCHEMA],
        "id": str(stored.scim_id),
        "displayName": "displayName",
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "members": [],
        "meta": {
            "resourceType": "Group",
            "created": group["meta"]["created"],
            "lastModified": group["meta"]["lastModified"],
            "location": f"http://127.0.0.1:8000/scim/v2/{enterprise.public_id}/Groups/{stored.scim_id}",
            "version": 'W/"1"',
        },
    }


def test_test_connection_group_probe_is_an_empty_list(scim):
    response = scim.get('/Groups?excludedAttributes=members&filter=displayName eq "0db508eb-91e2-46e4-809c"')
    assert response.status_code == HTTPStatus.OK
    assert response.json()["totalResults"] == 0 and response.json()["Resources"] == []


def test_match_query_is_case_insensitive_and_never_returns_members(scim, group, users):
    scim.patch(f"/Groups/{group['id']}", _add(*users))
    response = scim.get("/Groups?excludedAttributes=members&filter=displayName+eq+%22DISPLAYNAME%22")

    assert response.json()["totalResults"] == 1
    [found] = response.json()["Resources"]
    assert "members" not in found
    assert found["id"] == group["id"] and found["displayName"] == "displayName"


def test_read_by_id_excluding_members_does_not_load_them(scim, group, users, django_assert_max_num_queries):
    scim.patch(f"/Groups/{group['id']}", _add(*users))
    with django_assert_max_num_queries(8) as captured:
        response = scim.get(f"/Groups/{group['id']}?excludedAttributes=members")
    assert "members" not in response.json()
    assert not any("groupmembership" in q["sql"].lower() for q in captured.captured_queries)


def test_a_duplicate_display_name_in_another_case_is_409(scim, group):
    response = scim.post("/Groups", entra.create_group("DISPLAYNAME") | {"externalId": "other"})
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["scimType"] == "uniqueness"
    assert response.json()["detail"] == "A group with displayName 'DISPLAYNAME' already exists."


def test_adding_several_members_in_one_patch_answers_204_and_is_idempotent(scim, group, users):
    response = scim.patch(f"/Groups/{group['id']}", _add(*users[:3]))
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.content == b""
    assert scim.patch(f"/Groups/{group['id']}", _add(*users[:3])).status_code == HTTPStatus.NO_CONTENT

    assert sorted(_member_ids(scim, group)) == sorted(users[:3])
    assert GroupMembership.objects.filter(group__scim_id=group["id"]).count() == 3


def test_members_are_listed_with_references(scim, enterprise, group, users):
    scim.patch(f"/Groups/{group['id']}", _add(users[0]))
    assert scim.get(f"/Groups/{group['id']}").json()["members"] == [
        {
            "value": users[0],
            "$ref": f"http://127.0.0.1:8000/scim/v2/{enterprise.public_id}/Users/{users[0]}",
            "type": "User",
            "display": "user0@contoso.com",
        }
    ]


def test_legacy_remove_with_a_value_list_removes_only_those(scim, group, users):
    scim.patch(f"/Groups/{group['id']}", _add(*users))
    body = entra.patch(
        {"op": "Remove", "path": "members", "value": [{"value": users[0]}, {"value": users[2]}]}
    )

    assert scim.patch(f"/Groups/{group['id']}", body).status_code == HTTPStatus.NO_CONTENT
    assert sorted(_member_ids(scim, group)) == sorted([users[1], users[3]])


def test_rfc_remove_with_a_value_filter_removes_one(scim, group, users):
    scim.patch(f"/Groups/{group['id']}", _add(*users))
    body = entra.patch({"op": "remove", "path": f'members[value eq "{users[1]}"]'})

    assert scim.patch(f"/Groups/{group['id']}", body).status_code == HTTPStatus.NO_CONTENT
    assert sorted(_member_ids(scim, group)) == sorted([users[0], users[2], users[3]])


def test_remove_members_without_a_value_clears_the_group(scim, group, users):
    scim.patch(f"/Groups/{group['id']}", _add(*users))
    scim.patch(f"/Groups/{group['id']}", entra.patch({"op": "Remove", "path": "members"}))
    assert _member_ids(scim, group) == []


def test_replace_members_sets_exactly_the_list(scim, group, users):
    scim.patch(f"/Groups/{group['id']}", _add(*users[:2]))
    body = entra.patch({"op": "replace", "path": "members", "value": [{"value": users[3]}]})
    scim.patch(f"/Groups/{group['id']}", body)
    assert _member_ids(scim, group) == [users[3]]


def test_add_then_remove_of_the_same_member_in_one_patch(scim, group, users):
    body = entra.patch(
        {"op": "add", "path": "members", "value": [{"value": users[0]}]},
        {"op": "remove", "path": f'members[value eq "{users[0]}"]'},
    )
    assert scim.patch(f"/Groups/{group['id']}", body).status_code == HTTPStatus.NO_CONTENT
    assert _member_ids(scim, group) == []


@pytest.mark.parametrize(
    "body",
    [
        entra.patch({"op": "Replace", "path": "displayName", "value": "1879db59updatedDisplayName"}),
        entra.patch({"op": "replace", "value": {"displayName": "1879db59updatedDisplayName"}}),
    ],
    ids=["path", "pathless"],
)
def test_display_name_replace_with_and_without_path(scim, enterprise, group, body):
    assert scim.patch(f"/Groups/{group['id']}", body).status_code == HTTPStatus.NO_CONTENT
    assert Group.objects.get(enterprise=enterprise).display_name == "1879db59updatedDisplayName"
    assert scim.get(f"/Groups/{group['id']}").json()["meta"]["version"] == 'W/"2"'


def test_pathless_replace_of_external_id(scim, enterprise, group):
    scim.patch(f"/Groups/{group['id']}", entra.patch({"op": "replace", "value": {"externalId": "new-ext"}}))
    assert Group.objects.get(enterprise=enterprise).external_id == "new-ext"


def test_a_member_of_another_enterprise_is_refused_and_the_group_is_unchanged(scim, other_scim, group, users):
    stranger = other_scim.post("/Users", entra.create_user("stranger@fabrikam.com")).json()["id"]
    response = scim.patch(f"/Groups/{group['id']}", _add(users[0], stranger))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["scimType"] == "invalidValue"
    assert stranger in response.json()["detail"]
    assert _member_ids(scim, group) == []


@pytest.mark.parametrize("value", ["5a4b0e4e-0000-4000-8000-000000000000", "not-a-uuid"])
def test_an_unknown_member_is_refused(scim, group, users, value):
    response = scim.patch(f"/Groups/{group['id']}", _add(users[0], value))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert _member_ids(scim, group) == []


def test_deleting_a_user_removes_it_from_groups(scim, group, users):
    scim.patch(f"/Groups/{group['id']}", _add(*users[:2]))
    scim.delete(f"/Users/{users[0]}")
    assert _member_ids(scim, group) == [users[1]]


def test_a_users_groups_are_listed_on_the_user(scim, group, users):
    scim.patch(f"/Groups/{group['id']}", _add(users[0]))
    assert scim.get(f"/Users/{users[0]}").json()["groups"] == [
        {"value": group["id"], "$ref": group["meta"]["location"], "display": "displayName", "type": "direct"}
    ]


def test_filter_groups_by_member(scim, group, users):
    scim.patch(f"/Groups/{group['id']}", _add(users[0], users[1]))
    found = scim.get(f'/Groups?filter=id eq "{group["id"]}" and members[value eq "{users[1]}"]').json()
    assert found["totalResults"] == 1
    assert scim.get(f'/Groups?filter=members[value eq "{users[2]}"]').json()["totalResults"] == 0


def test_delete_answers_204_then_404(scim, group, users):
    scim.patch(f"/Groups/{group['id']}", _add(*users))
    assert scim.delete(f"/Groups/{group['id']}").status_code == HTTPStatus.NO_CONTENT
    assert scim.get(f"/Groups/{group['id']}").status_code == HTTPStatus.NOT_FOUND
    assert scim.delete(f"/Groups/{group['id']}").status_code == HTTPStatus.NOT_FOUND
    assert not GroupMembership.objects.exists()


def test_put_replaces_the_group_and_its_members(scim, enterprise, group, users):
    scim.patch(f"/Groups/{group['id']}", _add(users[0]))
    body = {"schemas": [GROUP_SCHEMA], "displayName": "Renamed", "members": [{"value": users[2]}]}
    response = scim.put(f"/Groups/{group['id']}", body)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["displayName"] == "Renamed"
    assert "externalId" not in response.json()
    assert [m["value"] for m in response.json()["members"]] == [users[2]]

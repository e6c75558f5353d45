"""Okta's shapes: PUT of the whole user, path-less replace of active, answered 200 with the user."""

from http import HTTPStatus

import pytest

from enterprise.directory.models import Member
from tests.scim import entra

pytestmark = pytest.mark.django_db

OKTA_CREATE = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "isaac.brock@example.com",
    "name": {"givenName": "Isaac", "familyName": "Brock"},
    "emails": [{"primary": True, "value": "isaac.brock@example.com", "type": "work"}],
    "displayName": "Isaac Brock",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}


@pytest.fixture
def user(scim) -> dict:
    response = scim.post("/Users", OKTA_CREATE)
    assert response.status_code == HTTPStatus.CREATED
    return response.json()


def test_the_password_okta_sends_is_never_stored_or_returned(scim, user, enterprise):
    assert "password" not in user
    assert "1mz050nq" not in str(Member.objects.get(enterprise=enterprise).profile)


def test_deactivate_with_a_pathless_replace(scim, user, enterprise):
    body = {"schemas": [entra.PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}
    response = scim.patch(f"/Users/{user['id']}", body)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {**user, "active": False, "meta": response.json()["meta"]}
    assert Member.objects.get(enterprise=enterprise).active is False


def test_put_replaces_the_whole_user(scim, user, enterprise):
    body = {**OKTA_CREATE, "id": user["id"], "name": {"givenName": "Isaac"}, "active": False}
    del body["locale"]
    response = scim.put(f"/Users/{user['id']}", body)

    assert response.status_code == HTTPStatus.OK
    updated = response.json()
    assert updated["name"] == {"givenName": "Isaac"}
    assert "locale" not in updated and updated["active"] is False
    assert updated["meta"]["version"] == 'W/"2"'
    member = Member.objects.get(enterprise=enterprise)
    assert (member.family_name, member.active) == ("", False)


def test_put_to_the_same_user_name_in_another_case_is_allowed(scim, user):
    response = scim.put(f"/Users/{user['id']}", {**OKTA_CREATE, "userName": "Isaac.Brock@example.com"})
    assert response.status_code == HTTPStatus.OK
    assert response.json()["userName"] == "Isaac.Brock@example.com"


def test_okta_paging_with_count_100(scim, user):
    body = scim.get("/Users", {"startIndex": 1, "count": 100}).json()
    assert body["totalResults"] == 1 and body["itemsPerPage"] == 1

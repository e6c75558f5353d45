"""What Microsoft's reference Postman collection (AzureAD/SCIMReferenceCode) and its 2026 gallery validation
send, literally, for two points where the service used to trip: a shared externalId, and clearing the work
email."""

from http import HTTPStatus

import pytest

from enterprise.directory.models import Member
from tests.scim import entra

pytestmark = pytest.mark.django_db

EXTERNAL_ID = "9d9a4f1a-6cf1-4c4b-9a3b-1f0e0c2f6e11"

# The collection's "Post User" and "Post EnterpriseUser" bodies, with one externalId between them.
POST_USER = {
    "userName": "UserName123",
    "active": True,
    "displayName": "BobIsAmazing",
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "externalId": EXTERNAL_ID,
    "name": {"formatted": "Ryan Leenay", "familyName": "Leenay", "givenName": "Ryan"},
    "emails": [
        {"Primary": True, "type": "work", "value": "testing@bob.com"},
        {"Primary": False, "type": "home", "value": "testinghome@bob.com"},
    ],
}
POST_ENTERPRISE_USER = {
    "userName": "UserName222",
    "active": True,
    "displayName": "lennay",
    "schemas": [
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:User",
    ],
    "externalId": EXTERNAL_ID,
    "name": {"formatted": "Adrew Ryan", "familyName": "Ryan", "givenName": "Andrew"},
    "emails": [
        {"Primary": True, "type": "work", "value": "testing@bob2.com"},
        {"Primary": False, "type": "home", "value": "testinghome@bob3.com"},
    ],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"Department": "bob"},
}


def test_several_users_with_one_external_id_are_each_created(scim, enterprise):
    first = scim.post("/Users", POST_USER)
    second = scim.post("/Users", POST_ENTERPRISE_USER)

    assert (first.status_code, second.status_code) == (HTTPStatus.CREATED, HTTPStatus.CREATED)
    assert first.json()["externalId"] == second.json()["externalId"] == EXTERNAL_ID
    assert Member.objects.filter(enterprise=enterprise, external_id=EXTERNAL_ID).count() == 2


def test_a_filter_on_a_shared_external_id_returns_every_match(scim):
    ids = {scim.post("/Users", body).json()["id"] for body in (POST_USER, POST_ENTERPRISE_USER)}
    response = scim.get("/Users", {"filter": f'externalId eq "{EXTERNAL_ID}"'})

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["totalResults"] == 2
    assert {resource["id"] for resource in body["Resources"]} == ids


def test_a_group_external_id_may_be_shared_too(scim):
    for name in ("Sales", "Marketing"):
        response = scim.post("/Groups", entra.create_group(name) | {"externalId": EXTERNAL_ID})
        assert response.status_code == HTTPStatus.CREATED


@pytest.mark.parametrize("cleared", ["", None], ids=["empty-string", "null"])
@pytest.mark.parametrize(
    "operation",
    [
        lambda cleared: {"op": "replace", "path": 'emails[type eq "work"].value', "value": cleared},
        lambda cleared: {"op": "Replace", "value": {'emails[type eq "work"].value': cleared}},
    ],
    ids=["path", "pathless"],
)
def test_clearing_the_work_email_removes_the_entry(scim, enterprise, operation, cleared):
    created = scim.post("/Users", entra.create_user()).json()
    response = scim.patch(f"/Users/{created['id']}", entra.patch(operation(cleared)))

    assert response.status_code == HTTPStatus.OK
    assert "emails" not in response.json()
    assert "emails" not in scim.get(f"/Users/{created['id']}").json()
    member = Member.objects.get(enterprise=enterprise)
    assert (member.email, member.email_type) == ("", "")
    assert "emails" not in member.profile


def test_clearing_the_work_email_keeps_the_other_emails(scim, enterprise):
    created = scim.post("/Users", POST_USER).json()
    response = scim.patch(
        f"/Users/{created['id']}",
        entra.patch({"op": "replace", "path": 'emails[type eq "work"].value', "value": ""}),
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json()["emails"] == [{"primary": False, "type": "home", "value": "testinghome@bob.com"}]

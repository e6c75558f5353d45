"""Microsoft Entra ID's user traffic, request by request, in both dialects (entra-scim.md §2)."""

from http import HTTPStatus

import pytest

from enterprise.directory.models import Member
from tests.scim import entra

pytestmark = pytest.mark.django_db

CONTENT_TYPE = "application/scim+json"


def _created(scim, body=None) -> dict:
    response = scim.post("/Users", body or entra.create_user())
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def test_test_connection_gets_an_empty_list_response(scim):
    response = scim.get(entra.TEST_CONNECTION)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == CONTENT_TYPE
    assert response.json() == {
        "schemas": [entra.LIST],
        "totalResults": 0,
        "Resources": [],
        "startIndex": 1,
        "itemsPerPage": 0,
    }


def test_create_answers_201_with_the_full_resource_location_and_version(scim, enterprise):
    response = scim.post("/Users", entra.create_user())

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    member = Member.objects.get(enterprise=enterprise)
    location = f"http://127.0.0.1:8000/scim/v2/{enterprise.public_id}/Users/{member.scim_id}"
    assert response["Location"] == location
    assert response["ETag"] == 'W/"1"'
    assert body == {
        "schemas": [entra.USER_SCHEMA],
        "id": str(member.scim_id),
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        "active": True,
        "emails": [
            {
                "primary": True,
                "type": "work",
                "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
            }
        ],
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "meta": {
            "resourceType": "User",
            "created": body["meta"]["created"],
            "lastModified": body["meta"]["lastModified"],
            "location": location,
            "version": 'W/"1"',
        },
    }
    assert member.user_name == "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"
    assert member.email == "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"
    assert member.given_name == "givenName" and member.active


def test_create_tolerates_nulls_string_booleans_and_unknown_schema_uris(scim, enterprise):
    body = _created(scim, entra.CREATE_USER_WITH_NULLS)

    assert body["active"] is True
    assert "addresses" not in body and "title" not in body and "roles" not in body
    member = Member.objects.get(enterprise=enterprise)
    assert member.external_id == "jyoung" and member.display_name == "Jason Young"


def test_create_with_the_enterprise_extension_stores_it(scim, enterprise):
    extension = {"employeeNumber": "701984", "department": "Tour Operations"}
    body = _created(scim, entra.create_user(**{entra.ENTERPRISE: extension}))

    assert body["schemas"] == [entra.USER_SCHEMA, entra.ENTERPRISE]
    assert body[entra.ENTERPRISE] == extension
    member = Member.objects.get(enterprise=enterprise)
    assert (member.employee_number, member.department) == ("701984", "Tour Operations")


@pytest.mark.parametrize(
    "query",
    [
        "/Users?filter=userName+eq+%22Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee%22",
        '/Users?filter=userName eq "TEST_USER_00AA00AA-BB11-CC22-DD33-44EE44EE44EE"',
        "/Users?filter=externalId+eq+%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22",
        '/Users?filter=emails[type eq "work"].value eq '
        '"test_user_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"',
    ],
)
def test_each_matching_attribute_finds_the_user(scim, query):
    created = _created(scim)
    response = scim.get(query)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["totalResults"] == 1
    assert response.json()["Resources"] == [created]


def test_external_id_is_matched_exactly(scim):
    _created(scim)
    assert (
        scim.get('/Users?filter=externalId eq "0A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF"').json()["totalResults"]
        == 0
    )


def test_a_second_create_with_the_same_username_in_another_case_is_409_uniqueness(scim, enterprise):
    _created(scim)
    response = scim.post(
        "/Users", entra.create_user("test_user_00AA00AA-bb11-cc22-dd33-44ee44ee44ee", externalId="x")
    )

    assert response.status_code == HTTPStatus.CONFLICT
    assert response["Content-Type"] == CONTENT_TYPE
    assert response.json() == {
        "schemas": [entra.ERROR],
        "status": "409",
        "scimType": "uniqueness",
        "detail": "A user with userName 'test_user_00AA00AA-bb11-cc22-dd33-44ee44ee44ee' already exists.",
    }
    assert Member.objects.filter(enterprise=enterprise).count() == 1


def test_read_by_id_returns_the_stored_values_exactly(scim):
    created = _created(scim, entra.create_user(phoneNumbers=[{"type": "mobile", "value": "55555555555"}]))
    response = scim.get(f"/Users/{created['id']}")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == created
    assert response.json()["phoneNumbers"] == [{"type": "mobile", "value": "55555555555"}]


@pytest.mark.parametrize(
    "body",
    [entra.DISABLE_DEFAULT, entra.DISABLE_FLAG, entra.DISABLE_TUTORIAL, entra.DISABLE_PATHLESS],
    ids=["default-string", "flag-boolean", "tutorial", "pathless"],
)
def test_disable_in_every_dialect_answers_200_with_the_user_and_keeps_it_readable(scim, enterprise, body):
    created = _created(scim)
    response = scim.patch(f"/Users/{created['id']}", body)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["active"] is False
    assert response.json()["meta"]["version"] == 'W/"2"'
    assert scim.get(f"/Users/{created['id']}").json()["active"] is False
    found = scim.get("/Users?filter=userName+eq+%22Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee%22").json()
    assert found["totalResults"] == 1 and found["Resources"][0]["active"] is False
    assert Member.objects.get(enterprise=enterprise).active is False


def test_enable_with_the_string_true(scim, enterprise):
    created = _created(scim)
    scim.patch(f"/Users/{created['id']}", entra.DISABLE_DEFAULT)
    assert scim.patch(f"/Users/{created['id']}", entra.ENABLE_DEFAULT).json()["active"] is True
    assert Member.objects.get(enterprise=enterprise).active is True


@pytest.mark.parametrize("body", [entra.REPLACE_DEFAULT, entra.REPLACE_FLAG], ids=["default", "flag"])
def test_replacing_several_attributes_in_either_dialect(scim, enterprise, body):
    created = _created(
        scim,
        entra.create_user(
            emails=[
                {"type": "work", "value": "old@contoso.com", "primary": True},
                {"type": "home", "value": "home@example.com"},
            ]
        ),
    )
    response = scim.patch(f"/Users/{created['id']}", body)

    assert response.status_code == HTTPStatus.OK
    user = response.json()
    member = Member.objects.get(enterprise=enterprise)
    expected_email = body["Operations"][0 if body is entra.REPLACE_FLAG else 1]["value"]
    assert user["emails"] == [
        {"type": "work", "value": expected_email, "primary": True},
        {"type": "home", "value": "home@example.com"},
    ]
    assert member.email == expected_email
    assert user["displayName"] == member.display_name
    assert user["name"]["givenName"] == member.given_name
    assert user["name"]["familyName"] == member.family_name
    assert user["name"]["formatted"] == "givenName familyName"
    assert user[entra.ENTERPRISE]["employeeNumber"] == member.employee_number
    assert "name.givenName" not in user and "name.givenName" not in member.profile
    assert (member.display_name, member.given_name) in [("Pvlo", "Gtfd"), ("Bjfe", "Kkom")]


def test_rename_changes_the_username_and_keeps_the_id(scim, enterprise):
    created = _created(scim)
    body = entra.patch(
        {"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}
    )
    response = scim.patch(f"/Users/{created['id']}", body)

    assert response.json()["id"] == created["id"]
    assert response.json()["userName"] == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    assert (
        Member.objects.get(enterprise=enterprise).user_name
        == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    )


def test_add_on_an_empty_single_valued_attribute_sets_it(scim):
    created = _created(scim)
    for op in ("Add", "add"):
        body = entra.patch({"op": op, "path": "nickName", "value": f"Babs {op}"})
        assert scim.patch(f"/Users/{created['id']}", body).json()["nickName"] == f"Babs {op}"


def test_value_filter_paths_create_the_element_and_merge_into_one(scim, enterprise):
    created = _created(scim)
    body = entra.patch(
        {"op": "Add", "path": 'addresses[type eq "work"].formatted', "value": "1 Main St, Oslo"},
        {"op": "Add", "path": 'addresses[type eq "work"].locality', "value": "Oslo"},
        {"op": "Add", "path": 'addresses[type eq "work"].region', "value": "Oslo"},
        {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+47 555 55 555"},
        {"op": "Replace", "path": 'phoneNumbers[type eq "work"].value', "value": "55555555555"},
        {"op": "Add", "path": 'emails[type eq "other"].value', "value": "alias@contoso.com"},
    )
    user = scim.patch(f"/Users/{created['id']}", body).json()

    assert user["addresses"] == [
        {"type": "work", "formatted": "1 Main St, Oslo", "locality": "Oslo", "region": "Oslo"}
    ]
    assert user["phoneNumbers"] == [
        {"type": "mobile", "value": "+47 555 55 555"},
        {"type": "work", "value": "55555555555"},
    ]
    assert user["emails"][1] == {"type": "other", "value": "alias@contoso.com"}
    assert Member.objects.get(enterprise=enterprise).profile["addresses"] == user["addresses"]


def test_remove_clears_an_attribute(scim):
    created = _created(scim, entra.create_user(preferredLanguage="da-DK", title="Planner"))
    body = entra.patch({"op": "Remove", "path": "preferredLanguage"}, {"op": "remove", "path": "title"})
    user = scim.patch(f"/Users/{created['id']}", body).json()
    assert "preferredLanguage" not in user and "title" not in user


@pytest.mark.parametrize(
    "shape",
    [
        lambda id_: id_,
        lambda id_: {"value": id_},
        lambda id_: [{"$ref": f"http://example/scim/Users/{id_}", "value": id_}],
    ],
    ids=["string", "object", "legacy-array"],
)
def test_manager_in_every_shape_is_stored_as_a_reference(scim, enterprise, shape):
    manager = _created(scim, entra.create_user("boss@contoso.com", externalId="boss"))
    report = _created(scim)
    body = entra.patch({"op": "Add", "path": f"{entra.ENTERPRISE}:manager", "value": shape(manager["id"])})
    user = scim.patch(f"/Users/{report['id']}", body).json()

    assert user[entra.ENTERPRISE]["manager"] == {
        "value": manager["id"],
        "$ref": f"http://127.0.0.1:8000/scim/v2/{enterprise.public_id}/Users/{manager['id']}",
    }
    assert (
        Member.objects.get(user_name="Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee").manager.user_name
        == "boss@contoso.com"
    )


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": f"{entra.ENTERPRISE}:manager", "value": ""},
        {"op": "replace", "path": f"{entra.ENTERPRISE}:manager", "value": {"value": ""}},
        {"op": "replace", "path": f"{entra.ENTERPRISE}:manager", "value": None},
        {"op": "remove", "path": 'manager[value eq "{manager}"]'},
        {"op": "Remove", "path": f"{entra.ENTERPRISE}:manager"},
    ],
    ids=["empty-string", "empty-object", "null", "value-filter", "remove"],
)
def test_manager_removal_in_every_shape(scim, operation):
    manager = _created(scim, entra.create_user("boss@contoso.com", externalId="boss"))
    report = _created(scim)
    add = entra.patch({"op": "add", "path": f"{entra.ENTERPRISE}:manager", "value": manager["id"]})
    scim.patch(f"/Users/{report['id']}", add)
    if "path" in operation:
        operation = {**operation, "path": operation["path"].replace("{manager}", manager["id"])}
    user = scim.patch(f"/Users/{report['id']}", entra.patch(operation)).json()

    assert "manager" not in user.get(entra.ENTERPRISE, {})
    assert Member.objects.get(user_name__startswith="Test_User").manager is None


def test_a_manager_from_another_enterprise_is_refused(scim, other_scim):
    stranger = other_scim.post("/Users", entra.create_user("stranger@fabrikam.com")).json()
    report = _created(scim)
    body = entra.patch({"op": "Add", "path": f"{entra.ENTERPRISE}:manager", "value": stranger["id"]})
    response = scim.patch(f"/Users/{report['id']}", body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["scimType"] == "invalidValue"
    assert Member.objects.get(scim_id=report["id"]).manager is None


def test_the_legacy_manager_check_query(scim):
    manager = _created(scim, entra.create_user("boss@contoso.com", externalId="boss"))
    report = _created(scim)
    scim.patch(
        f"/Users/{report['id']}", entra.patch({"op": "add", "path": "manager", "value": manager["id"]})
    )

    response = scim.get(
        f'/Users?filter=id eq "{report["id"]}" and manager eq "{manager["id"]}"&attributes=id'
    )
    assert response.json()["Resources"] == [
        {"schemas": [entra.USER_SCHEMA, entra.ENTERPRISE], "id": report["id"]}
    ]


def test_delete_answers_204_then_the_user_is_gone(scim, enterprise):
    created = _created(scim)
    response = scim.delete(f"/Users/{created['id']}")

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.content == b""
    assert scim.get(f"/Users/{created['id']}").status_code == HTTPStatus.NOT_FOUND
    assert scim.delete(f"/Users/{created['id']}").status_code == HTTPStatus.NOT_FOUND
    assert not Member.objects.filter(enterprise=enterprise).exists()


def test_an_unknown_id_is_a_scim_404(scim):
    response = scim.get("/Users/23B51B0E5D7AE9110A49411D@7cca31655d49f3640a494224")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {
        "schemas": [entra.ERROR],
        "status": "404",
        "detail": "User 23B51B0E5D7AE9110A49411D@7cca31655d49f3640a494224 not found",
    }


def test_a_multi_operation_patch_applies_in_order(scim):
    created = _created(scim, entra.create_user(preferredLanguage="en-US"))
    body = entra.patch(
        {"op": "remove", "path": "preferredLanguage"},
        {"op": "add", "path": "preferredLanguage", "value": "da-DK"},
        {"op": "replace", "path": "preferredLanguage", "value": "nb-NO"},
        {"op": "replace", "path": "displayName", "value": "Alex"},
    )
    user = scim.patch(f"/Users/{created['id']}", body).json()
    assert (user["preferredLanguage"], user["displayName"]) == ("nb-NO", "Alex")


def test_a_failing_operation_leaves_nothing_half_written(scim, enterprise):
    created = _created(scim)
    body = entra.patch(
        {"op": "Replace", "path": "displayName", "value": "Changed"},
        {"op": "Replace", "path": "active", "value": "maybe"},
    )
    response = scim.patch(f"/Users/{created['id']}", body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["scimType"] == "invalidValue"
    member = Member.objects.get(enterprise=enterprise)
    assert member.display_name == "" and member.version == 1
    assert scim.get(f"/Users/{created['id']}").json() == created

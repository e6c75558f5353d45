"""Bad input gets a SCIM error body with the right scimType, never a 500, and changes nothing."""

from http import HTTPStatus

import pytest

from enterprise.directory.models import Member
from tests.scim import entra

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(scim) -> dict:
    return scim.post("/Users", entra.create_user()).json()


def _error(response, status: int, scim_type: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert body["schemas"] == [entra.ERROR]
    assert body["status"] == str(status)
    assert body["detail"]
    assert body.get("scimType") == scim_type
    return body


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        ("{not json", "invalidSyntax"),
        (b"\xff\xfe", "invalidSyntax"),
        ("[1, 2]", "invalidSyntax"),
        ({"schemas": [entra.USER_SCHEMA]}, "invalidValue"),
        ({"userName": ""}, "invalidValue"),
        ({"userName": 42}, "invalidValue"),
        ({"userName": "a", "active": "sometimes"}, "invalidValue"),
        ({"userName": "a", "emails": "a@b.c"}, "invalidValue"),
        ({"userName": "a", "name": "Alex"}, "invalidValue"),
        ({"userName": "a" * 300}, "invalidValue"),
        ({"userName": "a\x00b"}, "invalidValue"),
        ({"userName": "a", entra.ENTERPRISE: "Sales"}, "invalidValue"),
        (
            {"userName": "a", entra.ENTERPRISE: {"manager": "5a4b0e4e-0000-4000-8000-000000000000"}},
            "invalidValue",
        ),
    ],
)
def test_a_bad_create_is_400_and_writes_nothing(scim, enterprise, body, scim_type):
    _error(scim.post("/Users", body), HTTPStatus.BAD_REQUEST, scim_type)
    assert not Member.objects.filter(enterprise=enterprise).exists()


@pytest.mark.django_db(transaction=True)
def test_a_create_with_a_bad_query_string_is_400_and_writes_nothing(scim, enterprise):
    # A user's creation runs without a transaction of its own (as in production, no outer one here either):
    # the query string is checked before its INSERT.
    _error(scim.post("/Users?count=many", entra.create_user()), HTTPStatus.BAD_REQUEST, "invalidValue")
    assert not Member.objects.filter(enterprise=enterprise).exists()


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        ({"schemas": [entra.PATCH_OP]}, "invalidSyntax"),
        ({"Operations": []}, "invalidSyntax"),
        ({"Operations": [{"path": "active", "value": False}]}, "invalidSyntax"),
        ({"Operations": [{"op": "move", "path": "active", "value": False}]}, "invalidSyntax"),
        ({"Operations": ["replace"]}, "invalidSyntax"),
        ({"Operations": [{"op": "replace", "path": "active"}]}, "invalidSyntax"),
        ({"Operations": [{"op": "remove"}]}, "noTarget"),
        ({"Operations": [{"op": "replace", "value": "False"}]}, "invalidValue"),
        ({"Operations": [{"op": "replace", "path": "favouriteColour", "value": "blue"}]}, "invalidPath"),
        ({"Operations": [{"op": "replace", "path": "name.nickname", "value": "x"}]}, "invalidPath"),
        ({"Operations": [{"op": "replace", "path": 'emails[type eq "work"', "value": "x"}]}, "invalidPath"),
        ({"Operations": [{"op": "replace", "path": 'userName[type eq "x"]', "value": "x"}]}, "invalidPath"),
        (
            {"Operations": [{"op": "replace", "path": "urn:example:custom:1.0:User:x", "value": "x"}]},
            "invalidPath",
        ),
        ({"Operations": [{"op": "replace", "path": 42, "value": "x"}]}, "invalidPath"),
        ({"Operations": [{"op": "add", "path": "groups", "value": [{"value": "x"}]}]}, "mutability"),
        ({"Operations": [{"op": "remove", "path": "userName"}]}, "invalidValue"),
        ({"Operations": [{"op": "replace", "path": "active", "value": [True]}]}, "invalidValue"),
        ({"Operations": [{"op": "replace", "path": "displayName", "value": {"x": 1}}]}, "invalidValue"),
        ({"Operations": [{"op": "add", "path": "manager", "value": "not-a-user"}]}, "invalidValue"),
        ({"Operations": [{"op": "replace", "path": "displayName", "value": "x"}] * 1001}, "tooMany"),
    ],
)
def test_a_bad_patch_is_400_and_leaves_the_user_as_it_was(scim, user, body, scim_type):
    _error(scim.patch(f"/Users/{user['id']}", body), HTTPStatus.BAD_REQUEST, scim_type)
    assert scim.get(f"/Users/{user['id']}").json() == user


def test_a_rename_onto_another_users_name_is_409(scim, user):
    other = scim.post("/Users", entra.create_user("other@contoso.com", externalId="other")).json()
    body = entra.patch({"op": "Replace", "path": "userName", "value": user["userName"].upper()})
    _error(scim.patch(f"/Users/{other['id']}", body), HTTPStatus.CONFLICT, "uniqueness")
    assert scim.get(f"/Users/{other['id']}").json() == other


@pytest.mark.parametrize(
    ("method", "path"), [("post", "/Users/{id}"), ("put", "/Users"), ("patch", "/Groups")]
)
def test_a_method_on_the_wrong_endpoint_is_405(scim, user, method, path):
    _error(getattr(scim, method)(path.format(id=user["id"]), {}), HTTPStatus.METHOD_NOT_ALLOWED)


@pytest.mark.parametrize("path", ["/Bulk", "/Me", "/"])
def test_unsupported_endpoints_are_501(scim, path):
    _error(scim.get(path), HTTPStatus.NOT_IMPLEMENTED)


def test_an_unknown_path_is_a_scim_404(scim):
    _error(scim.get("/Users/a/b"), HTTPStatus.NOT_FOUND)


def test_loose_slashes_from_the_tenant_url_are_accepted(scim):
    assert scim.get("//Users?filter=userName+eq+%22x%22").status_code == HTTPStatus.OK
    assert scim.get("/Users/").status_code == HTTPStatus.OK


def test_a_wrong_if_match_is_412_and_a_right_one_passes(scim, user):
    wrong = {"If-Match": 'W/"7"'}
    _error(
        scim.patch(f"/Users/{user['id']}", entra.DISABLE_DEFAULT, headers=wrong),
        HTTPStatus.PRECONDITION_FAILED,
    )
    _error(
        scim.put(f"/Users/{user['id']}", entra.create_user(), headers=wrong), HTTPStatus.PRECONDITION_FAILED
    )
    _error(scim.delete(f"/Users/{user['id']}", headers=wrong), HTTPStatus.PRECONDITION_FAILED)
    assert scim.get(f"/Users/{user['id']}").json()["active"] is True

    response = scim.patch(f"/Users/{user['id']}", entra.DISABLE_DEFAULT, headers={"If-Match": 'W/"1"'})
    assert response.status_code == HTTPStatus.OK and response["ETag"] == 'W/"2"'


def test_if_none_match_with_the_current_version_is_304(scim, user):
    response = scim.get(f"/Users/{user['id']}", headers={"If-None-Match": 'W/"1"'})
    assert response.status_code == HTTPStatus.NOT_MODIFIED


def test_an_unknown_query_parameter_such_as_entras_flag_is_ignored(scim):
    assert scim.get("/Users?aadOptscim062020").status_code == HTTPStatus.OK


def test_error_bodies_stay_english_for_a_danish_client_after_a_danish_page(scim, client):
    # The thread just served a Danish page; SCIM errors end up in Entra's logs and stay English.
    assert client.get("/accounts/login/", headers={"accept-language": "da"})["Content-Language"] == "da"

    response = scim.post(
        "/Users",
        {"schemas": [entra.USER_SCHEMA], "userName": "a", "roles": [{"value": "Boss"}]},
        headers={"Accept-Language": "da"},
    )

    body = _error(response, HTTPStatus.BAD_REQUEST, "invalidValue")
    assert body["detail"].startswith("Plandisc has no role 'Boss'. Its roles are Viewer, Editor, Admin;")

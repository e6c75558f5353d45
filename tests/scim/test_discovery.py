"""/ServiceProviderConfig, /ResourceTypes and /Schemas say what the service really does and stores."""

from http import HTTPStatus

import pytest

from tests.scim import entra

pytestmark = pytest.mark.django_db


def test_service_provider_config(scim, enterprise):
    response = scim.get("/ServiceProviderConfig")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["patch"] == {"supported": True}
    assert body["bulk"]["supported"] is False
    assert body["filter"] == {"supported": True, "maxResults": 500}
    assert body["sort"] == {"supported": True} and body["etag"] == {"supported": True}
    assert body["changePassword"] == {"supported": False}
    assert [scheme["type"] for scheme in body["authenticationSchemes"]] == ["oauthbearertoken", "oauth2"]
    assert (
        f"(http://127.0.0.1:8000/oauth/{enterprise.public_id}/token)"
        in body["authenticationSchemes"][1]["description"]
    )
    assert "documentationUri" not in body
    assert body["meta"]["location"] == (
        f"http://127.0.0.1:8000/scim/v2/{enterprise.public_id}/ServiceProviderConfig"
    )


def test_resource_types_list_users_with_the_enterprise_extension_and_groups(scim):
    body = scim.get("/ResourceTypes").json()
    assert body["totalResults"] == 2
    user, group = body["Resources"]
    assert (user["id"], user["endpoint"], user["schema"]) == ("User", "/Users", entra.USER_SCHEMA)
    assert user["schemaExtensions"] == [{"schema": entra.ENTERPRISE, "required": False}]
    assert (group["id"], group["endpoint"]) == ("Group", "/Groups")
    assert scim.get("/ResourceTypes/Group").json() == group
    assert scim.get("/ResourceTypes/Nope").status_code == HTTPStatus.NOT_FOUND


def test_schemas_advertise_what_is_stored(scim):
    body = scim.get("/Schemas").json()
    ids = [s["id"] for s in body["Resources"]]
    assert ids == [entra.USER_SCHEMA, entra.ENTERPRISE, "urn:ietf:params:scim:schemas:core:2.0:Group"]
    user = scim.get(f"/Schemas/{entra.USER_SCHEMA}").json()
    names = {a["name"] for a in user["attributes"]}
    assert {"userName", "name", "displayName", "emails", "active", "preferredLanguage", "title"} <= names
    assert "password" not in names
    enterprise_attributes = {a["name"] for a in scim.get(f"/Schemas/{entra.ENTERPRISE}").json()["attributes"]}
    assert enterprise_attributes == {
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
        "manager",
    }

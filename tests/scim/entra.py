"""Literal request bodies from ../shared/reference/entra-scim.md (Microsoft Entra ID provisioning)."""

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

TEST_CONNECTION = "/Users?filter=userName+eq+%22cf4d78e8-cc4f-4d5d-b8b9-183561c0104a%22"


def create_user(user_name: str = "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee", **extra) -> dict:
    """§2.2 step 2: the POST Entra sends, with client meta and an empty roles list."""
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": user_name,
        "active": True,
        "emails": [
            {
                "primary": True,
                "type": "work",
                "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
            }
        ],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": [],
        **extra,
    }


# The older documented create, with explicit nulls, a string boolean and a typo'd extension URN.
CREATE_USER_WITH_NULLS = {
    "schemas": [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
    "externalId": "jyoung",
    "userName": "Jason.Young@contoso.com",
    "active": "True",
    "displayName": "Jason Young",
    "emails": [{"primary": True, "type": "work", "value": "Jason.Young@contoso.com"}],
    "meta": {"resourceType": "User"},
    "name": {"familyName": "Young", "givenName": "Jason"},
    "addresses": None,
    "phoneNumbers": None,
    "title": None,
    "department": None,
    "manager": None,
    "roles": [],
}


def patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


DISABLE_DEFAULT = patch({"op": "Replace", "path": "active", "value": "False"})
ENABLE_DEFAULT = patch({"op": "Replace", "path": "active", "value": "True"})
DISABLE_FLAG = patch({"op": "replace", "path": "active", "value": False})
DISABLE_TUTORIAL = {
    "Operations": [{"op": "Replace", "path": "active", "value": False}],
    "schemas": [PATCH_OP],
}
DISABLE_PATHLESS = patch({"op": "replace", "value": {"active": False}})

REPLACE_DEFAULT = patch(
    {"op": "Replace", "path": "displayName", "value": "Pvlo"},
    {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "TestBcwqnm@test.microsoft.com"},
    {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
    {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
    {"op": "Replace", "path": "externalId", "value": "Eqpj"},
    {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "Eqpj"},
)

REPLACE_FLAG = patch(
    {"op": "replace", "path": 'emails[type eq "work"].value', "value": "TestMhvaes@test.microsoft.com"},
    {
        "op": "replace",
        "value": {
            "displayName": "Bjfe",
            "name.givenName": "Kkom",
            "name.familyName": "Unua",
            f"{ENTERPRISE}:employeeNumber": "Aklq",
        },
    },
)


def create_group(display_name: str = "displayName") -> dict:
    """§2.7: created with Microsoft's extra schema URI, client meta and no members."""
    return {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
        ],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": display_name,
        "meta": {"resourceType": "Group"},
    }

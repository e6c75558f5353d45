"""
The SCIM schemas this service provider stores and advertises.

They are django-scim2's copies of the RFC 7643 schemas, trimmed to what Plandisc stores: no `password`
(people sign in with single sign-on). The same definitions drive `/Schemas`, attribute-name resolution
(case-insensitive) and value checks.
"""

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import django_scim

from enterprise.models import Role

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

_SOURCE = Path(django_scim.__file__).parent / "schemas"


def _load(relative: str) -> dict:
    return json.loads((_SOURCE / relative).read_text())


MEMBER_DISPLAY = {
    "name": "display",
    "type": "string",
    "multiValued": False,
    "description": "The member's displayName, else their userName.",
    "required": False,
    "caseExact": False,
    "mutability": "readOnly",
    "returned": "default",
    "uniqueness": "none",
}


def _definitions() -> dict[str, dict]:
    user = _load("core/User.json")
    user["attributes"] = [a for a in user["attributes"] if a["name"] != "password"]
    group = _load("core/Group.json")
    # RFC 7643 §4.2 makes displayName REQUIRED; its schema listing in §8.7.1 says otherwise by mistake.
    next(a for a in group["attributes"] if a["name"] == "displayName")["required"] = True
    # Each member's name as groups answer it (RFC 7643 §4.2 names `display`; its §8.7.1 listing leaves it out,
    # and strict clients such as scim2-models refuse what the schema does not list).
    members = next(a for a in group["attributes"] if a["name"] == "members")
    members["subAttributes"].append(MEMBER_DISPLAY)
    enterprise_user = _load("extension/Enterprise-User.json")
    return {USER: user, ENTERPRISE_USER: enterprise_user, GROUP: group}


DEFINITIONS = _definitions()


@dataclass(frozen=True)
class Attribute:
    """One attribute of a schema, addressed by its canonical name within its schema URN."""

    uri: str
    name: str
    type: str
    multi_valued: bool
    mutability: str
    required: bool
    case_exact: bool
    sub_attributes: dict  # lower-cased name -> Attribute

    @property
    def read_only(self) -> bool:
        return self.mutability == "readOnly"


def _attribute(uri: str, spec: dict) -> Attribute:
    return Attribute(
        uri=uri,
        name=spec["name"],
        type=spec["type"],
        multi_valued=spec.get("multiValued", False),
        mutability=spec.get("mutability", "readWrite"),
        required=spec.get("required", False),
        case_exact=spec.get("caseExact", False),
        sub_attributes={s["name"].lower(): _attribute(uri, s) for s in spec.get("subAttributes", [])},
    )


@dataclass(frozen=True)
class ResourceSchema:
    """A resource type's core schema and its extensions, with attribute lookup by any-case name."""

    core: str
    extensions: tuple[str, ...]

    @property
    def uris(self) -> tuple[str, ...]:
        return (self.core, *self.extensions)

    def attributes(self, uri: str) -> dict[str, Attribute]:
        return _attributes(uri)

    def canonical_uri(self, uri: str) -> str | None:
        return next((u for u in self.uris if u.lower() == uri.lower()), None)

    def find(self, name: str, uri: str | None = None) -> Attribute | None:
        """An attribute by name, in `uri` or else in the core schema and then the extensions."""
        for candidate in [uri] if uri else self.uris:
            attribute = _attributes(candidate).get(name.lower())
            if attribute:
                return attribute
        return None


# RFC 7643 §3.1: a common attribute of every resource, so not listed in the schemas themselves.
EXTERNAL_ID = {
    "name": "externalId",
    "type": "string",
    "multiValued": False,
    "description": "The identifier of the resource in the identity provider.",
    "required": False,
    "caseExact": True,
    "mutability": "readWrite",
    "returned": "default",
    "uniqueness": "none",
}


@cache
def _attributes(uri: str) -> dict[str, Attribute]:
    attributes = {a["name"].lower(): _attribute(uri, a) for a in DEFINITIONS[uri]["attributes"]}
    if uri in (USER, GROUP):
        attributes["externalid"] = _attribute(uri, EXTERNAL_ID)
    return attributes


USER_SCHEMA = ResourceSchema(USER, (ENTERPRISE_USER,))
GROUP_SCHEMA = ResourceSchema(GROUP, ())


@cache
def _listed() -> tuple[dict, ...]:
    schemas = []
    for uri, definition in DEFINITIONS.items():
        schema = copy.deepcopy(definition)
        schema["schemas"] = [SCHEMA]
        schema.pop("meta", None)
        if uri in (USER, GROUP):
            schema["attributes"].insert(0, dict(EXTERNAL_ID))
        if uri == USER:
            _roles_canonical(schema)
        schemas.append(schema)
    return tuple(schemas)


def _roles_canonical(schema: dict) -> None:
    """`roles.value` takes Plandisc's roles (RFC 7643 §7 canonicalValues), the values of the app roles the
    README's manifest defines; Entra's default access (msiam_access, User) is accepted too."""
    roles = next(a for a in schema["attributes"] if a["name"] == "roles")
    value = next(s for s in roles["subAttributes"] if s["name"] == "value")
    value["canonicalValues"] = [role.name.title() for role in Role]
    value["description"] = "Plandisc's role: Admin, Editor or Viewer (an Entra app role's value)."


def all_schemas() -> list[dict]:
    """What /Schemas lists, externalId (RFC 7643 §3.1) included; the view adds `meta.location`."""
    return copy.deepcopy(list(_listed()))

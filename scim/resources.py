"""
The SCIM resource types and the path matcher. Each type is defined once here; the views, the filters, the
discovery endpoints (/ResourceTypes, /Schemas) and `match` all read these definitions.
"""

import re
from dataclasses import dataclass

from django.db import models
from django_scim.constants import SchemaURI

from scim.adapters import GroupAdapter, MemberAdapter
from scim.errors import ScimError
from scim.filters import GroupFilter, MemberFilter, ScimFilter
from scim.schemas import GROUP_SCHEMA, USER_SCHEMA, ResourceSchema


@dataclass(frozen=True)
class ResourceType:
    name: str  # "User": meta.resourceType and /ResourceTypes/<name>; its endpoint is "/<name>s"
    adapter: type  # resource bodies to and from the domain (scim/adapters.py)
    filter: type[ScimFilter]  # filter and sortBy attributes; its model is the resource type's model
    schema: ResourceSchema
    related: str  # the multi-valued relation a response lists: a user's groups, a group's members
    patch_status: int  # what a successful PATCH answers: 200 with the resource, or 204
    name_attribute: str  # the unique name identity providers match on
    description: str

    @property
    def endpoint(self) -> str:
        return f"{self.name}s"

    @property
    def model(self) -> type[models.Model]:
        return self.filter.model


USER = ResourceType(
    "User", MemberAdapter, MemberFilter, USER_SCHEMA, "groups", 200, "userName", "A person in the enterprise"
)
# Entra: a group PATCH "should yield an HTTP 204 No Content"; a member list in it helps nobody.
GROUP = ResourceType(
    "Group", GroupAdapter, GroupFilter, GROUP_SCHEMA, "members", 204, "displayName", "A group of its users"
)
RESOURCE_TYPES = {t.endpoint.lower(): t for t in (USER, GROUP)}


def resource_type_document(resource_type: ResourceType, location: str) -> dict:
    document = {
        "schemas": [SchemaURI.RESOURCE_TYPE],
        "id": resource_type.name,
        "name": resource_type.name,
        "endpoint": f"/{resource_type.endpoint}",
        "description": resource_type.description,
        "schema": resource_type.schema.core,
    }
    if resource_type.schema.extensions:
        document["schemaExtensions"] = [
            {"schema": uri, "required": False} for uri in resource_type.schema.extensions
        ]
    document["meta"] = {"resourceType": "ResourceType", "location": location}
    return document


@dataclass(frozen=True)
class Route:
    """What a path names: `kind` is resource, search, service-provider-config, resource-types, schemas or
    not-implemented; `resource_type` and `id` where the path has them."""

    kind: str
    resource_type: ResourceType | None = None
    id: str | None = None


# Segment names match in any case: Microsoft's own test collection sends `GET …/users`.
OTHER_ENDPOINTS = {
    "serviceproviderconfig": "service-provider-config",
    "resourcetypes": "resource-types",
    "schemas": "schemas",
    "me": "not-implemented",
    "bulk": "not-implemented",
}
HAVE_IDS = ("resource-types", "schemas")


def normalize(path: str) -> str:
    """Entra joins its Tenant URL and resource paths loosely: `…/v2/<id>//Users`, `…/Users/`."""
    return re.sub("/{2,}", "/", path or "/").rstrip("/") or "/"


def match(path: str) -> Route | ScimError:
    """The route for a normalized path below the enterprise's endpoint (`/Users/<id>`), or a 404."""
    segments = path.split("/")[1:] if path != "/" else []
    if not segments:
        return Route("not-implemented")
    first = segments[0].lower()
    if len(segments) == 1 and first == ".search":
        return Route("search")
    resource_type = RESOURCE_TYPES.get(first)
    if resource_type is not None:
        if len(segments) == 1:
            return Route("resource", resource_type)
        if len(segments) == 2 and segments[1].lower() == ".search":
            return Route("search", resource_type)
        if len(segments) == 2 and not segments[1].startswith("."):
            return Route("resource", resource_type, segments[1])
    kind = OTHER_ENDPOINTS.get(first)
    if kind is not None and (len(segments) == 1 or (len(segments) == 2 and kind in HAVE_IDS)):
        return Route(kind, id=segments[1] if len(segments) == 2 else None)
    return ScimError(404, f"There is no SCIM endpoint at '{path}'.")

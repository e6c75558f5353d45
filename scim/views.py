"""
The SCIM handlers: one function per endpoint and method, called by scim/pipeline.py with an authenticated
`Call` and the matched `Route`, inside the request's transaction when it writes. They raise ScimError for
every refusal; the pipeline turns it into the response.
"""

import re
import uuid
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django_scim.constants import SchemaURI

from scim import documents
from scim.activity import Action
from scim.auth import Call
from scim.errors import ScimError, bad_request, not_found, scim_response
from scim.resources import RESOURCE_TYPES, ResourceType, Route, resource_type_document
from scim.schemas import ResourceSchema, all_schemas

NAME_EQUALS = re.compile(r'^\s*(?P<attr>\w+)\s+eq\s+"(?P<value>[^"\\\x00]{0,1000})"\s*$', re.IGNORECASE)
LIST_RESPONSE = SchemaURI.LIST_RESPONSE
SEARCH_REQUEST = SchemaURI.SERACH_REQUEST  # sic: django-scim2's spelling


def load_body(body: bytes) -> dict:
    try:
        # orjson also refuses a lone surrogate ("\ud800", which JSON can escape and no database column can
        # store), and NaN and Infinity, which are not JSON.
        data = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError as error:
        raise bad_request(f"The body is not valid JSON: {error}", "invalidSyntax") from None
    if not isinstance(data, dict):
        raise bad_request("The body must be a JSON object.", "invalidSyntax")
    return data


MAX_INDEX = 2**31 - 1
LOOKAHEAD = 1000  # keys a deep page reads past itself to learn the total (see ResourceView.page)


@dataclass(frozen=True)
class ListQuery:
    filter: str | None
    start: int
    count: int
    sort_by: str | None
    descending: bool
    attributes: str
    excluded: str


def list_query(params: Mapping) -> ListQuery:
    """RFC 7644 §3.4.2 list parameters, from a query string or a SearchRequest body, names in any case."""
    params = {str(k).lower(): v for k, v in params.items()}

    def number(name: str, default: int) -> int:
        value = params.get(name.lower(), default)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise bad_request(f"'{name}' must be a whole number.") from None
        if abs(number) > MAX_INDEX:
            raise bad_request(f"'{name}' must be at most {MAX_INDEX}.")
        return number

    sort_order = str(params.get("sortorder") or "ascending").lower()
    if sort_order not in ("ascending", "descending"):
        raise bad_request("'sortOrder' must be 'ascending' or 'descending'.")
    text = {name: params.get(name) for name in ("filter", "sortby", "attributes", "excludedattributes")}
    joined = {
        k: ",".join(v) if isinstance(v, list) and all(isinstance(i, str) for i in v) else v
        for k, v in text.items()
    }
    if any(value is not None and not isinstance(value, str) for value in joined.values()):
        raise bad_request("filter, sortBy, attributes and excludedAttributes must be strings.")
    return ListQuery(
        filter=joined["filter"] or None,
        # RFC 7644: startIndex below 1 means 1; count is capped at the advertised maximum.
        start=max(number("startIndex", 1), 1),
        count=min(max(number("count", settings.SCIM_DEFAULT_PAGE_SIZE), 0), settings.SCIM_MAX_PAGE_SIZE),
        sort_by=joined["sortby"] or None,
        descending=sort_order == "descending",
        attributes=joined["attributes"] or "",
        excluded=joined["excludedattributes"] or "",
    )


@dataclass(frozen=True)
class Selector:
    uri: str | None
    name: str | None
    sub: str | None


def selectors(text: str, schema: ResourceSchema) -> list[Selector]:
    """`attributes` / `excludedAttributes` paths: `userName`, `name.givenName`, `urn:…:User:department`."""
    result = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        uri = None
        for candidate in sorted(schema.uris, key=len, reverse=True):
            if part.lower() == candidate.lower():
                uri, part = candidate, ""
                break
            if part.lower().startswith(candidate.lower() + ":"):
                uri, part = candidate, part[len(candidate) + 1 :]
                break
        name, _, sub = part.partition(".")
        result.append(Selector(uri, name.lower() or None, sub.lower() or None))
    return result


class Projection:
    """Which attributes a response carries (RFC 7644 §3.9). `id` and `schemas` are always returned."""

    def __init__(self, query: ListQuery, schema: ResourceSchema):
        self.schema = schema
        self.include = selectors(query.attributes, schema)
        self.exclude = selectors(query.excluded, schema)

    def wants(self, name: str, uri: str | None = None) -> bool:
        uri, name = uri or self.schema.core, name.lower()

        def named(s: Selector) -> bool:
            return (s.name is None and s.uri == uri) or (s.name == name and s.uri in (None, uri))

        if self.include:
            return any(named(s) for s in self.include)
        return not any(named(s) and s.sub is None for s in self.exclude)

    def apply(self, resource: dict) -> dict:
        if not self.include and not self.exclude:
            return resource
        result = {}
        for key, value in resource.items():
            uri = self.schema.canonical_uri(key)
            if key in ("id", "schemas"):
                result[key] = value
            elif uri and uri != self.schema.core and isinstance(value, dict):
                kept = {k: v for k, v in value.items() if self.wants(k, uri)}
                if kept:
                    result[key] = kept
            elif self.wants(key):
                result[key] = self._narrow(key, value)
        return result

    def _narrow(self, name: str, value):
        subs = {s.sub for s in self.include if s.name == name.lower()}
        if not subs or None in subs:
            return value
        if isinstance(value, list):
            return [
                {k: v for k, v in item.items() if k.lower() in subs}
                for item in value
                if isinstance(item, dict)
            ]
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k.lower() in subs}
        return value


def _get_object(call: Call, route: Route, for_update: bool = False):
    try:
        scim_id = uuid.UUID(route.id)
    except ValueError:
        found = None
    else:
        found = route.resource_type.model.objects.by_scim_id(call.enterprise, scim_id, for_update=for_update)
    if found is None:
        raise not_found(route.resource_type.name, route.id)
    return found


def _render(resource_type: ResourceType, adapter, projection: Projection) -> dict:
    return projection.apply(adapter.to_dict(projection.wants(resource_type.related)))


def _single(
    call: Call, route: Route, adapter, status: int = 200, query: ListQuery | None = None
) -> HttpResponse:
    projection = Projection(query or list_query(call.request.GET), route.resource_type.schema)
    return scim_response(
        _render(route.resource_type, adapter, projection),
        status,
        {"Location": adapter.location, "ETag": adapter.etag},
    )


def _writable(call: Call, route: Route):
    """The adapter of the resource a PUT, PATCH or DELETE names, locked, after checking If-Match."""
    if not route.id:
        raise ScimError(405, f"{call.request.method} needs a resource id in the path.")
    adapter = route.resource_type.adapter(_get_object(call, route, for_update=True), call)
    _target(call, route.resource_type, adapter.obj)
    wanted = call.request.META.get("HTTP_IF_MATCH")
    if wanted and wanted.strip() != "*" and adapter.etag not in [v.strip() for v in wanted.split(",")]:
        raise ScimError(412, f"The resource has changed: its version is now {adapter.etag}.")
    return adapter


def _target(call: Call, resource_type: ResourceType, obj) -> str:
    """Name the resource as the request's target in its activity; returns its label."""
    label = getattr(obj, obj.NAME_FIELD)
    call.note.target(resource_type.name, obj.scim_id, label)
    return label


def resource_get(call: Call, route: Route) -> HttpResponse:
    query = list_query(call.request.GET)
    if not route.id:
        call.note.says(Action.READ, f"Listed {route.resource_type.endpoint.lower()}")
        return _list_response(call, [route.resource_type], query)
    adapter = route.resource_type.adapter(_get_object(call, route), call)
    call.note.says(Action.READ, f"Read {_target(call, route.resource_type, adapter.obj)}")
    if call.request.META.get("HTTP_IF_NONE_MATCH") == adapter.etag:
        return HttpResponse(status=304, headers={"ETag": adapter.etag})
    return _single(call, route, adapter)


def resource_post(call: Call, route: Route) -> HttpResponse:
    if route.id:
        raise ScimError(405, "POST creates a resource: send it to the collection.")
    # Checked before the write: a user's creation runs outside a transaction (scim/pipeline.py), so nothing
    # after its INSERT may refuse the request.
    query = list_query(call.request.GET)
    adapter = route.resource_type.adapter(route.resource_type.model(), call)
    adapter.from_dict(load_body(call.request.body))
    adapter.save()
    return _single(call, route, adapter, 201, query)


def resource_put(call: Call, route: Route) -> HttpResponse:
    adapter = _writable(call, route)
    adapter.from_dict(load_body(call.request.body))
    adapter.save()
    return _single(call, route, adapter)


def resource_patch(call: Call, route: Route) -> HttpResponse:
    adapter = _writable(call, route)
    adapter.handle_operations(documents.parse_operations(load_body(call.request.body)))
    adapter.save()
    if route.resource_type.patch_status == 204:
        return HttpResponse(status=204, headers={"ETag": adapter.etag})
    return _single(call, route, adapter)


def resource_delete(call: Call, route: Route) -> HttpResponse:
    _writable(call, route).delete()
    return HttpResponse(status=204)


def search(call: Call, route: Route) -> HttpResponse:
    """POST …/.search: the list parameters arrive in a SearchRequest body. At the root it searches Users, then
    Groups (RFC 7644 §3.4.3)."""
    body = load_body(call.request.body)
    if SEARCH_REQUEST not in (body.get("schemas") or []):
        raise bad_request(f"The body must be a SearchRequest ({SEARCH_REQUEST}).", "invalidSyntax")
    types = [route.resource_type] if route.resource_type else list(RESOURCE_TYPES.values())
    call.note.says(Action.READ, f"Searched {' and '.join(t.endpoint.lower() for t in types)}")
    return _list_response(call, types, list_query(body))


def _list_response(call: Call, types: list[ResourceType], query: ListQuery) -> HttpResponse:
    offset, count = query.start - 1, query.count
    total, resources, refusals = 0, [], []
    for resource_type in types:
        try:
            matched, page = _page(call, resource_type, query, max(offset - total, 0), count - len(resources))
        except ScimError as error:
            # At the root, a filter or sortBy that names an attribute only the other type has matches none of
            # this one.
            if len(types) == 1 or error.scim_type != "invalidFilter":
                raise
            refusals.append(error)
            continue
        total += matched
        resources += page
    if refusals and len(refusals) == len(types):
        raise refusals[0]
    return scim_response(_listing(resources, total, query.start))


def _listing(resources: list[dict], total: int | None = None, start: int = 1) -> dict:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(resources) if total is None else total,
        "Resources": resources,
        "startIndex": start,
        "itemsPerPage": len(resources),
    }


def _page(
    call: Call, resource_type: ResourceType, query: ListQuery, offset: int, count: int
) -> tuple[int, list[dict]]:
    """How many resources match `query`, and the rendered ones from `offset` on, at most `count`."""
    projection = Projection(query, resource_type.schema)
    name = _name_equals(query, resource_type)
    if name is not None and offset == 0 and count:
        # The identity provider's match query, the most frequent request of a provisioning cycle.
        page = resource_type.model.objects.named(call.enterprise, name)
        _looked_up(call, resource_type, name, page)
        resource_type.adapter.load_related(page, projection.wants(resource_type.related))
        return len(page), [_render(resource_type, resource_type.adapter(o, call), projection) for o in page]
    with _unprepared():
        return _listed(call, resource_type, query, offset, count, projection)


@contextmanager
def _unprepared():
    """
    Statements planned for their own values. A list page's reads filter by the enterprise and order by key
    or attribute, and the plan PostgreSQL keeps for a prepared statement (plandisc/settings.py) is made for
    any enterprise: beside larger ones it can walk the primary key through all their rows, 58 ms for a page
    of an enterprise of 1,000 members next to one of 100,000 instead of 0.6 ms. Listing is rare in a
    provisioning cycle, so it pays for its planning.
    """
    connection.ensure_connection()
    raw = connection.connection
    if not hasattr(raw, "prepare_threshold"):  # SQLite prepares nothing
        yield
        return
    threshold, raw.prepare_threshold = raw.prepare_threshold, None
    try:
        yield
    finally:
        raw.prepare_threshold = threshold


def _listed(
    call: Call,
    resource_type: ResourceType,
    query: ListQuery,
    offset: int,
    count: int,
    projection: Projection,
) -> tuple[int, list[dict]]:
    """`_page` for any query but the identity provider's match."""
    parser = resource_type.filter
    if query.filter:
        queryset = parser.search(query.filter, call.enterprise)
    else:
        queryset = parser.queryset(call.enterprise)
    order = parser.order_field(query.sort_by) if query.sort_by else "pk"
    queryset = queryset.order_by(f"-{order}" if query.descending else order, "pk")
    keys = queryset.values_list("pk", flat=True)
    queryset = resource_type.adapter.for_listing(queryset, projection.wants(resource_type.related))
    total = None
    if count and offset and not queryset.query.distinct:
        # A deep page takes its keys from an index-only scan and reads only its own rows (an OFFSET over
        # the rows reads every row before the page: 70 ms instead of 13 at 100,000 users). The scan reads
        # up to LOOKAHEAD keys past the page, so that near the end it also gives the total, without COUNT.
        window = list(keys[offset : offset + count + LOOKAHEAD])
        page = list(queryset.filter(pk__in=window[:count])) if window else []
        if 0 < len(window) < count + LOOKAHEAD:
            total = offset + len(window)
    else:
        page = list(queryset[offset : offset + count]) if count else []
        if count and len(page) < count and (page or offset == 0):
            total = offset + len(page)
    if total is None:
        total = queryset.count()
    return total, [_render(resource_type, resource_type.adapter(obj, call), projection) for obj in page]


def _looked_up(call: Call, resource_type: ResourceType, name: str, found: list) -> None:
    """The identity provider's match query, in words. Entra's Test Connection looks for a user whose name
    is a random GUID, expecting none."""
    what = "" if resource_type.name == "User" else "group "
    if found:
        _target(call, resource_type, found[0])
        call.note.says(Action.LOOKED_UP, f"Looked up {what}{name} (found)", found=True)
        return
    call.note.target(resource_type.name, "", name)
    try:
        uuid.UUID(name)
    except ValueError:
        call.note.says(Action.LOOKED_UP, f"Looked up {what}{name} (not found)", found=False)
    else:
        call.note.says(Action.TEST_CONNECTION, "Test Connection")


def _name_equals(query: ListQuery, resource_type: ResourceType) -> str | None:
    """The value of a filter that is only `<unique name> eq "value"` (no escapes), unsorted; else None."""
    match = NAME_EQUALS.match(query.filter or "")
    if match is None or query.sort_by or match["attr"].lower() != resource_type.name_attribute.lower():
        return None
    return match["value"]


def service_provider_config(call: Call, route: Route) -> HttpResponse:
    call.note.says(Action.READ, "Read the service provider configuration")
    return scim_response(
        {
            "schemas": [SchemaURI.SERVICE_PROVIDER_CONFIG],
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": settings.SCIM_MAX_PAGE_SIZE},
            "changePassword": {"supported": False},
            "sort": {"supported": True},
            "etag": {"supported": True},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "OAuth Bearer Token",
                    "description": "The enterprise's SCIM token (Enterprise page), as a bearer token.",
                    "primary": True,
                },
                {
                    "type": "oauth2",
                    "name": "OAuth 2.0 client credentials",
                    "description": "An access token from the enterprise's token endpoint "
                    f"({call.enterprise.token_endpoint}), for a client secret or a federated JWT, "
                    "as a bearer token.",
                    "specUri": "https://www.rfc-editor.org/rfc/rfc6749#section-4.4",
                },
            ],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": call.location("ServiceProviderConfig"),
            },
        }
    )


def _discovery(call: Call, route: Route, documents: dict[str, dict], what: str) -> HttpResponse:
    call.note.says(Action.READ, f"Read {what} {route.id}" if route.id else f"Listed {what}s")
    if route.id is None:
        return scim_response(_listing(list(documents.values())))
    found = next((d for key, d in documents.items() if key.lower() == route.id.lower()), None)
    if found is None:
        raise not_found(what, route.id)
    return scim_response(found)


def resource_types(call: Call, route: Route) -> HttpResponse:
    documents = {
        t.name: resource_type_document(t, call.location(f"ResourceTypes/{t.name}"))
        for t in RESOURCE_TYPES.values()
    }
    return _discovery(call, route, documents, "ResourceType")


def schemas(call: Call, route: Route) -> HttpResponse:
    documents = {
        s["id"]: {**s, "meta": {"resourceType": "Schema", "location": call.location(f"Schemas/{s['id']}")}}
        for s in all_schemas()
    }
    return _discovery(call, route, documents, "Schema")


def not_implemented(call: Call, route: Route) -> HttpResponse:
    raise ScimError(501, "This endpoint is not implemented.")


# Route kind -> method -> handler. A method not listed is answered 405.
HANDLERS: dict[str, dict[str, Callable[[Call, Route], HttpResponse]]] = {
    "resource": {
        "GET": resource_get,
        "HEAD": resource_get,
        "POST": resource_post,
        "PUT": resource_put,
        "PATCH": resource_patch,
        "DELETE": resource_delete,
    },
    "search": {"POST": search},
    "service-provider-config": {"GET": service_provider_config, "HEAD": service_provider_config},
    "resource-types": {"GET": resource_types, "HEAD": resource_types},
    "schemas": {"GET": schemas, "HEAD": schemas},
}


def handler(route: Route, method: str) -> Callable[[Call, Route], HttpResponse]:
    if route.kind == "not-implemented":
        return not_implemented
    found = HANDLERS[route.kind].get(method)
    if found is None:
        raise ScimError(405, f"{method} is not supported on this endpoint.")
    return found

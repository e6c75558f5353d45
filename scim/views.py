"""
django-scim2's views with the parts Entra ID, Okta and many tenants need done differently: one
transaction per request, RFC error bodies, paging counted and sliced in SQL, sorting, attribute
projection, ETags, PUT and PATCH through our adapters, and group PATCH answered 204.
"""

import json
import logging
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django_scim import views as scim_views
from django_scim.constants import SchemaURI
from django_scim.exceptions import SCIMException

from scim import documents
from scim.adapters import GroupAdapter, MemberAdapter, resource_location
from scim.errors import ScimError, bad_request, error_response, not_found, scim_response
from scim.schemas import DEFINITIONS, ENTERPRISE_USER, GROUP_SCHEMA, USER_SCHEMA, ResourceSchema

logger = logging.getLogger(__name__)


class _Guard(View):
    """Sits under django-scim2's SCIMView.dispatch: one transaction, and every failure a SCIM error body."""

    @method_decorator(csrf_exempt)
    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # Reads need no transaction (and skip its BEGIN and COMMIT round trips); every write is one.
        atomic = transaction.atomic() if request.method not in ("GET", "HEAD") else nullcontext()
        try:
            with atomic:
                return super().dispatch(request, *args, **kwargs)
        except SCIMException as error:
            request.scim_error = error
        except RequestDataTooBig:
            request.scim_error = ScimError(413, "The request body is too large.")
        except DataError:
            request.scim_error = bad_request("A value does not fit what this service stores.")
        except IntegrityError:
            request.scim_error = ScimError(409, "The change conflicts with another resource.", "uniqueness")
        except DatabaseError:
            logger.exception("SCIM request failed in the database")
            request.scim_error = ScimError(
                503, "The service is busy; please retry.", headers={"Retry-After": "5"}
            )
        except Exception:
            logger.exception("SCIM request failed")
            request.scim_error = ScimError(500, "The request could not be completed.")
        return error_response(request.scim_error)


class _Overrides:
    """Listed first in each view's bases, so these win over django-scim2's SCIMView."""

    def http_method_not_allowed(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        raise ScimError(405, f"{request.method} is not supported on this endpoint.")

    def status_501(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return error_response(ScimError(501, "This endpoint is not implemented."))

    def load_body(self, body: bytes) -> dict:
        try:
            data = json.loads(body.decode("utf-8") or "{}")
            # JSON can escape a lone surrogate ("\ud800"), which no database column can store.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (UnicodeError, ValueError) as error:
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


class ResourceView:
    """GET (one and many), POST, PUT, PATCH, DELETE for one resource type, inside an enterprise."""

    adapter_class: type = None
    schema: ResourceSchema = None
    related: str = ""  # the multi-valued relation a response lists: a user's groups, a group's members
    patch_returns_body = True

    def get_object(self, for_update: bool = False):
        queryset = self.model_cls.objects.filter(enterprise=self.request.scim_enterprise)
        if for_update:
            queryset = queryset.select_for_update()
        uuid = self.kwargs.get("uuid")
        try:
            return queryset.get(scim_id=uuid)
        except (self.model_cls.DoesNotExist, ValidationError):  # ValidationError: not a UUID
            raise not_found(self.adapter_class.resource_type, uuid) from None

    def render(self, adapter, projection: Projection) -> dict:
        return projection.apply(adapter.to_dict(projection.wants(self.related)))

    def single_response(self, adapter, projection: Projection, status: int = 200) -> HttpResponse:
        return scim_response(
            self.render(adapter, projection), status, {"Location": adapter.location, "ETag": adapter.etag}
        )

    def check_version(self, adapter) -> None:
        wanted = self.request.headers.get("If-Match")
        if wanted and wanted.strip() != "*" and adapter.etag not in [v.strip() for v in wanted.split(",")]:
            raise ScimError(412, f"The resource has changed: its version is now {adapter.etag}.")

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        query = list_query(request.GET)
        if not kwargs.get("uuid"):
            return self.list_response(query)
        adapter = self.adapter_class(self.get_object(), request=request)
        if request.headers.get("If-None-Match") == adapter.etag:
            return HttpResponse(status=304, headers={"ETag": adapter.etag})
        return self.single_response(adapter, Projection(query, self.schema))

    def list_response(self, query: ListQuery) -> HttpResponse:
        total, resources = self.page(query, query.start - 1, query.count)
        return scim_response(
            {
                "schemas": [SchemaURI.LIST_RESPONSE],
                "totalResults": total,
                "Resources": resources,
                "startIndex": query.start,
                "itemsPerPage": len(resources),
            }
        )

    def page(self, query: ListQuery, offset: int, count: int) -> tuple[int, list[dict]]:
        """How many resources match `query`, and the rendered ones from `offset` on, at most `count`."""
        parser = self.__class__.parser_getter()
        if query.filter:
            queryset = parser.search(query.filter, self.request)
        else:
            queryset = parser.queryset(self.request)
        order = parser.order_field(query.sort_by) if query.sort_by else "pk"
        queryset = queryset.order_by(f"-{order}" if query.descending else order, "pk")
        projection = Projection(query, self.schema)
        keys = queryset.values_list("pk", flat=True)
        queryset = self.for_listing(queryset, projection)
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
        return total, [self.render(self.adapter_class(obj, request=self.request), projection) for obj in page]

    def for_listing(self, queryset, projection: Projection):
        return queryset

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if kwargs.get("uuid"):
            raise ScimError(405, "POST creates a resource: send it to the collection.")
        adapter = self.adapter_class(self.model_cls(), request=request)
        adapter.from_dict(self.load_body(request.body))
        adapter.save()
        request.scim_resource_id = str(adapter.obj.scim_id)
        return self.single_response(adapter, Projection(list_query(request.GET), self.schema), 201)

    def put(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        adapter = self.writable(kwargs)
        adapter.from_dict(self.load_body(request.body))
        adapter.save()
        return self.single_response(adapter, Projection(list_query(request.GET), self.schema))

    def patch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        adapter = self.writable(kwargs)
        adapter.handle_operations(documents.parse_operations(self.load_body(request.body)))
        adapter.save()
        if not self.patch_returns_body:
            return HttpResponse(status=204, headers={"ETag": adapter.etag})
        return self.single_response(adapter, Projection(list_query(request.GET), self.schema))

    def delete(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        adapter = self.writable(kwargs)
        adapter.delete()
        return HttpResponse(status=204)

    def writable(self, kwargs: dict):
        if not kwargs.get("uuid"):
            raise ScimError(405, f"{self.request.method} needs a resource id in the path.")
        adapter = self.adapter_class(self.get_object(for_update=True), request=self.request)
        self.check_version(adapter)
        return adapter


class UsersView(_Overrides, ResourceView, scim_views.UsersView, _Guard):
    adapter_class = MemberAdapter
    schema = USER_SCHEMA
    related = "groups"

    def for_listing(self, queryset, projection: Projection):
        queryset = queryset.select_related("manager")
        return queryset.prefetch_related("groups") if projection.wants("groups") else queryset


class GroupsView(_Overrides, ResourceView, scim_views.GroupsView, _Guard):
    adapter_class = GroupAdapter
    schema = GROUP_SCHEMA
    related = "members"
    # Entra: a group PATCH "should yield an HTTP 204 No Content"; a member list in it helps nobody.
    patch_returns_body = False


class SearchView:
    """POST /Users/.search and /Groups/.search: the list parameters arrive in a SearchRequest body."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        body = self.load_body(request.body)
        if not isinstance(body, dict) or SchemaURI.SERACH_REQUEST not in (body.get("schemas") or []):
            raise bad_request(
                f"The body must be a SearchRequest ({SchemaURI.SERACH_REQUEST}).", "invalidSyntax"
            )
        return self.list_response(list_query(body))


class UserSearchView(SearchView, UsersView):
    http_method_names = ["post"]


class GroupSearchView(SearchView, GroupsView):
    http_method_names = ["post"]


class RootSearchView(SearchView, _Overrides, ResourceView, scim_views.SCIMView, _Guard):
    """POST /.search: one search over Users, then Groups (RFC 7644 §3.4.3)."""

    http_method_names = ["post"]

    def page(self, query: ListQuery, offset: int, count: int) -> tuple[int, list[dict]]:
        total, resources, refusals = 0, [], []
        for view_class in (UsersView, GroupsView):
            view = view_class()
            view.setup(self.request)
            try:
                matched, page = view.page(query, max(offset - total, 0), count - len(resources))
            except ScimError as error:
                # A filter or sortBy that names an attribute only the other type has matches none of this one.
                if error.scim_type != "invalidFilter":
                    raise
                refusals.append(error)
                continue
            total += matched
            resources += page
        if len(refusals) == 2:
            raise refusals[0]
        return total, resources


class ServiceProviderConfig:
    """django-scim2's SERVICE_PROVIDER_CONFIG_MODEL: what this service really supports."""

    def __init__(self, request: HttpRequest | None = None):
        self.request = request

    def to_dict(self) -> dict:
        return {
            "schemas": [SchemaURI.SERVICE_PROVIDER_CONFIG],
            "documentationUri": f"{settings.PLANDISC_BASE_URL}/docs/scim/",
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": settings.SCIM_MAX_PAGE_SIZE},
            "changePassword": {"supported": False},
            "sort": {"supported": True},
            "etag": {"supported": True},
            "authenticationSchemes": settings.SCIM_SERVICE_PROVIDER["AUTHENTICATION_SCHEMES"],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": resource_location("ServiceProviderConfig"),
            },
        }


class ServiceProviderConfigView(_Overrides, scim_views.ServiceProviderConfigView, _Guard):
    pass


def _listing(resources: list[dict]) -> dict:
    return {
        "schemas": [SchemaURI.LIST_RESPONSE],
        "totalResults": len(resources),
        "Resources": resources,
        "startIndex": 1,
        "itemsPerPage": len(resources),
    }


class ResourceTypesView(_Overrides, scim_views.ResourceTypesView, _Guard):
    def get(self, request: HttpRequest, uuid: str | None = None, *args, **kwargs) -> HttpResponse:
        types = {
            "User": {
                "schemas": [SchemaURI.RESOURCE_TYPE],
                "id": "User",
                "name": "User",
                "endpoint": "/Users",
                "description": "A person provisioned by the enterprise's identity provider",
                "schema": USER_SCHEMA.core,
                "schemaExtensions": [{"schema": ENTERPRISE_USER, "required": False}],
                "meta": {"resourceType": "ResourceType", "location": resource_location("ResourceTypes/User")},
            },
            "Group": {
                "schemas": [SchemaURI.RESOURCE_TYPE],
                "id": "Group",
                "name": "Group",
                "endpoint": "/Groups",
                "description": "A group of the enterprise's users",
                "schema": GROUP_SCHEMA.core,
                "meta": {
                    "resourceType": "ResourceType",
                    "location": resource_location("ResourceTypes/Group"),
                },
            },
        }
        if uuid:
            if uuid not in types:
                raise not_found("ResourceType", uuid)
            return scim_response(types[uuid])
        return scim_response(_listing(list(types.values())))


class SchemasView(_Overrides, scim_views.SchemasView, _Guard):
    def get(self, request: HttpRequest, uuid: str | None = None, *args, **kwargs) -> HttpResponse:
        schemas = {}
        for schema in self.schemas_by_uri.values():
            schemas[schema["id"]] = {
                **schema,
                "meta": {"resourceType": "Schema", "location": resource_location(f"Schemas/{schema['id']}")},
            }
        if uuid:
            if uuid not in schemas:
                raise not_found("Schema", uuid)
            return scim_response(schemas[uuid])
        return scim_response(_listing([schemas[uri] for uri in DEFINITIONS]))


class NotImplementedView(_Overrides, scim_views.SCIMView, _Guard):
    implemented = False


def unknown_path(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return error_response(ScimError(404, f"There is no SCIM endpoint at '{request.path_info}'."))

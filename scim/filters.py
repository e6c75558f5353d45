"""
SCIM filters (RFC 7644 §3.4.2.2) as Django Q objects, always inside the calling enterprise.

Built on scim2-filter-parser's Django Q transpiler, with three changes: an attribute we do not store is an
`invalidFilter` error (the stock transpiler silently drops it, which turns `userName eq "a" and title eq "b"`
into a broader match); attributes that RFC 7643 marks caseExact (id, externalId) compare exactly; and
timestamps compare as timestamps.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser, SCIMParserError
from scim2_filter_parser.transpilers.django_q_object import Transpiler

from enterprise.directory.models import ENTERPRISE_EXTENSION, Group, GroupMembership, Member
from enterprise.models import Enterprise
from scim.errors import ScimError

MAX_FILTER_LENGTH = 4096
CASE_EXACT_OPS = {
    "iexact": "exact",
    "icontains": "contains",
    "istartswith": "startswith",
    "iendswith": "endswith",
}
ORDER_OPS = {"gt", "gte", "lt", "lte"}


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


class _Transpiler(Transpiler):
    def __init__(self, attr_map: dict, kinds: dict, through: dict):
        super().__init__(attr_map)
        self.kinds, self.through = kinds, through

    def visit_AttrPath(self, node):
        field = super().visit_AttrPath(node)
        if field is None:
            name = ".".join(filter(None, [node.uri, node.attr_name, node.sub_attr and node.sub_attr.value]))
            raise invalid_filter(f"Filtering on '{name}' is not supported.")
        return field

    def visit_AttrExpr(self, node):
        if not isinstance(node.attr_path.attr_name, str):
            return self.is_filter(node)
        field = self.visit(node.attr_path).replace(".", "__")
        op, value = self.visit_AttrExprValue(node)
        return self.lookup(field, node.value.lower(), op, value)

    def is_filter(self, node):
        # `emails[type eq "work"].value eq "x"`: the bracket part and the trailing comparison, ANDed.
        full, partial = self.visit_PartialAttrExpr(node.attr_path.attr_name)
        op, value = self.visit_AttrExprValue(node)
        return full & self.lookup(partial.replace(".", "__"), node.value.lower(), op, value)

    def lookup(self, field: str, scim_op: str, op: str, value) -> Q:
        kind = self.kinds.get(field, "string")
        for prefix, (through, outer, inner, visible) in self.through.items():
            if field.startswith(prefix):
                # One EXISTS over the relation's visible rows (not a join), so that `not (…)` and `ne`
                # negate "has such a member" rather than each condition on its own.
                query, negated = self._lookup(inner + field.removeprefix(prefix), kind, scim_op, op, value)
                rows = through.objects.filter(query, visible, **{outer: OuterRef("pk")})
                query = Q(Exists(rows))
                break
        else:
            query, negated = self._lookup(field, kind, scim_op, op, value)
        return ~query if negated else query

    def _lookup(self, field: str, kind: str, scim_op: str, op: str, value) -> tuple[Q, bool]:
        """The comparison, and whether the filter asks for its negation."""
        if scim_op == "pr":
            present = Q(**{f"{field}__isnull": False})
            return (present & ~Q(**{field: ""}) if kind == "string" else present), False
        if value is None:
            return Q(**{f"{field}__isnull": True}), scim_op == "ne"
        if kind == "boolean" and (scim_op not in ("eq", "ne") or not isinstance(value, bool)):
            raise invalid_filter(f"'{scim_op}' needs a boolean value (true or false) here.")
        if kind != "boolean" and not isinstance(value, str):
            raise invalid_filter(f"'{scim_op}' needs a quoted string value here.")
        if kind in ("exact", "uuid", "datetime"):
            op = CASE_EXACT_OPS.get(op, op)
        if kind == "datetime" and op not in ORDER_OPS | {"exact"}:
            raise invalid_filter(f"'{scim_op}' cannot compare timestamps.")
        if kind == "uuid" and op == "exact":
            try:
                value = uuid.UUID(value)
            except ValueError:
                return Q(pk__in=[]), False  # no resource has an id that is not a UUID
        return Q(**{f"{field}__{op}": value}), scim_op == "ne"


class ScimFilter:
    """A resource type's filter attributes: `search(filter, enterprise)` returns a queryset."""

    model = None
    attr_map: dict = {}
    kinds: dict = {}
    multi_valued_joins: tuple = ()
    # Field prefix -> (through model, its field to the filtered resource, the prefix there, the condition its
    # rows meet to be seen): such attributes are matched with EXISTS over those rows (_Transpiler.lookup).
    through: dict = {}

    @classmethod
    def queryset(cls, enterprise: Enterprise) -> QuerySet:
        return cls.model.objects.filter(enterprise=enterprise)

    @classmethod
    def to_q(cls, filter_query: str) -> Q:
        if len(filter_query) > MAX_FILTER_LENGTH:
            raise invalid_filter(f"The filter is longer than {MAX_FILTER_LENGTH} characters.")
        if "\x00" in filter_query:
            raise invalid_filter("The filter contains a NUL character.")
        try:
            tree = SCIMParser().parse(SCIMLexer().tokenize(filter_query))
            return _Transpiler(cls.attr_map, cls.kinds, cls.through).transpile(tree)
        except ScimError:
            raise
        except ValidationError as error:
            # A value of the wrong form for a relation's column, met building its EXISTS (GroupFilter).
            raise invalid_filter(
                f"The filter has a value of the wrong form: {'; '.join(error.messages)}"
            ) from None
        except (
            SCIMParserError,
            ValueError,
            TypeError,
            AttributeError,
            IndexError,
            KeyError,
            NotImplementedError,
        ):
            raise invalid_filter(
                f"The filter '{filter_query[:200]}' is not valid SCIM filter syntax."
            ) from None
        except RecursionError:
            raise invalid_filter("The filter is nested too deeply.") from None

    @classmethod
    def search(cls, filter_query: str, enterprise: Enterprise) -> QuerySet:
        query = cls.to_q(filter_query)
        queryset = cls.queryset(enterprise)
        try:
            queryset = queryset.filter(query)
        except ValidationError as error:
            raise invalid_filter(
                f"The filter has a value of the wrong form: {'; '.join(error.messages)}"
            ) from None
        # A filter on a multi-valued relation (group members, a member's groups) joins one row per match.
        if any(join in filter_query.lower() for join in cls.multi_valued_joins):
            queryset = queryset.distinct()
        return queryset

    @classmethod
    def order_field(cls, sort_by: str) -> str:
        """The model field for a `sortBy` attribute path."""
        name, _, sub = sort_by.removeprefix(ENTERPRISE_EXTENSION + ":").partition(".")
        field = cls.attr_map.get((name.lower(), sub.lower() or None, None))
        if field is None or field.startswith(("groups.", "members.")):
            raise invalid_filter(f"Sorting by '{sort_by}' is not supported.")
        return field.replace(".", "__")


def _profile_attributes() -> dict:
    """Filter attributes of the member columns, from the one profile -> columns mapping
    (Member.PROFILE_COLUMNS). Enterprise extension attributes are found with and without their schema URN."""
    attributes = {("emails", None, None): "email"}
    for column, path in Member.PROFILE_COLUMNS.items():
        if path[0] == ENTERPRISE_EXTENSION:
            attributes[(path[1].lower(), None, None)] = column
            attributes[(path[1].lower(), None, ENTERPRISE_EXTENSION.lower())] = column
        else:
            attributes[(path[0].lower(), path[1].lower() if len(path) == 2 else None, None)] = column
    return attributes


# What users and groups share: the server's id and meta, and the client's externalId, compared case-exactly.
COMMON_ATTRIBUTES = {
    ("id", None, None): "scim_id",
    ("externalid", None, None): "external_id",
    ("meta", "created", None): "created_at",
    ("meta", "lastmodified", None): "updated_at",
}
COMMON_KINDS = {"scim_id": "uuid", "external_id": "exact", "created_at": "datetime", "updated_at": "datetime"}


class MemberFilter(ScimFilter):
    model = Member
    attr_map = {
        **_profile_attributes(),
        **COMMON_ATTRIBUTES,
        ("manager", None, None): "manager.scim_id",
        ("manager", "value", None): "manager.scim_id",
        ("manager", None, ENTERPRISE_EXTENSION.lower()): "manager.scim_id",
        ("manager", "value", ENTERPRISE_EXTENSION.lower()): "manager.scim_id",
        ("groups", None, None): "groups.scim_id",
        ("groups", "value", None): "groups.scim_id",
        ("groups", "display", None): "groups.display_name",
    }
    kinds = {**COMMON_KINDS, "manager__scim_id": "uuid", "groups__scim_id": "uuid", "active": "boolean"}
    multi_valued_joins = ("groups",)


class GroupFilter(ScimFilter):
    model = Group
    attr_map = {
        **COMMON_ATTRIBUTES,
        ("displayname", None, None): "display_name",
        ("members", None, None): "members.scim_id",
        ("members", "value", None): "members.scim_id",
        ("members", "display", None): "members.display_name",
    }
    kinds = {**COMMON_KINDS, "members__scim_id": "uuid"}
    # Recently deleted members keep their memberships until purged, but SCIM neither shows nor matches them.
    through = {"members__": (GroupMembership, "group", "member__", Q(member__deleted_at__isnull=True))}


class MembershipFilter(ScimFilter):
    """The value filter of a `members[value eq "…"]` PATCH path, over one group's memberships."""

    model = GroupMembership
    attr_map = {
        ("value", None, None): "member.scim_id",
        ("display", None, None): "member.display_name",
    }
    kinds = {"member__scim_id": "uuid"}

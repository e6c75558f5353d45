"""
SCIM resource bodies as checked documents, and PATCH operations applied to them.

A resource is stored as the document its identity provider sent: attribute names made canonical, values
checked against the schema (scim/schemas.py), unassigned values dropped. PATCH (RFC 7644 §3.5.2) works on
that document with every request shape Entra ID and Okta send (see ../shared/reference/entra-scim.md):
ops in any case, path-less values whose keys are attribute paths (`name.givenName`, extension URNs),
value-filter paths that create the element they select when it is missing, and Entra's `remove` with a
value list, which removes only the listed values.
"""

import re
from dataclasses import dataclass

from django.utils.dateparse import parse_datetime
from scim2_filter_parser import ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser, SCIMParserError

from scim.errors import ScimError, bad_request
from scim.schemas import Attribute, ResourceSchema

MAX_STRING_LENGTH = 8192
MAX_OPERATIONS = 1000
RESERVED = {"schemas", "id", "meta"}
PATH = re.compile(
    r"^(?P<attr>[A-Za-z$][\w$-]*)(?:\[(?P<filter>.+)\])?(?:\.(?P<sub>[A-Za-z$][\w$-]*))?$", re.S
)


def normalize(body: dict, schema: ResourceSchema) -> dict:
    """The writable attributes of `body`, canonical and checked. Unknown attributes are ignored."""
    if not isinstance(body, dict):
        raise bad_request("The resource must be a JSON object.", "invalidSyntax")
    document = {}
    for key, value in body.items():
        if key.lower() in RESERVED:
            continue
        uri = schema.canonical_uri(key)
        if uri and uri != schema.core:
            if value is None:
                continue
            if not isinstance(value, dict):
                raise bad_request(f"'{uri}' must be an object.")
            extension = _normalize_attributes(value, schema, uri)
            if extension:
                document[uri] = extension
            continue
        if uri == schema.core and isinstance(value, dict):
            document.update(_normalize_attributes(value, schema, uri))
            continue
        attribute = schema.find(key, schema.core) if ":" not in key else None
        if attribute is not None and not attribute.read_only:
            _put(document, attribute, value)
    for attribute in schema.attributes(schema.core).values():
        if attribute.required and not attribute.read_only and attribute.name not in document:
            raise bad_request(f"'{attribute.name}' is required.")
    return document


def _normalize_attributes(values: dict, schema: ResourceSchema, uri: str) -> dict:
    document = {}
    for key, value in values.items():
        attribute = schema.find(key, uri)
        if attribute is not None and not attribute.read_only:
            _put(document, attribute, value)
    return document


def _put(document: dict, attribute: Attribute, value) -> None:
    value = coerce(attribute, value)
    if value is None:
        document.pop(attribute.name, None)
    else:
        document[attribute.name] = value


def coerce(attribute: Attribute, value):
    """The value in its schema type, None when unassigned; a ScimError when it cannot be one."""
    if value is None:
        return None
    if attribute.multi_valued:
        items = [value] if isinstance(value, dict) else value
        if not isinstance(items, list):
            raise bad_request(f"'{attribute.name}' must be a list.")
        items = [coerce_single(attribute, item) for item in items]
        # An entry whose value was cleared (`emails[type eq "work"].value` set to "" or null) is gone, not
        # left behind as {"type": "work", "primary": true}.
        valued = attribute.type == "complex" and "value" in attribute.sub_attributes
        return [item for item in items if item is not None and (not valued or "value" in item)] or None
    return coerce_single(attribute, value)


def coerce_single(attribute: Attribute, value):
    if value is None:
        return None
    if attribute.type == "complex":
        if not isinstance(value, dict):
            raise bad_request(f"'{attribute.name}' must be an object.")
        result = {}
        for key, item in value.items():
            sub = attribute.sub_attributes.get(key.lower())
            if sub is not None:
                item = coerce_single(sub, item)
                if item is not None:
                    result[sub.name] = item
        return result or None
    if attribute.type == "boolean":
        if isinstance(value, bool):
            return value
        # Entra sends booleans as the strings "True" and "False" unless the aadOptscim062020 flag is set.
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise bad_request(f"'{attribute.name}' must be a boolean.")
    if attribute.type == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise bad_request(f"'{attribute.name}' must be an integer.")
    if attribute.type == "decimal":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        raise bad_request(f"'{attribute.name}' must be a number.")
    if not isinstance(value, str):
        raise bad_request(f"'{attribute.name}' must be a string.")
    if "\x00" in value:
        raise bad_request(f"'{attribute.name}' contains a NUL character.")
    if len(value) > MAX_STRING_LENGTH:
        raise bad_request(f"'{attribute.name}' is longer than {MAX_STRING_LENGTH} characters.")
    if attribute.type == "dateTime" and value and not _is_datetime(value):
        raise bad_request(f"'{attribute.name}' must be an xsd:dateTime such as 2026-01-31T12:00:00Z.")
    # An empty string clears the attribute (Entra and Microsoft's validators clear values this way).
    return value or None


def _is_datetime(value: str) -> bool:
    try:
        return parse_datetime(value) is not None
    except ValueError:
        return False


@dataclass(frozen=True)
class Target:
    """A parsed PATCH path: `uri:attr[filter].sub`; attribute None means a whole extension object."""

    uri: str
    attribute: Attribute | None
    filter: ast.Filter | None = None
    sub: Attribute | None = None


def parse_path(path: str, schema: ResourceSchema, lenient: bool = False) -> Target | None:
    """Parse a PATCH path. An unknown attribute is `invalidPath`, or None when `lenient`."""
    if not isinstance(path, str) or not path.strip():
        raise bad_request("'path' must be a non-empty string.", "invalidPath")
    rest, uri = path.strip(), None
    if rest.lower().startswith("urn:"):
        for candidate in sorted(schema.uris, key=len, reverse=True):
            if rest.lower() == candidate.lower():
                return Target(candidate, None)
            if rest.lower().startswith(candidate.lower() + ":"):
                uri, rest = candidate, rest[len(candidate) + 1 :]
                break
        else:
            if lenient:
                return None
            raise bad_request(f"The path '{path}' names an unknown schema.", "invalidPath")
    match = PATH.match(rest)
    if not match:
        raise bad_request(f"The path '{path}' is not a valid attribute path.", "invalidPath")
    attribute = schema.find(match["attr"], uri)
    if attribute is None:
        if lenient:
            return None
        raise bad_request(f"The path '{path}' names an attribute this service does not store.", "invalidPath")
    sub = None
    if match["sub"]:
        sub = attribute.sub_attributes.get(match["sub"].lower())
        if sub is None:
            raise bad_request(f"The path '{path}' names an unknown sub-attribute.", "invalidPath")
    value_filter = None
    if match["filter"]:
        if attribute.type != "complex":
            raise bad_request(
                f"The path '{path}' filters an attribute that has no sub-attributes.", "invalidPath"
            )
        value_filter = parse_value_filter(match["filter"], path)
    return Target(attribute.uri, attribute, value_filter, sub)


def parse_value_filter(text: str, path: str) -> ast.Filter:
    try:
        return SCIMParser().parse(SCIMLexer().tokenize(text))
    except (SCIMParserError, ValueError, TypeError, AttributeError, IndexError, RecursionError):
        raise bad_request(f"The filter in path '{path}' is not valid.", "invalidPath") from None


def matches(node, element: dict) -> bool:
    """Evaluate a value filter (`type eq "work"`) against one element of a multi-valued attribute."""
    if isinstance(node, ast.Filter):
        result = matches(node.expr, element)
        return not result if node.negated else result
    if isinstance(node, ast.LogExpr):
        if node.op.lower() == "and":
            return matches(node.expr1, element) and matches(node.expr2, element)
        return matches(node.expr1, element) or matches(node.expr2, element)
    if isinstance(node, ast.AttrExpr) and isinstance(node.attr_path.attr_name, str):
        name = node.attr_path.attr_name.lower()
        actual = next((v for k, v in element.items() if k.lower() == name), None)
        expected = node.comp_value.value if node.comp_value else None
        return _compare(node.value.lower(), actual, expected)
    raise bad_request("Nested value filters are not supported in PATCH paths.", "invalidPath")


def _compare(op: str, actual, expected) -> bool:
    if op == "pr":
        return actual not in (None, "", [], {})
    if expected in (None, "null"):
        return (actual is None) == (op == "eq")
    if actual is None:
        return op == "ne"
    left, right = str(actual).lower(), str(expected).lower()
    return {
        "eq": left == right,
        "ne": left != right,
        "co": right in left,
        "sw": left.startswith(right),
        "ew": left.endswith(right),
        "gt": left > right,
        "ge": left >= right,
        "lt": left < right,
        "le": left <= right,
    }.get(op, False)


def _seed(node) -> dict:
    """The element a filter selects, from its `eq` comparisons: `type eq "work"` gives {"type": "work"}."""
    if isinstance(node, ast.Filter) and not node.negated:
        return _seed(node.expr)
    if isinstance(node, ast.LogExpr) and node.op.lower() == "and":
        return {**_seed(node.expr1), **_seed(node.expr2)}
    if isinstance(node, ast.AttrExpr) and node.value.lower() == "eq" and node.comp_value:
        return {node.attr_path.attr_name: node.comp_value.value}
    return {}


@dataclass(frozen=True)
class Operation:
    op: str
    path: str | None
    value: object


def parse_operations(body: dict) -> list[Operation]:
    """The PatchOp's operations, checked for shape (`Operations` in any case, `op` in any case)."""
    if not isinstance(body, dict):
        raise bad_request("The PATCH body must be a JSON object.", "invalidSyntax")
    operations = next((v for k, v in body.items() if k.lower() == "operations"), None)
    if not isinstance(operations, list) or not operations:
        raise bad_request("The PATCH body needs a non-empty 'Operations' list.", "invalidSyntax")
    if len(operations) > MAX_OPERATIONS:
        raise ScimError(400, f"A PATCH may carry at most {MAX_OPERATIONS} operations.", "tooMany")
    parsed = []
    for operation in operations:
        if not isinstance(operation, dict):
            raise bad_request("Each operation must be a JSON object.", "invalidSyntax")
        fields = {k.lower(): v for k, v in operation.items()}
        op = fields.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "remove", "replace"):
            raise bad_request("Each operation needs 'op': add, remove or replace.", "invalidSyntax")
        path = fields.get("path")
        if path is not None and not isinstance(path, str):
            raise bad_request("'path' must be a string.", "invalidPath")
        if op.lower() != "remove" and "value" not in fields:
            raise bad_request(f"The '{op}' operation needs a 'value'.", "invalidSyntax")
        parsed.append(Operation(op.lower(), path or None, fields.get("value")))
    return parsed


def apply_operation(document: dict, operation: Operation, schema: ResourceSchema) -> None:
    """Apply one operation to `document` in place (the caller normalizes the result)."""
    if operation.path is None:
        if operation.op == "remove":
            raise bad_request("A 'remove' operation needs a 'path'.", "noTarget")
        if not isinstance(operation.value, dict):
            raise bad_request("Without a 'path', the value must be an object of attributes.", "invalidValue")
        for key, value in operation.value.items():
            uri = schema.canonical_uri(key)
            if uri and isinstance(value, dict):
                for name, item in value.items():
                    target = parse_path(f"{uri}:{name}", schema, lenient=True)
                    if target:
                        apply_to_target(document, operation.op, target, item, schema)
                continue
            target = parse_path(key, schema, lenient=True)
            if target:
                apply_to_target(document, operation.op, target, value, schema)
        return
    apply_to_target(document, operation.op, parse_path(operation.path, schema), operation.value, schema)


def apply_to_target(document: dict, op: str, target: Target, value, schema: ResourceSchema) -> None:
    container = document if target.uri == schema.core else document.setdefault(target.uri, {})
    if target.attribute is None:
        if op == "remove":
            document.pop(target.uri, None)
        elif isinstance(value, dict):
            if op == "replace":
                container.clear()
            container.update(value)
        else:
            raise bad_request(f"'{target.uri}' must be an object.")
        return
    attribute = target.attribute
    if attribute.read_only:
        raise ScimError(400, f"'{attribute.name}' is read-only.", "mutability")
    name, current = attribute.name, container.get(attribute.name)

    if target.filter is None and target.sub is None:
        if op == "remove":
            if attribute.multi_valued and isinstance(value, list) and isinstance(current, list):
                # Entra's default dialect: remove only the listed values, not the whole attribute.
                container[name] = [item for item in current if not _listed(item, value)]
            else:
                container.pop(name, None)
        elif attribute.multi_valued and op == "add":
            items = value if isinstance(value, list) else [value]
            existing = current if isinstance(current, list) else []
            container[name] = existing + [item for item in items if item not in existing]
        elif attribute.type == "complex" and not attribute.multi_valued and isinstance(value, dict):
            container[name] = {**current, **value} if isinstance(current, dict) else value
        else:
            container[name] = value
        return

    if target.filter is None:
        elements = current if isinstance(current, list) else [current] if isinstance(current, dict) else []
        if not elements and op != "remove" and not attribute.multi_valued:
            elements = [{}]
        for element in elements:
            if op == "remove":
                element.pop(target.sub.name, None)
            else:
                element[target.sub.name] = value
        container[name] = elements if attribute.multi_valued else (elements[0] if elements else None)
        return

    elements = [e for e in (current if isinstance(current, list) else [current]) if isinstance(e, dict)]
    selected = [e for e in elements if matches(target.filter, e)]
    if op == "remove":
        if target.sub:
            for element in selected:
                element.pop(target.sub.name, None)
        else:
            elements = [e for e in elements if all(e is not s for s in selected)]
    else:
        if not selected:
            # Entra expects `emails[type eq "work"].value` to create the work email when there is none.
            selected = [_seed(target.filter)]
            elements.append(selected[0])
        for element in selected:
            if target.sub:
                element[target.sub.name] = value
            elif isinstance(value, dict):
                element.update(value)
            else:
                raise bad_request(f"The value for '{name}[…]' must be an object.")
    container[name] = elements if attribute.multi_valued else (elements[0] if elements else None)


def _listed(item, values: list) -> bool:
    if isinstance(item, dict):
        key = str(item.get("value", "")).lower()
        return any(isinstance(v, dict) and str(v.get("value", "")).lower() == key for v in values)
    return item in values


def changed_attributes(before: dict, after: dict) -> list[str]:
    """
    The names of the attributes whose values differ between two documents, sorted: `displayName`,
    `name.givenName`; an extension's attributes by their own names (`employeeNumber`). Names only: activity
    never records a value.
    """
    changed = []
    for key in {*after, *before}:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old or {}, dict) and isinstance(new or {}, dict):
            subs = changed_attributes(old or {}, new or {})
            changed += subs if ":" in key else [f"{key}.{sub}" for sub in subs]
        else:
            changed.append(key)
    return sorted(changed, key=str.lower)

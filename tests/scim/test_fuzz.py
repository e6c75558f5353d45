"""
Property-based fuzzing of an enterprise's SCIM endpoint (hypothesis), through the Django test client.

Filters come from the RFC 7644 grammar (attribute paths, value paths, URNs, every operator, and/or/not,
parentheses, odd strings) or are raw text; PATCH and POST bodies come in the shapes Entra ID and Okta send or
are random JSON. Whatever arrives: no 5xx, every 4xx is a SCIM error body, and a refused write leaves the
stored resource exactly as it was.
"""

import json
from http import HTTPStatus
from types import SimpleNamespace

import hypothesis
import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import strategies as st

from enterprise.directory.models import Group, GroupMembership, Member
from tests.scim import entra

pytestmark = pytest.mark.django_db

FUZZ = hypothesis.settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

# Strings a parser or a database column may choke on. A query string cannot carry a lone surrogate; JSON can.
ODD_STRINGS = [
    '"',
    "\\",
    '\\"',
    "'",
    "\x00",
    "a\x00b",
    "é",
    "名前",
    "🙂",
    "\u202e",
    " ",
    "",
    "[",
    "]",
    "(",
    ")",
    "x" * 300,
    "x" * 9000,
    "2026-01-31T12:00:00Z",
    "null",
    "true",
    "True",
    "False",
]
TEXT = st.one_of(st.text(max_size=20), st.sampled_from([*ODD_STRINGS, "\ud800", "a\udfffb"]))
QUERY_TEXT = st.one_of(st.text(st.characters(codec="utf-8"), max_size=40), st.sampled_from(ODD_STRINGS))

# Placeholders the tests swap for the ids of the resources they seeded.
NOBODY = "00000000-0000-0000-0000-000000000000"
IDS = st.sampled_from(["@user", "@manager", "@foreign", "@group", "@other-group", NOBODY])

# Filters ---------------------------------------------------------------------------------------------------

PATHS = st.sampled_from(
    [
        "userName",
        "USERNAME",
        "displayName",
        "name.givenName",
        "name.familyName",
        "name.formatted",
        "emails",
        "emails.value",
        "emails.type",
        "title",
        "active",
        "externalId",
        "id",
        "meta.created",
        "meta.lastModified",
        "manager",
        "manager.value",
        "groups",
        "groups.value",
        "groups.display",
        "members",
        "members.value",
        "members.display",
        "preferredLanguage",
        "employeeNumber",
        "department",
        "nickName",
        "meta",
        "name",
        f"{entra.ENTERPRISE}:department",
        f"{entra.ENTERPRISE}:manager",
        f"{entra.ENTERPRISE}:manager.value",
        f"{entra.USER_SCHEMA}:userName",
        f"{GROUP_SCHEMA}:displayName",
        "urn:bogus:x",
        "a.b.c",
        "$ref",
        "9lives",
    ]
)
OPERATORS = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Co", "sW", "Gt"])
COMPARE_VALUES = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=15).map(json.dumps),  # a well-escaped string
    QUERY_TEXT.map(lambda s: f'"{s}"'),  # quotes and backslashes left raw
    st.sampled_from(["true", "false", "null", "True", "-2.5", "1e999", '"@user"', "nil", '"' + "x" * 999]),
    st.integers().map(str),
)
ATTRIBUTE_EXPRESSIONS = st.one_of(
    st.builds(lambda path: f"{path} pr", PATHS),
    st.builds(lambda path, op, value: f"{path} {op} {value}", PATHS, OPERATORS, COMPARE_VALUES),
)
VALUE_PATHS = st.builds(
    lambda attribute, inner, rest: f"{attribute}[{inner}]{rest}",
    st.sampled_from(["emails", "members", "groups", "addresses", "userName", "x"]),
    ATTRIBUTE_EXPRESSIONS,
    st.sampled_from(["", '.value eq "a"', ".type", " pr", ' eq "work"']),
)
FILTERS = st.recursive(
    st.one_of(ATTRIBUTE_EXPRESSIONS, VALUE_PATHS),
    lambda inner: st.one_of(
        st.builds(
            lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["and", "or", "AND", "Or"]), inner
        ),
        st.builds(lambda f: f"not ({f})", inner),
        st.builds(lambda f: f"({f})", inner),
    ),
    max_leaves=8,
)
# A grammar filter with text spliced in somewhere, and plain text.
MUTATED_FILTERS = st.builds(
    lambda f, at, s: f[: at % (len(f) + 1)] + s + f[at % (len(f) + 1) :],
    FILTERS,
    st.integers(0, 500),
    QUERY_TEXT,
)
RAW_FILTERS = st.one_of(MUTATED_FILTERS, QUERY_TEXT, st.text(st.characters(codec="utf-8"), max_size=300))
NUMBERS = st.one_of(st.integers(), st.integers(min_value=2**31), st.sampled_from(["1", "1e3", "", "NaN"]))
LIST_PARAMETERS = st.fixed_dictionaries(
    {},
    optional={
        "filter": st.one_of(FILTERS, RAW_FILTERS),
        "startIndex": st.one_of(NUMBERS, QUERY_TEXT),
        "count": st.one_of(NUMBERS, QUERY_TEXT),
        "sortBy": st.one_of(PATHS, QUERY_TEXT),
        "sortOrder": st.one_of(st.sampled_from(["ascending", "descending", "DESCENDING", "up"]), QUERY_TEXT),
        "attributes": st.one_of(PATHS, QUERY_TEXT),
        "excludedAttributes": st.one_of(PATHS, QUERY_TEXT),
    },
)

# Bodies ----------------------------------------------------------------------------------------------------

JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**64), st.floats(), TEXT, IDS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.one_of(TEXT, PATHS), inner, max_size=4),
    max_leaves=12,
)
ELEMENT = st.fixed_dictionaries(
    {"value": st.one_of(TEXT, IDS)},
    optional={
        "type": st.sampled_from(["work", "home", "Work", ""]),
        "primary": st.sampled_from([True, "True", 1]),
        "display": TEXT,
        "$ref": TEXT,
    },
)
VALUES = st.one_of(
    TEXT,
    IDS,
    st.booleans(),
    st.sampled_from(["True", "False", ""]),
    st.integers(),
    st.none(),
    ELEMENT,
    st.lists(ELEMENT, max_size=3),
    JSON,
)
PATCH_PATHS = st.one_of(
    st.sampled_from(
        [
            "active",
            "displayName",
            "userName",
            "title",
            "externalId",
            "name.givenName",
            "name.familyName",
            "name",
            'emails[type eq "work"].value',
            'emails[type eq "work"]',
            "emails",
            "emails.value",
            "emails[value pr]",
            'addresses[type eq "work"].streetAddress',
            'phoneNumbers[type eq "mobile"].value',
            "preferredLanguage",
            f"{entra.ENTERPRISE}:department",
            f"{entra.ENTERPRISE}:manager",
            f"{entra.ENTERPRISE}:employeeNumber",
            entra.ENTERPRISE,
            "manager",
            'manager[value eq "@manager"]',
            "roles",
            "groups",
            "id",
            "meta.created",
            "schemas",
            "members",
            'members[value eq "@user"]',
            'members[value eq "@user"].display',
            "members.value",
            'members[display co "a"]',
            "x[",
            "emails[",
            "emails[type eq]",
            'emails[type eq "a"].bogus',
            "urn:bogus:x",
            f"{entra.USER_SCHEMA}:userName",
            f"{GROUP_SCHEMA}:displayName",
            "name.givenName.x",
        ]
    ),
    VALUE_PATHS,
    TEXT,
)
PATHLESS_KEYS = st.one_of(
    st.sampled_from(
        [
            "active",
            "displayName",
            "userName",
            "name.givenName",
            "title",
            "externalId",
            "members",
            "emails",
            'emails[type eq "work"].value',
            f"{entra.ENTERPRISE}:department",
            f"{entra.ENTERPRISE}:manager",
            entra.ENTERPRISE,
            f"{entra.USER_SCHEMA}:displayName",
            "id",
            "meta",
            "schemas",
        ]
    ),
    TEXT,
)
# Well-formed operations in the shapes Entra ID and Okta send, with ordinary values: most should succeed.
NAME = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=30)
STRING_PATHS = st.sampled_from(
    [
        "displayName",
        "title",
        "name.givenName",
        "name.familyName",
        "preferredLanguage",
        "externalId",
        'emails[type eq "work"].value',
        f"{entra.ENTERPRISE}:department",
        f"{entra.ENTERPRISE}:employeeNumber",
    ]
)
MANAGER = st.sampled_from(["@manager", "@user", "@foreign", NOBODY, ""])
MEMBERS = st.lists(st.fixed_dictionaries({"value": IDS}), min_size=1, max_size=3)
ACTIVE = st.sampled_from([True, False, "True", "False"])
PATHLESS_NAMES = st.sampled_from(["displayName", "name.givenName", f"{entra.ENTERPRISE}:department"])


def _op(op: str, path: str | None, value=None) -> dict:
    return {key: v for key, v in {"op": op, "path": path, "value": value}.items() if v is not None}


ENTRA_OPERATIONS = st.one_of(
    st.builds(_op, st.sampled_from(["Replace", "replace", "Add"]), STRING_PATHS, NAME),
    st.builds(_op, st.sampled_from(["Replace", "replace"]), st.just("active"), ACTIVE),
    st.builds(
        _op,
        st.sampled_from(["Add", "replace"]),
        st.just(f"{entra.ENTERPRISE}:manager"),
        st.one_of(MANAGER, MANAGER.map(lambda v: {"value": v})),
    ),
    st.builds(_op, st.sampled_from(["Remove", "remove"]), STRING_PATHS),
    st.builds(
        _op,
        st.just("replace"),
        st.sampled_from(["userName", "externalId"]),
        st.one_of(NAME, st.sampled_from(["BOSS@contoso.com", "boss"])),
    ),
    st.builds(_op, st.just("replace"), st.none(), st.dictionaries(PATHLESS_NAMES, NAME)),
    st.builds(_op, st.sampled_from(["add", "Add", "remove", "replace"]), st.just("members"), MEMBERS),
    st.builds(_op, st.just("Remove"), IDS.map(lambda v: f'members[value eq "{v}"]')),
    st.builds(_op, st.just("Replace"), st.just("displayName"), st.one_of(NAME, st.just("Taken"))),
)
OPS = st.one_of(st.sampled_from(["add", "Add", "replace", "Replace", "remove", "Remove", "REPLACE"]), JSON)
OPERATIONS = st.one_of(
    st.fixed_dictionaries({"op": OPS}, optional={"path": PATCH_PATHS, "value": VALUES}),
    st.fixed_dictionaries({"op": OPS, "value": st.dictionaries(PATHLESS_KEYS, VALUES, max_size=4)}),
    JSON,
)
PATCH_BODIES = st.one_of(
    st.lists(ENTRA_OPERATIONS, min_size=1, max_size=3).map(lambda ops: entra.patch(*ops)),
    st.lists(ENTRA_OPERATIONS, min_size=1, max_size=3).map(lambda ops: entra.patch(*ops)),
    st.lists(ENTRA_OPERATIONS | OPERATIONS, min_size=1, max_size=4).map(lambda ops: entra.patch(*ops)),
    st.fixed_dictionaries({}, optional={"schemas": JSON, "operations": JSON | st.lists(OPERATIONS)}),
    JSON,
    st.binary(max_size=40),
)
USER_BODIES = st.one_of(
    st.builds(entra.create_user, NAME),
    st.fixed_dictionaries(
        {"userName": st.one_of(TEXT, st.integers())},
        optional={
            "schemas": st.just([entra.USER_SCHEMA, entra.ENTERPRISE]) | JSON,
            "externalId": VALUES,
            "active": VALUES,
            "displayName": VALUES,
            "emails": VALUES,
            "name": VALUES,
            "title": VALUES,
            "groups": VALUES,
            "id": TEXT,
            "meta": JSON,
            entra.ENTERPRISE: JSON | st.dictionaries(st.sampled_from(["department", "manager"]), VALUES),
        },
    ),
    JSON,
)
GROUP_BODIES = st.one_of(
    st.fixed_dictionaries({"displayName": NAME}, optional={"externalId": NAME, "members": MEMBERS}),
    st.fixed_dictionaries(
        {"displayName": st.one_of(TEXT, st.integers())},
        optional={
            "schemas": st.just([GROUP_SCHEMA]) | JSON,
            "externalId": VALUES,
            "members": VALUES,
        },
    ),
    JSON,
)


# The seeded enterprise -------------------------------------------------------------------------------------


@pytest.fixture
def seeded(scim, other_scim, settings) -> SimpleNamespace:
    """A user with a manager and a group, a second group, and a user of another enterprise."""
    settings.SCIM_RATE_LIMIT_PER_MINUTE = 10**9
    manager = scim.post("/Users", entra.create_user("boss@contoso.com", externalId="boss")).json()["id"]
    user = scim.post("/Users", entra.create_user("fuzz@contoso.com", externalId="fuzz")).json()["id"]
    scim.patch(
        f"/Users/{user}", entra.patch({"op": "add", "path": f"{entra.ENTERPRISE}:manager", "value": manager})
    )
    group = scim.post(
        "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Fuzzers", "members": [{"value": user}]}
    )
    other_group = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Taken"})
    foreign = other_scim.post("/Users", entra.create_user("someone@fabrikam.com")).json()["id"]
    ids = {
        "@user": user,
        "@manager": manager,
        "@foreign": foreign,
        "@group": group.json()["id"],
        "@other-group": other_group.json()["id"],
    }
    return SimpleNamespace(ids=ids, user=user, group=ids["@group"])


def _filled(text: str, ids: dict) -> str:
    for placeholder, id_ in ids.items():
        text = text.replace(placeholder, id_)
    return text


def _with_ids(body, ids: dict) -> str | bytes:
    """The request body: raw bytes as they are, anything else as JSON (NaN and Infinity included)."""
    return body if isinstance(body, bytes) else _filled(json.dumps(body), ids)


def _assert_scim_answer(response) -> None:
    """No 5xx; SCIM JSON on every answer with a body; every 4xx an RFC 7644 §3.12 error."""
    event(f"HTTP {response.status_code}")  # shown by --hypothesis-show-statistics
    assert response.status_code < 500, response.content[:3000]
    if response.status_code in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
        return
    assert response["Content-Type"] == "application/scim+json", response.content[:3000]
    if response.status_code >= 400:
        body = response.json()
        assert body["schemas"] == [entra.ERROR], body
        assert body["status"] == str(response.status_code), body


def _stored_user(pk: str) -> dict:
    member = Member.objects.filter(scim_id=pk).values().get()
    member["groups"] = sorted(
        GroupMembership.objects.filter(member_id=member["id"]).values_list("group_id", flat=True)
    )
    return member


def _stored_group(pk: str) -> dict:
    group = Group.objects.filter(scim_id=pk).values().get()
    group["members"] = sorted(
        GroupMembership.objects.filter(group_id=group["id"]).values_list("member_id", flat=True)
    )
    return group


# Filters ---------------------------------------------------------------------------------------------------


@hypothesis.settings(FUZZ, max_examples=800)
@given(filter_=FILTERS, resource=st.sampled_from(["/Users", "/Groups"]), as_search=st.booleans())
def test_no_grammar_filter_breaks_a_list(scim, seeded, filter_, resource, as_search):
    filter_ = _filled(filter_, seeded.ids)
    if as_search:
        response = scim.post(f"{resource}/.search", {"schemas": [SEARCH], "filter": filter_})
    else:
        response = scim.get(resource, {"filter": filter_})
    _assert_scim_answer(response)
    if response.status_code == HTTPStatus.OK:
        assert response.json()["schemas"] == [entra.LIST]
    else:
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["scimType"] == "invalidFilter"


@hypothesis.settings(FUZZ, max_examples=400)
@given(filter_=RAW_FILTERS, resource=st.sampled_from(["/Users", "/Groups", "/Users/.search", "/.search"]))
def test_no_raw_text_filter_breaks_a_list(scim, seeded, filter_, resource):
    if resource.endswith(".search"):
        response = scim.post(resource, {"schemas": [SEARCH], "filter": filter_})
    else:
        response = scim.get(resource, {"filter": filter_})
    _assert_scim_answer(response)
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST)


@hypothesis.settings(FUZZ, max_examples=300)
@given(
    parameters=LIST_PARAMETERS,
    resource=st.sampled_from(["/Users", "/Groups"]),
    odd=st.one_of(st.none(), JSON),
)
def test_no_list_parameters_break_a_list_or_a_search(scim, seeded, parameters, resource, odd):
    response = scim.get(resource, {name: str(value) for name, value in parameters.items()})
    _assert_scim_answer(response)
    # A SearchRequest carries the same parameters as JSON, so they can be any JSON value too.
    name = next(iter(parameters), "filter")
    body = {"schemas": [SEARCH], **parameters, **({name: odd} if odd is not None else {})}
    response = scim.post(f"{resource}/.search", _with_ids(body, seeded.ids))
    _assert_scim_answer(response)


# Writes ----------------------------------------------------------------------------------------------------


@hypothesis.settings(FUZZ, max_examples=600)
@given(body=PATCH_BODIES)
def test_no_patch_breaks_a_user_and_a_refused_one_changes_nothing(scim, seeded, body):
    before = _stored_user(seeded.user)
    response = scim.patch(f"/Users/{seeded.user}", _with_ids(body, seeded.ids))
    _assert_scim_answer(response)
    if response.status_code >= 400:
        assert _stored_user(seeded.user) == before
    else:
        assert response.status_code == HTTPStatus.OK
        read_back = scim.get(f"/Users/{seeded.user}")
        _assert_scim_answer(read_back)
        assert read_back.json() == response.json()


@hypothesis.settings(FUZZ, max_examples=400)
@given(body=PATCH_BODIES)
def test_no_patch_breaks_a_group_and_a_refused_one_changes_nothing(scim, seeded, body):
    before = _stored_group(seeded.group)
    response = scim.patch(f"/Groups/{seeded.group}", _with_ids(body, seeded.ids))
    _assert_scim_answer(response)
    if response.status_code >= 400:
        assert _stored_group(seeded.group) == before
    else:
        assert response.status_code == HTTPStatus.NO_CONTENT
        _assert_scim_answer(scim.get(f"/Groups/{seeded.group}"))


@hypothesis.settings(FUZZ, max_examples=400)
@given(
    resource_and_body=st.one_of(
        st.tuples(st.just("/Users"), USER_BODIES), st.tuples(st.just("/Groups"), GROUP_BODIES)
    )
)
def test_no_body_breaks_a_create_and_a_refused_one_stores_nothing(scim, seeded, resource_and_body):
    resource, body = resource_and_body
    counts = (Member.objects.count(), Group.objects.count(), GroupMembership.objects.count())
    response = scim.post(resource, _with_ids(body, seeded.ids))
    _assert_scim_answer(response)
    if response.status_code >= 400:
        assert (Member.objects.count(), Group.objects.count(), GroupMembership.objects.count()) == counts
        return
    assert response.status_code == HTTPStatus.CREATED
    created = response.json()
    read_back = scim.get(f"{resource}/{created['id']}")
    _assert_scim_answer(read_back)
    assert read_back.json() == created
    assert scim.delete(f"{resource}/{created['id']}").status_code == HTTPStatus.NO_CONTENT


# What the fuzzing found, pinned down ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb"])
def test_a_lone_surrogate_in_a_body_is_invalid_syntax_not_a_500(scim, text):
    # JSON escapes it ("\\ud800"), but no database column can store the string it decodes to.
    created = scim.post("/Users", {"userName": text})
    searched = scim.post("/Users/.search", {"schemas": [SEARCH], "filter": f'userName eq "{text}"'})

    for response in (created, searched):
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["scimType"] == "invalidSyntax"
    assert not Member.objects.exists()


@pytest.mark.parametrize("attributes", [[None], ["userName", 1], [["userName"]]])
def test_a_search_request_listing_non_strings_is_a_400_not_a_500(scim, attributes):
    response = scim.post("/Users/.search", {"schemas": [SEARCH], "attributes": attributes})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["scimType"] == "invalidValue"

"""Filters with every operator, sorting, paging and attribute selection (RFC 7644 §3.4)."""

from http import HTTPStatus

import pytest

from tests.scim import entra

pytestmark = pytest.mark.django_db

PEOPLE = [
    ("alex.wilber@contoso.com", "Alex Wilber", "a1", "Sales", True),
    ("megan.bowen@contoso.com", "Megan Bowen", "b2", "Marketing", True),
    ("lee.gu@fabrikam.com", "Lee Gu", "c3", "Sales", False),
    ("nestor.wilke@contoso.com", "Nestor Wilke", None, "", True),
]


@pytest.fixture
def people(scim) -> dict[str, str]:
    ids = {}
    for user_name, display_name, external_id, department, active in PEOPLE:
        body = {
            "schemas": [entra.USER_SCHEMA],
            "userName": user_name,
            "displayName": display_name,
            "active": active,
            "emails": [{"type": "work", "value": user_name.upper(), "primary": True}],
            **({"externalId": external_id} if external_id else {}),
            **({entra.ENTERPRISE: {"department": department}} if department else {}),
        }
        ids[user_name] = scim.post("/Users", body).json()["id"]
    return ids


def _names(response) -> list[str]:
    assert response.status_code == HTTPStatus.OK, response.content
    return [r["userName"] for r in response.json()["Resources"]]


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ('userName eq "ALEX.WILBER@contoso.com"', ["alex.wilber@contoso.com"]),
        (
            'userName ne "alex.wilber@contoso.com"',
            ["megan.bowen@contoso.com", "lee.gu@fabrikam.com", "nestor.wilke@contoso.com"],
        ),
        ('userName co "WIL"', ["alex.wilber@contoso.com", "nestor.wilke@contoso.com"]),
        ('userName sw "meg"', ["megan.bowen@contoso.com"]),
        ('userName ew "@FABRIKAM.com"', ["lee.gu@fabrikam.com"]),
        ('displayName gt "Lee Gu"', ["megan.bowen@contoso.com", "nestor.wilke@contoso.com"]),
        (
            'displayName ge "Lee Gu"',
            ["megan.bowen@contoso.com", "lee.gu@fabrikam.com", "nestor.wilke@contoso.com"],
        ),
        ('displayName lt "Lee Gu"', ["alex.wilber@contoso.com"]),
        ('displayName le "Lee Gu"', ["alex.wilber@contoso.com", "lee.gu@fabrikam.com"]),
        ("externalId pr", ["alex.wilber@contoso.com", "megan.bowen@contoso.com", "lee.gu@fabrikam.com"]),
        ("not (externalId pr)", ["nestor.wilke@contoso.com"]),
        ("active eq false", ["lee.gu@fabrikam.com"]),
        (
            'active eq true and userName ew "contoso.com"',
            ["alex.wilber@contoso.com", "megan.bowen@contoso.com", "nestor.wilke@contoso.com"],
        ),
        ('(userName sw "alex" or userName sw "lee") and active eq true', ["alex.wilber@contoso.com"]),
        ('emails.value eq "megan.bowen@contoso.com"', ["megan.bowen@contoso.com"]),
        ('emails[type eq "work" and value co "FABRIKAM"]', ["lee.gu@fabrikam.com"]),
        (f'{entra.ENTERPRISE}:department eq "sales"', ["alex.wilber@contoso.com", "lee.gu@fabrikam.com"]),
        ('UserName EQ "lee.gu@fabrikam.com"', ["lee.gu@fabrikam.com"]),
        ('meta.created gt "2000-01-01T00:00:00Z"', [p[0] for p in PEOPLE]),
        ('meta.lastModified lt "2000-01-01T00:00:00Z"', []),
    ],
)
def test_filter_operators(scim, people, filter_, expected):
    assert _names(scim.get("/Users", {"filter": filter_})) == expected


def test_external_id_compares_case_exactly(scim, people):
    assert _names(scim.get("/Users", {"filter": 'externalId eq "A1"'})) == []
    assert _names(scim.get("/Users", {"filter": 'externalId eq "a1"'})) == ["alex.wilber@contoso.com"]


@pytest.mark.parametrize(
    "filter_",
    [
        'userName eq "a" and nickName eq "b"',
        "userName eq",
        'userName zz "a"',
        'userName eq "unterminated',
        'meta.created gt "not a date"',
        'meta.created co "2020"',
        'active eq "yes"',
        "((((userName pr",
        'userName eq "nul\x00"',
        "x" * 5000,
    ],
)
def test_a_filter_we_cannot_answer_is_400_invalid_filter(scim, people, filter_):
    response = scim.get("/Users", {"filter": filter_})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["scimType"] == "invalidFilter"
    assert response.json()["status"] == "400"


def test_sort_by_any_filterable_attribute(scim, people):
    response = scim.get("/Users", {"sortBy": "displayName", "sortOrder": "descending"})
    assert _names(response) == [
        "nestor.wilke@contoso.com",
        "megan.bowen@contoso.com",
        "lee.gu@fabrikam.com",
        "alex.wilber@contoso.com",
    ]
    assert _names(scim.get("/Users", {"sortBy": "userName"}))[0] == "alex.wilber@contoso.com"
    response = scim.get("/Users", {"sortBy": "nickName"})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_pages_are_counted_and_sliced(scim, people):
    first = scim.get("/Users", {"startIndex": 1, "count": 3}).json()
    second = scim.get("/Users", {"startIndex": 4, "count": 3}).json()

    assert (first["totalResults"], first["startIndex"], first["itemsPerPage"]) == (4, 1, 3)
    assert (second["totalResults"], second["startIndex"], second["itemsPerPage"]) == (4, 4, 1)
    ids = [r["id"] for r in first["Resources"] + second["Resources"]]
    assert sorted(ids) == sorted(people.values())


def test_count_zero_gives_only_the_total(scim, people):
    assert scim.get("/Users", {"count": 0}).json() == {
        "schemas": [entra.LIST],
        "totalResults": 4,
        "Resources": [],
        "startIndex": 1,
        "itemsPerPage": 0,
    }


def test_a_start_index_past_the_end_is_an_empty_page_with_the_total(scim, people):
    body = scim.get("/Users", {"startIndex": 50}).json()
    assert (body["totalResults"], body["Resources"], body["startIndex"]) == (4, [], 50)


def test_count_is_capped_at_the_advertised_maximum(scim, people, settings):
    settings.SCIM_MAX_PAGE_SIZE = 2
    assert scim.get("/Users", {"count": 1000}).json()["itemsPerPage"] == 2
    assert scim.get("/ServiceProviderConfig").json()["filter"] == {"supported": True, "maxResults": 2}


@pytest.mark.parametrize(
    "params", [{"startIndex": "one"}, {"count": "many"}, {"sortOrder": "sideways"}, {"startIndex": 10**19}]
)
def test_malformed_paging_is_400(scim, params):
    response = scim.get("/Users", params)
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["scimType"] == "invalidValue"


def test_attributes_returns_only_those_plus_id_and_schemas(scim, people):
    response = scim.get(
        "/Users", {"filter": 'userName eq "alex.wilber@contoso.com"', "attributes": "userName,emails.value"}
    )
    assert response.json()["Resources"] == [
        {
            "schemas": [entra.USER_SCHEMA, entra.ENTERPRISE],
            "id": people["alex.wilber@contoso.com"],
            "userName": "alex.wilber@contoso.com",
            "emails": [{"value": "ALEX.WILBER@CONTOSO.COM"}],
        }
    ]


def test_attributes_can_name_extension_attributes(scim, people):
    user = scim.get(
        f"/Users/{people['alex.wilber@contoso.com']}", {"attributes": f"{entra.ENTERPRISE}:department"}
    ).json()
    assert user == {
        "schemas": [entra.USER_SCHEMA, entra.ENTERPRISE],
        "id": people["alex.wilber@contoso.com"],
        entra.ENTERPRISE: {"department": "Sales"},
    }


def test_excluded_attributes_drops_them(scim, people):
    user = scim.get(
        f"/Users/{people['lee.gu@fabrikam.com']}", {"excludedAttributes": "emails,meta,displayName"}
    ).json()
    assert set(user) == {"schemas", "id", "userName", "externalId", "active", entra.ENTERPRISE}


def test_search_takes_the_parameters_from_the_body(scim, people):
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName ew "contoso.com"',
        "sortBy": "userName",
        "sortOrder": "descending",
        "startIndex": 1,
        "count": 2,
        "attributes": ["userName"],
    }
    response = scim.post("/Users/.search", body)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["totalResults"] == 3
    assert response.json()["Resources"] == [
        {
            "schemas": [entra.USER_SCHEMA],
            "id": people["nestor.wilke@contoso.com"],
            "userName": "nestor.wilke@contoso.com",
        },
        {
            "schemas": [entra.USER_SCHEMA, entra.ENTERPRISE],
            "id": people["megan.bowen@contoso.com"],
            "userName": "megan.bowen@contoso.com",
        },
    ]


def test_search_needs_a_search_request(scim):
    response = scim.post("/Users/.search", {"filter": "userName pr"})
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["scimType"] == "invalidSyntax"


def test_a_page_of_users_costs_a_fixed_number_of_queries(scim, people, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        assert len(scim.get("/Users").json()["Resources"]) == 4
    for n in range(10):
        scim.post("/Users", entra.create_user(f"more{n}@contoso.com", externalId=f"m{n}"))
    with django_assert_max_num_queries(9):
        assert len(scim.get("/Users").json()["Resources"]) == 14

"""One enterprise never sees or touches another's members or groups, whatever the request."""

from http import HTTPStatus

import pytest

from enterprise.directory.models import Group, Member
from tests.scim import entra

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(other_scim) -> dict:
    user = other_scim.post("/Users", entra.create_user("same@contoso.com")).json()
    group = other_scim.post("/Groups", entra.create_group("Sales")).json()
    return {"user": user["id"], "group": group["id"]}


def test_another_enterprises_ids_are_404_for_every_method(scim, theirs):
    for kind, id_ in (("Users", theirs["user"]), ("Groups", theirs["group"])):
        assert scim.get(f"/{kind}/{id_}").status_code == HTTPStatus.NOT_FOUND
        assert scim.patch(f"/{kind}/{id_}", entra.DISABLE_DEFAULT).status_code == HTTPStatus.NOT_FOUND
        assert scim.put(f"/{kind}/{id_}", entra.create_user()).status_code == HTTPStatus.NOT_FOUND
        assert scim.delete(f"/{kind}/{id_}").status_code == HTTPStatus.NOT_FOUND
    assert Member.objects.get(scim_id=theirs["user"]).active is True
    assert Group.objects.filter(scim_id=theirs["group"]).exists()


@pytest.mark.parametrize(
    "query",
    [
        '/Users?filter=userName eq "same@contoso.com"',
        '/Users?filter=userName eq "nobody" or userName eq "same@contoso.com"',
        '/Users?filter=not (userName eq "nobody")',
        "/Users?filter=userName pr",
        '/Users?filter=id eq "{user}" or active eq true',
        "/Users",
        "/Users?startIndex=1&count=500",
        '/Groups?filter=displayName eq "Sales" or displayName pr',
        '/Groups?filter=id eq "{group}"',
        "/Groups",
    ],
)
def test_no_list_or_filter_reaches_another_enterprise(scim, theirs, query):
    response = scim.get(query.format(**theirs))
    assert response.status_code == HTTPStatus.OK
    assert response.json()["totalResults"] == 0 and response.json()["Resources"] == []


def test_the_same_username_can_be_provisioned_in_both(scim, theirs):
    response = scim.post("/Users", entra.create_user("same@contoso.com"))
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["id"] != theirs["user"]


def test_search_stays_inside_the_enterprise(scim, theirs):
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName pr"}
    assert scim.post("/Users/.search", body).json()["totalResults"] == 0

"""Group members carry their `display` (RFC 7643 §4.2, which Microsoft's reference collection reads): the
member's displayName, else their userName, in one statement however many members; recently deleted members
are neither shown nor matched."""

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.scim import entra

pytestmark = pytest.mark.django_db

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _user(scim, user_name: str, **extra) -> str:
    response = scim.post("/Users", entra.create_user(user_name, externalId=user_name, **extra))
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()["id"]


def _group_with(scim, name: str, *ids: str) -> str:
    group = scim.post("/Groups", entra.create_group(name)).json()
    if ids:
        response = scim.patch(
            f"/Groups/{group['id']}",
            entra.patch({"op": "Add", "path": "members", "value": [{"value": id_} for id_ in ids]}),
        )
        assert response.status_code == HTTPStatus.NO_CONTENT
    return group["id"]


def _member(enterprise, id_: str, display: str) -> dict:
    ref = f"http://127.0.0.1:8000/scim/v2/{enterprise.public_id}/Users/{id_}"
    return {"value": id_, "$ref": ref, "type": "User", "display": display}


def test_a_group_lists_each_members_display_name_else_their_user_name(scim, enterprise):
    named = _user(scim, "alex@contoso.com", displayName="Alex Wilber")
    unnamed = _user(scim, "megan@contoso.com")
    group_id = _group_with(scim, "Sales", named, unnamed)

    response = scim.get(f"/Groups/{group_id}")

    assert response.status_code == HTTPStatus.OK
    # Added by one PATCH: in no particular order.
    assert sorted(response.json()["members"], key=lambda member: member["value"]) == sorted(
        [_member(enterprise, named, "Alex Wilber"), _member(enterprise, unnamed, "megan@contoso.com")],
        key=lambda member: member["value"],
    )


def test_filtered_lists_and_put_answers_carry_the_display_too(scim, enterprise):
    alex = _user(scim, "alex@contoso.com", displayName="Alex Wilber")
    group_id = _group_with(scim, "Sales", alex)

    listed = scim.get('/Groups?filter=displayName eq "Sales"').json()
    put = scim.put(
        f"/Groups/{group_id}",
        {"schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": [{"value": alex}]},
    )

    assert listed["Resources"][0]["members"] == [_member(enterprise, alex, "Alex Wilber")]
    assert put.status_code == HTTPStatus.OK
    assert put.json()["members"] == [_member(enterprise, alex, "Alex Wilber")]


def test_a_renamed_member_shows_their_new_display(scim, enterprise):
    alex = _user(scim, "alex@contoso.com", displayName="Alex Wilber")
    group_id = _group_with(scim, "Sales", alex)
    scim.patch(f"/Users/{alex}", entra.patch({"op": "Replace", "path": "displayName", "value": "Alex W."}))

    assert scim.get(f"/Groups/{group_id}").json()["members"] == [_member(enterprise, alex, "Alex W.")]


def test_reading_a_group_costs_the_same_statements_with_1_or_30_members(scim):
    small = _group_with(scim, "Small", _user(scim, "first@contoso.com"))
    large = _group_with(scim, "Large", *(_user(scim, f"user{n}@contoso.com") for n in range(30)))

    counts = {}
    for group_id in (small, large):
        scim.get(f"/Groups/{group_id}")  # any once-a-minute write of the token's last use happens here
        with CaptureQueriesContext(connection) as captured:
            response = scim.get(f"/Groups/{group_id}")
        assert response.status_code == HTTPStatus.OK
        counts[group_id] = len(captured)

    assert len(scim.get(f"/Groups/{large}").json()["members"]) == 30
    assert counts[small] == counts[large]


def test_a_recently_deleted_member_is_not_shown_nor_matched_by_a_members_filter(scim, enterprise):
    kept = _user(scim, "kept@contoso.com", displayName="Kept")
    gone = _user(scim, "gone@contoso.com", displayName="Gone")
    group_id = _group_with(scim, "Sales", kept, gone)
    assert scim.delete(f"/Users/{gone}").status_code == HTTPStatus.NO_CONTENT

    def matched(text: str) -> list[str]:
        response = scim.get("/Groups", {"filter": text, "excludedAttributes": "members"})
        assert response.status_code == HTTPStatus.OK
        return [g["id"] for g in response.json()["Resources"]]

    assert scim.get(f"/Groups/{group_id}").json()["members"] == [_member(enterprise, kept, "Kept")]
    assert matched(f'members[value eq "{gone}"]') == []
    assert matched(f'members.value eq "{gone}"') == []
    assert matched('members.display eq "Gone"') == []
    assert matched(f'members[value eq "{kept}"]') == [group_id]
    assert matched(f'not (members[value eq "{gone}"])') == [group_id]

"""Entra runs requests in parallel: a race ends in one 201 and 409s; concurrent group PATCHes lose nothing."""

from collections import Counter
from http import HTTPStatus

import pytest

from enterprise.directory.models import GroupMembership, Member
from tests.parallel import in_parallel
from tests.scim import entra

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def test_a_create_race_ends_in_exactly_one_201_and_409s(scim, enterprise):
    statuses = in_parallel(
        lambda i: scim.post("/Users", entra.create_user(externalId=f"e{i}")).status_code, THREADS
    )

    assert Counter(statuses) == {HTTPStatus.CREATED: 1, HTTPStatus.CONFLICT: THREADS - 1}
    assert Member.objects.filter(enterprise=enterprise).count() == 1


def test_concurrent_member_adds_to_one_group_lose_nobody(scim):
    users = [
        scim.post("/Users", entra.create_user(f"u{n}@contoso.com", externalId=f"u{n}")).json()["id"]
        for n in range(THREADS * 3)
    ]
    group = scim.post("/Groups", entra.create_group()).json()["id"]

    def add(index: int) -> int:
        mine = users[index * 3 : index * 3 + 3]
        body = entra.patch({"op": "Add", "path": "members", "value": [{"value": u} for u in mine]})
        return scim.patch(f"/Groups/{group}", body).status_code

    assert set(in_parallel(add, THREADS)) == {HTTPStatus.NO_CONTENT}
    assert GroupMembership.objects.filter(group__scim_id=group).count() == THREADS * 3


def test_concurrent_adds_and_removes_touch_only_their_own_members(scim):
    users = [
        scim.post("/Users", entra.create_user(f"u{n}@contoso.com", externalId=f"u{n}")).json()["id"]
        for n in range(THREADS * 2)
    ]
    group = scim.post("/Groups", entra.create_group()).json()["id"]
    keep, drop = users[:THREADS], users[THREADS:]
    scim.patch(
        f"/Groups/{group}",
        entra.patch({"op": "Add", "path": "members", "value": [{"value": u} for u in drop]}),
    )

    def change(index: int) -> int:
        body = entra.patch(
            {"op": "Add", "path": "members", "value": [{"value": keep[index]}]},
            {"op": "Remove", "path": "members", "value": [{"value": drop[index]}]},
        )
        return scim.patch(f"/Groups/{group}", body).status_code

    assert set(in_parallel(change, THREADS)) == {HTTPStatus.NO_CONTENT}
    remaining = set(
        GroupMembership.objects.filter(group__scim_id=group).values_list("member__scim_id", flat=True)
    )
    assert {str(u) for u in remaining} == set(keep)

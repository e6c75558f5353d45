"""The benchmark seeds enterprises with COPY; its rows must be the rows the SCIM adapters write."""

import json

import pytest
from django.db import connection

from bench import cycle
from bench.sizes import Size, seed
from enterprise.directory.models import Group, GroupMembership, Member

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the benchmark seeds with PostgreSQL's COPY"
    ),
]

SERVER_OWNED = {"id", "scim_id", "created_at", "updated_at"}


def _row(model, **lookup) -> dict:
    row = model.objects.values().get(**lookup)
    return {
        k: json.dumps(v, sort_keys=True) if isinstance(v, dict) else v
        for k, v in row.items()
        if k not in SERVER_OWNED
    }


def test_a_seeded_member_is_stored_like_one_entra_provisioned(scim):
    seeded = seed(Size(members=3, largest_group=2), "seeded", sample=3)
    assert scim.post("/Users", cycle.user_body("0000009")).status_code == 201
    enterprise = Member.objects.get(user_name=cycle.user_name(2)).enterprise_id

    provisioned = _row(Member, user_name=cycle.user_name(9))
    expected = {
        k: v.replace("0000009", "0000002") if isinstance(v, str) else v for k, v in provisioned.items()
    }

    assert _row(Member, user_name=cycle.user_name(2)) == {**expected, "enterprise_id": enterprise}
    assert Member.objects.filter(enterprise_id=enterprise).count() == 3
    assert GroupMembership.objects.filter(group__scim_id=seeded.largest).count() == 2


def test_a_seeded_group_is_stored_like_one_entra_provisioned(scim):
    seed(Size(members=3, largest_group=2), "seeded", sample=3)
    assert scim.post("/Groups", cycle.group_body("0000019")).status_code == 201
    enterprise = Group.objects.get(display_name=cycle.group_name(2)).enterprise_id

    provisioned = _row(Group, display_name=cycle.group_name(19))
    expected = {
        k: v.replace("0000019", "0000002") if isinstance(v, str) else v for k, v in provisioned.items()
    }

    assert _row(Group, display_name=cycle.group_name(2)) == {**expected, "enterprise_id": enterprise}

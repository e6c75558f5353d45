"""Every SCIM request says in its activity row what it did and to whom, as it happened."""

import pytest

from enterprise.activity.models import ProvisioningEvent
from tests.scim import entra

pytestmark = pytest.mark.django_db


def _said(enterprise) -> list[tuple]:
    events = enterprise.provisioning_events.order_by("id")
    return [(e.action, e.summary, e.target_type, e.target_label) for e in events]


def _last(enterprise) -> ProvisioningEvent:
    return enterprise.provisioning_events.order_by("-id").first()


def _user(scim, user_name: str, **extra) -> dict:
    return scim.post("/Users", entra.create_user(user_name, **extra)).json()


def test_a_user_lifecycle_is_told_in_words(scim, enterprise):
    scim.get(entra.TEST_CONNECTION)
    scim.get('/Users?filter=userName eq "alex@contoso.com"')
    alex = _user(scim, "alex@contoso.com", title="Engineer")
    scim.get('/Users?filter=userName eq "alex@contoso.com"')
    scim.patch(f"/Users/{alex['id']}", entra.REPLACE_DEFAULT)
    scim.patch(f"/Users/{alex['id']}", entra.REPLACE_FLAG)
    scim.patch(f"/Users/{alex['id']}", entra.DISABLE_DEFAULT)
    scim.patch(f"/Users/{alex['id']}", entra.ENABLE_DEFAULT)
    scim.patch(f"/Users/{alex['id']}", entra.DISABLE_PATHLESS)
    scim.delete(f"/Users/{alex['id']}")

    alex_ = "alex@contoso.com"
    assert _said(enterprise) == [
        ("test_connection", "Test Connection", "User", "cf4d78e8-cc4f-4d5d-b8b9-183561c0104a"),
        ("looked_up", f"Looked up {alex_} (not found)", "User", alex_),
        ("created", f"Created member {alex_}", "User", alex_),
        ("looked_up", f"Looked up {alex_} (found)", "User", alex_),
        (
            "updated",
            f"Updated {alex_}: displayName, emails, employeeNumber, externalId, name.familyName, "
            "name.givenName",
            "User",
            alex_,
        ),
        (
            "updated",
            f"Updated {alex_}: displayName, emails, employeeNumber, name.familyName, name.givenName",
            "User",
            alex_,
        ),
        ("deactivated", f"Deactivated {alex_}", "User", alex_),
        ("reactivated", f"Reactivated {alex_}", "User", alex_),
        ("deactivated", f"Deactivated {alex_}", "User", alex_),
        ("deleted", f"Deleted member {alex_}", "User", alex_),
    ]
    # Found by the stored id after the member is gone.
    targets = enterprise.provisioning_events.filter(target_id=alex["id"])
    assert targets.count() == 8


def test_a_rename_that_changes_nothing_else_says_so(scim, enterprise):
    alex = _user(scim, "alex@contoso.com")
    body = entra.patch({"op": "Replace", "path": "userName", "value": "alex.wu@contoso.com"})
    scim.patch(f"/Users/{alex['id']}", body)
    scim.patch(f"/Users/{alex['id']}", body)

    assert _said(enterprise)[1:] == [
        ("updated", "Updated alex.wu@contoso.com: userName", "User", "alex.wu@contoso.com"),
        ("updated", "Updated alex.wu@contoso.com: no changes", "User", "alex.wu@contoso.com"),
    ]


def test_group_changes_are_told_in_words_in_both_patch_dialects(scim, enterprise):
    ids = [_user(scim, f"u{i}@contoso.com")["id"] for i in range(4)]
    group = scim.post("/Groups", entra.create_group("Sales")).json()
    path = f"/Groups/{group['id']}"
    scim.patch(path, entra.patch({"op": "Add", "path": "members", "value": [{"value": i} for i in ids]}))
    scim.patch(path, entra.patch({"op": "Add", "path": "members", "value": [{"value": ids[0]}]}))
    scim.patch(path, entra.patch({"op": "Remove", "path": "members", "value": [{"value": ids[1]}]}))
    scim.patch(path, entra.patch({"op": "remove", "path": f'members[value eq "{ids[2]}"]'}))
    scim.patch(path, entra.patch({"op": "Replace", "path": "displayName", "value": "Sales EMEA"}))
    scim.patch(path, entra.patch({"op": "replace", "value": {"displayName": "Sales DACH"}}))
    scim.get('/Groups?excludedAttributes=members&filter=displayName eq "Sales DACH"')
    scim.delete(path)

    assert _said(enterprise)[4:] == [
        ("created", "Created group Sales", "Group", "Sales"),
        ("members_changed", "Added 4 members to Sales", "Group", "Sales"),
        ("members_changed", "Added u0@contoso.com to Sales", "Group", "Sales"),
        ("members_changed", "Removed u1@contoso.com from Sales", "Group", "Sales"),
        ("members_changed", "Removed 1 member from Sales", "Group", "Sales"),
        ("renamed", "Renamed group Sales → Sales EMEA", "Group", "Sales EMEA"),
        ("renamed", "Renamed group Sales EMEA → Sales DACH", "Group", "Sales DACH"),
        ("looked_up", "Looked up group Sales DACH (found)", "Group", "Sales DACH"),
        ("deleted", "Deleted group Sales DACH", "Group", "Sales DACH"),
    ]
    assert {e.target_id for e in enterprise.provisioning_events.filter(target_type="Group")} == {group["id"]}


def test_a_failure_says_the_reason_it_was_given_and_keeps_its_target(scim, enterprise):
    alex = _user(scim, "alex@contoso.com")
    scim.post("/Users", entra.create_user("alex@contoso.com"))
    scim.patch(f"/Users/{alex['id']}", entra.patch({"op": "Replace", "path": "nick\x00Name", "value": "x"}))
    scim.token = "pdscim_wrong"
    scim.get("/Users")

    assert _said(enterprise)[1:3] == [
        ("failed", "A user with userName 'alex@contoso.com' already exists.", "", ""),
        ("failed", _last_detail(enterprise, 2), "User", "alex@contoso.com"),
    ]
    assert _last(enterprise).summary == "The bearer token is missing, revoked or not valid for this endpoint."
    assert _last(enterprise).action == "failed"


def _last_detail(enterprise, index: int) -> str:
    detail = list(enterprise.provisioning_events.order_by("id"))[index].detail
    assert detail.startswith("The path 'nickName' ")
    return detail


def test_no_attribute_value_is_recorded(scim, enterprise):
    alex = _user(scim, "alex@contoso.com")
    scim.patch(
        f"/Users/{alex['id']}", entra.patch({"op": "Replace", "path": "title", "value": "Secret plan"})
    )

    assert _last(enterprise).summary == "Updated alex@contoso.com: title"
    stored = " ".join(str(v) for v in enterprise.provisioning_events.values_list())
    assert "Secret plan" not in stored

"""The activity's sentences as the page words them at read time from each row's facts, and the English
summary kept for the CSV, the API and the rows recorded before facts were."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from enterprise.activity import words
from tests.factories import ProvisioningEventFactory
from tests.scim import entra

pytestmark = pytest.mark.django_db

PAGE = "/enterprise/contoso/"


def _sentences(enterprise) -> list[str]:
    return [words.sentence(event) for event in enterprise.provisioning_events.order_by("created_at", "id")]


def test_a_cycle_in_words(scim, enterprise):
    scim.get(entra.TEST_CONNECTION)
    scim.get("/Users?filter=userName+eq+%22alex%40contoso.com%22")
    alex = scim.post("/Users", entra.create_user("alex@contoso.com")).json()
    bo = scim.post("/Users", entra.create_user("bo@contoso.com")).json()
    scim.get("/Users?filter=userName+eq+%22alex%40contoso.com%22")
    title = entra.patch(
        {"op": "Replace", "path": "title", "value": "CTO"},
        {"op": "Replace", "path": "displayName", "value": "Alex"},
    )
    scim.patch(f"/Users/{alex['id']}", title)
    scim.patch(f"/Users/{alex['id']}", entra.DISABLE_DEFAULT)
    scim.patch(f"/Users/{alex['id']}", entra.ENABLE_DEFAULT)
    sales = scim.post("/Groups", entra.create_group("Sales")).json()
    both = [{"value": alex["id"]}, {"value": bo["id"]}]
    scim.patch(f"/Groups/{sales['id']}", entra.patch({"op": "Add", "path": "members", "value": both}))
    remove = entra.patch({"op": "Remove", "path": "members", "value": [{"value": bo["id"]}]})
    scim.patch(f"/Groups/{sales['id']}", remove)
    scim.patch(
        f"/Groups/{sales['id']}", entra.patch({"op": "Replace", "path": "displayName", "value": "Sales EU"})
    )
    scim.get(f"/Users/{bo['id']}")
    scim.delete(f"/Users/{bo['id']}")
    scim.delete(f"/Groups/{sales['id']}")

    assert _sentences(enterprise) == [
        "Test Connection: looked up a made-up user, who was not found as expected",
        "Looked up alex@contoso.com: not found",
        "Created alex@contoso.com",
        "Created bo@contoso.com",
        "Looked up alex@contoso.com: found",
        "Updated alex@contoso.com: display name, title",
        "Deactivated alex@contoso.com",
        "Reactivated alex@contoso.com",
        "Created group Sales",
        "Added 2 members to Sales",
        "Removed bo@contoso.com from Sales",
        "Renamed group Sales to Sales EU",
        "Read bo@contoso.com",
        "Deleted bo@contoso.com",
        "Deleted group Sales EU",
    ]
    # The CSV and the API keep the English sentence written with the row.
    summaries = list(
        enterprise.provisioning_events.order_by("created_at", "id").values_list("summary", flat=True)
    )
    assert summaries[5] == "Updated alex@contoso.com: displayName, title"
    assert summaries[10] == "Removed bo@contoso.com from Sales"


def test_the_members_view_says_the_last_change_without_the_name(scim, enterprise, admin_session):
    alex = scim.post("/Users", entra.create_user("alex@contoso.com")).json()
    scim.patch(f"/Users/{alex['id']}", entra.patch({"op": "Replace", "path": "title", "value": "CTO"}))
    scim.patch(f"/Users/{alex['id']}", entra.DISABLE_DEFAULT)
    bo = scim.post("/Users", entra.create_user("bo@contoso.com")).json()

    text = admin_session.get("/enterprise/contoso/members/").text

    def said(scim_id: str) -> str:
        row = re.search(rf'<tr id="member-{scim_id}">(.*?)</tr>', text, re.S)[1]
        return re.search(r'class="last-change">\s*<span class="said">(.*?)</span>', row, re.S)[1]

    assert said(alex["id"]) == "Deactivated"
    assert said(bo["id"]) == "Created"


def test_rows_recorded_before_facts_show_their_summary(enterprise, admin_session):
    ProvisioningEventFactory(
        enterprise=enterprise,
        created_at=timezone.now() - timedelta(minutes=5),
        action="updated",
        target_type="User",
        target_id="abc",
        target_label="old@contoso.com",
        summary="Updated old@contoso.com: title",
        facts=None,
    )

    assert '<span class="said">Updated old@contoso.com: title</span>' in admin_session.get(PAGE).text


def test_a_token_request_says_what_it_asked(enterprise):
    event = ProvisioningEventFactory(enterprise=enterprise, method="POST", path="/token", status=200)

    assert words.sentence(event) == "Asked for an access token"


def test_the_sentence_is_put_through_the_translation_catalog(enterprise, monkeypatch):
    event = ProvisioningEventFactory(
        enterprise=enterprise, action="deleted", target_type="User", target_label="alex@contoso.com", facts={}
    )
    catalog = {"Deleted %(name)s": "Slettede %(name)s"}
    monkeypatch.setattr(words, "_", lambda message: catalog.get(message, message))

    assert words.sentence(event) == "Slettede alex@contoso.com"


def test_a_role_change_follows_the_update_it_came_with(scim, enterprise):
    role = {"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Editor"}
    bo = scim.post("/Users", entra.create_user("bo@contoso.com", roles=[role])).json()
    viewer = {**role, "value": "Viewer"}
    scim.patch(f"/Users/{bo['id']}", entra.patch({"op": "replace", "path": "roles", "value": [viewer]}))

    event = enterprise.provisioning_events.get(method="PATCH")

    assert (
        words.sentence(event) == "Updated bo@contoso.com: app role; bo@contoso.com is now Viewer (app role)"
    )
    assert words.change(event) == "Updated app role; bo@contoso.com is now Viewer (app role)"

"""Every SCIM request is recorded for its enterprise, without headers, bodies or secrets."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enterprise.activity.batch import batch
from enterprise.activity.models import ProvisioningEvent
from tests.scim import entra

pytestmark = pytest.mark.django_db


def _fields(event: ProvisioningEvent) -> tuple:
    return (
        event.method,
        event.path,
        event.resource_type,
        event.resource_id,
        event.status,
        event.scim_type,
        event.detail,
    )


def test_each_request_is_recorded_with_its_outcome(scim, enterprise):
    user = scim.post("/Users", entra.create_user(), headers={"User-Agent": "Azure-AD-SCIM-Client"}).json()
    scim.post("/Users", entra.create_user())
    scim.patch(f"/Users/{user['id']}", entra.DISABLE_DEFAULT)
    scim.get(entra.TEST_CONNECTION)

    events = list(enterprise.provisioning_events.order_by("id"))
    assert [_fields(e) for e in events] == [
        ("POST", "/Users", "User", user["id"], 201, "", ""),
        (
            "POST",
            "/Users",
            "User",
            "",
            409,
            "uniqueness",
            "A user with userName 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee' already exists.",
        ),
        ("PATCH", f"/Users/{user['id']}", "User", user["id"], 200, "", ""),
        ("GET", "/Users", "User", "", 200, "", ""),
    ]
    assert events[0].user_agent == "Azure-AD-SCIM-Client"
    assert all(e.duration_ms >= 0 for e in events)


def test_refused_requests_are_recorded_and_the_token_is_not(scim, enterprise):
    scim.token = "pdscim_wrong-token-value"
    scim.get("/Users")

    event = enterprise.provisioning_events.get()
    assert (event.status, event.detail) == (
        401,
        "The bearer token is missing, revoked or not valid for this endpoint.",
    )
    stored = " ".join(str(v) for v in ProvisioningEvent.objects.values_list().get())
    assert "pdscim_" not in stored


def test_requests_to_an_unknown_enterprise_are_not_recorded(scim):
    scim.client.get("/scim/v2/2f1d9c2e-0000-4000-8000-000000000000/Users")
    assert not ProvisioningEvent.objects.exists()


def test_an_error_that_echoes_a_nul_byte_is_still_recorded(scim, enterprise):
    user = scim.post("/Users", entra.create_user()).json()
    body = entra.patch({"op": "Replace", "path": "nick\x00Name", "value": "x"})
    response = scim.patch(f"/Users/{user['id']}", body)

    assert response.status_code == 400 and response.json()["scimType"] == "invalidPath"
    event = enterprise.provisioning_events.get(method="PATCH")
    assert event.detail.startswith("The path 'nickName' ")
    assert scim.get(f"/Users/{user['id']}").status_code == 200


def test_activity_rows_wait_for_their_batch_and_are_written_at_exit(scim, enterprise, settings):
    settings.SCIM_ACTIVITY_BATCH = 3
    settings.SCIM_ACTIVITY_MAX_DELAY = 60
    scim.get("/Users")
    scim.get("/Groups")
    assert not enterprise.provisioning_events.exists()

    batch.flush()  # what the worker does when it exits

    assert [e.path for e in enterprise.provisioning_events.order_by("id")] == ["/Users", "/Groups"]


def test_a_full_batch_is_written_with_one_statement(scim, enterprise, settings):
    settings.SCIM_ACTIVITY_BATCH = 3
    settings.SCIM_ACTIVITY_MAX_DELAY = 60
    scim.get("/Users")
    scim.get("/Users")
    assert enterprise.provisioning_events.count() == 0  # held by the worker
    with CaptureQueriesContext(connection) as queries:
        scim.get("/Users")
    assert enterprise.provisioning_events.count() == 3
    writes = [q["sql"] for q in queries if "enterprise_provisioningevent" in q["sql"]]
    if connection.vendor == "postgresql":
        assert writes == []  # one COPY, which the query log does not list
    else:
        assert len(writes) == 1
        assert writes[0].startswith('3 times: INSERT INTO "enterprise_provisioningevent"')

"""The status block of the SCIM section: last request, member and group counts, and the health line."""

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from enterprise.credentials.services import scim_token_revoke
from enterprise.services import enterprise_scim_toggle
from tests.factories import GroupFactory, MemberFactory, ProvisioningEventFactory

pytestmark = pytest.mark.django_db

DUPLICATE = "A user with userName 'x' already exists."
INVALID = "The attribute 'active' must be a boolean."


def _health(client) -> tuple[str, str]:
    """The health line as the admin reads it, with its level (the colour it is shown in)."""
    text = client.get("/enterprise/contoso/").text
    match = re.search(r'<p class="health health-(\w+)" id="health"><span[^>]*></span>(.*?)</p>', text, re.S)
    return match[1], html.unescape(match[2])


def _event(enterprise, ago: timedelta, **fields):
    return ProvisioningEventFactory(enterprise=enterprise, created_at=timezone.now() - ago, **fields)


def test_a_new_enterprise_is_not_connected_yet(admin_session):
    assert _health(admin_session) == (
        "waiting",
        "Not connected yet: generate a SCIM token, then paste it and the SCIM endpoint into your identity "
        "provider.",
    )


def test_with_a_token_it_waits_for_the_first_request(admin_session, scim):
    assert _health(admin_session) == ("waiting", "Waiting for the first request from your identity provider.")


def test_recent_successful_requests_read_as_healthy(admin_session, enterprise, scim):
    _event(enterprise, timedelta(minutes=40))
    _event(enterprise, timedelta(minutes=12, seconds=5), method="PATCH", path="/Users/1", status=200)

    assert _health(admin_session) == ("ok", "Healthy — last sync 12 minutes ago")


def test_a_request_in_the_last_minute_reads_as_just_now(admin_session, scim):
    scim.get("/Users")

    assert _health(admin_session) == ("ok", "Healthy — last sync just now")


def test_failures_in_the_last_24_hours_are_counted_with_the_latest_reason(admin_session, enterprise, scim):
    _event(enterprise, timedelta(minutes=30))
    for minutes in (300, 200, 100):
        _event(enterprise, timedelta(minutes=minutes), method="PATCH", status=400, detail=INVALID)
    _event(enterprise, timedelta(hours=30), status=400, detail="Older than a day.")

    assert _health(admin_session) == ("warning", f"3 requests failed in the last 24 hours: {INVALID}")


def test_answers_that_are_normal_in_a_cycle_are_not_failures_and_are_shown_apart(
    admin_session, enterprise, scim
):
    _event(enterprise, timedelta(minutes=30))
    # Entra reads a person it just deleted; creates someone who exists, then matches them.
    _event(
        enterprise,
        timedelta(minutes=20),
        path="/Users/6ae2342c-0000-4000-8000-000000000000",
        resource_id="6ae2342c-0000-4000-8000-000000000000",
        status=404,
        detail="User 6ae2342c-0000-4000-8000-000000000000 not found.",
    )
    _event(
        enterprise, timedelta(minutes=10), method="POST", status=409, scim_type="uniqueness", detail=DUPLICATE
    )

    text = admin_session.get("/enterprise/contoso/").text
    folded = re.search(r'<details class="normal-answers" id="normal-answers">(.*?)</details>', text, re.S)[1]

    assert _health(admin_session) == ("ok", "Healthy — last sync 30 minutes ago")
    assert "Normal during a provisioning cycle: 2 answers in the last 24 hours" in folded
    assert "Tried to create someone who already exists; Entra matches them instead" in folded
    assert "Looked for someone who is not here: deleted, or never existed" in folded


def test_a_lookup_of_a_collection_that_fails_is_still_a_failure(admin_session, enterprise, scim):
    _event(enterprise, timedelta(minutes=5), status=404, detail="No such endpoint.")

    assert _health(admin_session) == ("warning", "1 request failed in the last 24 hours: No such endpoint.")
    assert 'id="normal-answers"' not in admin_session.get("/enterprise/contoso/").text


def test_a_server_error_is_shown_as_an_error(admin_session, enterprise, scim):
    _event(enterprise, timedelta(minutes=5), status=500, detail="The request could not be completed.")

    assert _health(admin_session) == (
        "error",
        "1 request failed in the last 24 hours: The request could not be completed.",
    )


def test_a_failure_without_detail_is_described_by_its_status(admin_session, enterprise, scim):
    _event(enterprise, timedelta(minutes=5), status=404)

    assert _health(admin_session) == ("warning", "1 request failed in the last 24 hours: 404 Not Found")


def test_failures_older_than_a_day_no_longer_count(admin_session, enterprise, scim):
    _event(enterprise, timedelta(hours=25), status=409, detail=DUPLICATE)
    _event(enterprise, timedelta(hours=2))

    assert _health(admin_session) == ("ok", "Healthy — last sync 2 hours ago")


def test_an_endpoint_that_never_succeeded_says_why(admin_session, enterprise, scim):
    _event(
        enterprise,
        timedelta(days=2, minutes=1),
        status=401,
        detail="The bearer token is missing, revoked or not valid for this endpoint.",
    )

    assert _health(admin_session) == (
        "warning",
        "No request has succeeded yet. The last one, 2 days ago, failed: The bearer token is missing, "
        "revoked or not valid for this endpoint.",
    )


def test_without_a_live_token_a_connected_enterprise_is_in_error(admin_session, enterprise, scim):
    _event(enterprise, timedelta(hours=1))
    scim_token_revoke(token=enterprise.scim_tokens.get())

    assert _health(admin_session) == (
        "error",
        "No live SCIM token: requests from your identity provider fail until you generate one and paste it "
        "into Secret Token.",
    )


def test_provisioning_off_says_so_whatever_else_happened(admin_session, enterprise, scim):
    _event(enterprise, timedelta(minutes=5), status=500)
    enterprise_scim_toggle(enterprise=enterprise, enabled=False)

    assert _health(admin_session) == (
        "off",
        "Provisioning is off: requests from your identity provider are refused until you turn it on.",
    )


def test_other_enterprises_activity_does_not_count(admin_session, enterprise, scim, other_enterprise):
    _event(other_enterprise, timedelta(minutes=1), status=500)

    assert _health(admin_session) == ("waiting", "Waiting for the first request from your identity provider.")


def test_the_status_shows_the_last_request_and_the_counts(admin_session, enterprise, other_enterprise):
    MemberFactory.create_batch(3, enterprise=enterprise)
    MemberFactory.create_batch(2, enterprise=enterprise, active=False)
    MemberFactory(enterprise=other_enterprise)
    GroupFactory.create_batch(4, enterprise=enterprise)
    _event(enterprise, timedelta(hours=3))
    _event(
        enterprise,
        timedelta(minutes=12, seconds=5),
        method="DELETE",
        path="/Users/abc",
        status=204,
        action="deleted",
        target_type="User",
        target_id="abc",
        target_label="anna@contoso.com",
        summary="Deleted member anna@contoso.com",
        facts={},
    )

    text = admin_session.get("/enterprise/contoso/").text
    tile = re.search(r'<div id="last-request">(.*?)</div>', text, re.S)[1]

    assert '<span class="said">Deleted anna@contoso.com</span>' in tile
    assert re.search(r'data-local="relative">12 minutes ago</time> by Entra</small>', tile)
    assert "/Users/" not in tile
    assert '<dt>Active members</dt><dd><a href="/enterprise/contoso/members/?state=active">3</a></dd>' in text
    assert (
        '<dt>Deactivated members</dt><dd><a href="/enterprise/contoso/members/?state=deactivated">2</a></dd>'
        in text
    )
    assert "<dt>Groups</dt><dd>4</dd>" in text


def test_before_any_request_the_status_says_none_yet(admin_session):
    assert "<dt>Last request</dt>\n      <dd>None yet</dd>" in admin_session.get("/enterprise/contoso/").text

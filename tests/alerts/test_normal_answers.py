"""Answers that are a normal part of a provisioning cycle raise neither the health warning nor the alert
"failures rising"; real failures raise both. Driven through the SCIM endpoint with Entra's requests."""

import html
import re

import pytest

from enterprise.alerts.models import Alert
from enterprise.alerts.services import alerts_check
from tests.scim import entra

pytestmark = pytest.mark.django_db

PAGE = "/enterprise/contoso/"


def _health(client) -> tuple[str, str]:
    text = client.get(PAGE).text
    match = re.search(r'<p class="health health-(\w+)" id="health"><span[^>]*></span>(.*?)</p>', text, re.S)
    return match[1], html.unescape(match[2])


def test_lookups_of_the_deleted_and_creates_entra_matches_are_normal(scim, admin_session, mailbox):
    for n in range(12):
        user = scim.post("/Users", entra.create_user(f"person{n}@contoso.com")).json()
        scim.delete(f"/Users/{user['id']}")
        # Entra reads the person it just deleted, and creates someone who exists, then matches them.
        assert scim.get(f"/Users/{user['id']}").status_code == 404
    scim.post("/Users", entra.create_user("bo@contoso.com"))
    for _ in range(12):
        assert scim.post("/Users", entra.create_user("bo@contoso.com")).status_code == 409

    alerts_check()

    assert not Alert.objects.filter(kind="failures_rising").exists()
    assert mailbox.received == []
    assert _health(admin_session)[0] == "ok"
    assert (
        "Normal during a provisioning cycle: 24 answers in the last 24 hours" in admin_session.get(PAGE).text
    )


def test_real_failures_raise_both_the_health_warning_and_the_alert(scim, admin_session, mailbox):
    user = scim.post("/Users", entra.create_user("alex@contoso.com")).json()
    for _ in range(12):
        bad = entra.patch({"op": "Replace", "path": "active", "value": "maybe"})
        assert scim.patch(f"/Users/{user['id']}", bad).status_code == 400

    alerts_check()

    assert Alert.objects.filter(kind="failures_rising").exists()
    level, text = _health(admin_session)
    assert level == "warning" and text.startswith("12 requests failed in the last 24 hours: ")
    assert 'id="normal-answers"' not in admin_session.get(PAGE).text

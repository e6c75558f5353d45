"""
Every kind of alert, through the same life: its trigger sends exactly one email (text and HTML, a link to the
page section) to the enterprise's admin through a real SMTP server, no second one within the hour, a
"resolved" email when it clears, a banner on the Enterprise page while it is open, and an audit event per
email.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone
from django.utils.html import escape

from enterprise.activity.models import AuditEvent
from enterprise.alerts.services import alerts_check
from enterprise.credentials.models import ClientSecret
from enterprise.credentials.services import client_secret_create
from enterprise.models import Enterprise
from tests.factories import ProvisioningEventFactory
from tests.scim import entra

pytestmark = pytest.mark.django_db

ADMIN = "admin@contoso.example"
BAD_TOKEN = "The bearer token is missing, revoked or not valid for this endpoint."


@dataclass
class World:
    enterprise: object
    scim: object
    clock: object


@dataclass(frozen=True)
class Scenario:
    kind: str
    title: str
    headline: str
    link: str
    trigger: Callable[[World], None]
    clear: Callable[[World], None]

    def __str__(self) -> str:
        return self.kind


def _silent(world: World) -> None:
    ProvisioningEventFactory(enterprise=world.enterprise, created_at=timezone.now())
    world.clock.shift(timedelta(hours=2, minutes=1))


def _called_again(world: World) -> None:
    assert world.scim.get(entra.TEST_CONNECTION).status_code == HTTPStatus.OK


def _failing(world: World) -> None:
    now = timezone.now()
    ProvisioningEventFactory.create_batch(30, enterprise=world.enterprise, created_at=now)
    ProvisioningEventFactory.create_batch(
        10, enterprise=world.enterprise, created_at=now, status=401, detail=BAD_TOKEN
    )


def _an_hour_later(world: World) -> None:
    world.clock.shift(timedelta(minutes=61))


def _secret_expiring(world: World) -> None:
    secret, _ = client_secret_create(enterprise=world.enterprise, years=1)
    ClientSecret.objects.filter(pk=secret.pk).update(expires_at=timezone.now() + timedelta(days=20))


def _new_secret(world: World) -> None:
    client_secret_create(enterprise=world.enterprise, years=1)


def _mass_deletion(world: World) -> None:
    ids = []
    for n in range(20):
        body = entra.create_user(f"person{n}@contoso.com", externalId=f"object-{n}")
        ids.append(world.scim.post("/Users", body).json()["id"])
    for scim_id in ids[:10]:
        assert world.scim.delete(f"/Users/{scim_id}").status_code == HTTPStatus.NO_CONTENT


def _seats_nearly_full(world: World) -> None:
    for n in range(9):
        assert world.scim.post("/Users", entra.create_user(f"person{n}@contoso.com")).status_code == 201
    Enterprise.objects.filter(pk=world.enterprise.pk).update(seats=10)


def _more_seats(world: World) -> None:
    Enterprise.objects.filter(pk=world.enterprise.pk).update(seats=20)


SCENARIOS = [
    Scenario(
        "provisioning_silent",
        "Provisioning silent",
        "Provisioning has been silent for 2 hours, 1 minute",
        "http://127.0.0.1:8000/enterprise/contoso/#scim-status",
        _silent,
        _called_again,
    ),
    Scenario(
        "failures_rising",
        "Failures rising",
        "10 of the last hour's 40 SCIM requests failed (25 %)",
        "http://127.0.0.1:8000/enterprise/contoso/#activity",
        _failing,
        _an_hour_later,
    ),
    Scenario(
        "credential_expiring",
        "Credential expiring or gone",
        "Your OAuth client secret expires soon",
        "http://127.0.0.1:8000/enterprise/contoso/#scim",
        _secret_expiring,
        _new_secret,
    ),
    Scenario(
        "mass_deprovisioning",
        "Mass deprovisioning",
        "10 people deactivated or deleted within an hour",
        "http://127.0.0.1:8000/enterprise/contoso/members/#recently-deleted",
        _mass_deletion,
        _an_hour_later,
    ),
    Scenario(
        "seats_nearly_full",
        "Seats nearly full",
        "9 of 10 seats are taken",
        "http://127.0.0.1:8000/enterprise/contoso/#roles",
        _seats_nearly_full,
        _more_seats,
    ),
]


@pytest.fixture(params=SCENARIOS, ids=str)
def scenario(request) -> Scenario:
    return request.param


@pytest.fixture
def world(enterprise, scim, clock) -> World:
    return World(enterprise, scim, clock)


def test_the_trigger_sends_exactly_one_email_with_text_html_and_a_link(scenario, world, mailbox, settings):
    settings.PLANDISC_BASE_URL = "http://127.0.0.1:8000"
    scenario.trigger(world)

    alerts_check()

    assert mailbox.recipients == [[ADMIN]]
    assert mailbox.subjects == [f"{scenario.title} for Contoso: {scenario.headline}"]
    assert mailbox.received[0][1]["From"] == "Plandisc <alerts@plandisc.test>"
    assert mailbox.text().startswith(scenario.headline + "\n")
    assert f"Open the Enterprise page: {scenario.link}" in mailbox.text()
    assert "What to do:" in mailbox.text()
    assert f'<a href="{scenario.link}">Open the Enterprise page</a>' in mailbox.html()


def test_it_is_not_sent_again_within_the_hour(scenario, world, mailbox):
    scenario.trigger(world)
    alerts_check()

    for minutes in (5, 25, 25):  # 5, 30 and 55 minutes after the email
        world.clock.shift(timedelta(minutes=minutes))
        alerts_check()

    assert len(mailbox.received) == 1


def test_clearing_sends_one_resolved_email(scenario, world, mailbox):
    scenario.trigger(world)
    alerts_check()

    scenario.clear(world)
    alerts_check()
    alerts_check()

    assert mailbox.recipients == [[ADMIN], [ADMIN]]
    assert mailbox.subjects[1] == f"Resolved: {scenario.title} for Contoso"
    assert f"What Plandisc had told you: {scenario.headline}." in mailbox.text()
    assert "Resolved:" in mailbox.html()


def test_the_page_shows_a_banner_while_it_is_open(scenario, world, mailbox, admin_session):
    before = admin_session.get("/enterprise/contoso/").text
    scenario.trigger(world)
    alerts_check()
    during = admin_session.get("/enterprise/contoso/").text
    scenario.clear(world)
    alerts_check()
    after = admin_session.get("/enterprise/contoso/").text

    banner = f'<div class="alert-banner" role="alert" id="alert-{scenario.kind}">'
    assert banner not in before
    assert banner in during
    assert f"<strong>{scenario.title}:</strong> {escape(scenario.headline)}." in during
    assert banner not in after


def test_each_email_is_an_audit_event(scenario, world, mailbox):
    scenario.trigger(world)
    alerts_check()
    scenario.clear(world)
    alerts_check()

    events = AuditEvent.objects.filter(
        action__in=[AuditEvent.Action.ALERT_SENT, AuditEvent.Action.ALERT_RESOLVED]
    ).order_by("pk")
    assert [(e.action, e.detail, e.done_by) for e in events] == [
        (
            AuditEvent.Action.ALERT_SENT,
            f"{scenario.title}: {scenario.headline}; emailed 1 recipient",
            "Plandisc",
        ),
        (AuditEvent.Action.ALERT_RESOLVED, f"{scenario.title}: resolved; emailed 1 recipient", "Plandisc"),
    ]

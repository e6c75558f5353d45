"""The provisioning switch on the Enterprise page: off makes the SCIM endpoint refuse with a SCIM error."""

from http import HTTPStatus

import pytest

from enterprise.activity.models import AuditEvent
from enterprise.directory.models import Member, MemberSession
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

TOGGLE = "/enterprise/contoso/scim/provisioning/"
OFF_KEEP = {"enabled": "false", "members": "keep"}


def test_turning_provisioning_off_makes_scim_answer_403(admin_session, enterprise, scim):
    response = admin_session.post(TOGGLE, OFF_KEEP, follow=True)

    enterprise.refresh_from_db()
    refused = scim.get("/Users")
    assert response.redirect_chain == [("/enterprise/contoso/#provisioning", HTTPStatus.FOUND)]
    assert (
        "Provisioning is off: its members stay active and are yours to manage by hand. Requests from your "
        "identity provider are refused with 403." in response.text
    )
    assert '<span class="pill pill-off">Provisioning off</span>' in response.text
    assert ">Turn provisioning on</button>" in response.text
    assert enterprise.scim_enabled is False
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert refused.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "403",
        "detail": (
            "SCIM provisioning is turned off for this enterprise. An enterprise admin can turn it on in "
            "Plandisc, on the Enterprise page."
        ),
    }


def test_turning_it_back_on_lets_scim_requests_through(admin_session, enterprise, scim):
    admin_session.post(TOGGLE, OFF_KEEP)

    response = admin_session.post(TOGGLE, {"enabled": "true"}, follow=True)

    enterprise.refresh_from_db()
    assert enterprise.scim_enabled is True
    assert "Provisioning is on: your identity provider can create and update members." in response.text
    assert scim.get("/Users").status_code == HTTPStatus.OK


def test_turning_off_sits_behind_a_confirmation(admin_session):
    text = admin_session.get("/enterprise/contoso/").text

    assert "<summary>Turn provisioning off…</summary>" in text
    assert "every SCIM request is refused with 403 and nothing changes in Plandisc" in text
    assert '<input type="hidden" name="enabled" value="false">' in text


def test_a_post_that_does_not_say_on_or_off_changes_nothing(admin_session, enterprise):
    response = admin_session.post(TOGGLE, {})

    enterprise.refresh_from_db()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert enterprise.scim_enabled is True
    assert not AuditEvent.objects.exists()


def test_the_switch_is_audited(admin_session):
    admin_session.post(TOGGLE, OFF_KEEP)
    admin_session.post(TOGGLE, OFF_KEEP)
    admin_session.post(TOGGLE, {"enabled": "true"})

    assert list(AuditEvent.objects.order_by("pk").values_list("action", "actor__username")) == [
        (AuditEvent.Action.SCIM_DISABLED, "admin@contoso.example"),
        (AuditEvent.Action.SCIM_ENABLED, "admin@contoso.example"),
    ]


def test_turning_off_without_saying_what_happens_to_the_members_changes_nothing(admin_session, enterprise):
    response = admin_session.post(TOGGLE, {"enabled": "false"})

    enterprise.refresh_from_db()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert enterprise.scim_enabled is True


def test_turning_off_asks_what_happens_to_the_people_provisioning_created(admin_session):
    text = admin_session.get("/enterprise/contoso/").text

    assert '<input type="radio" name="members" value="keep" id="members-keep" required>' in text
    assert '<input type="radio" name="members" value="deactivate" id="members-deactivate" required>' in text


def test_keeping_them_leaves_every_member_active_and_says_so_in_the_audit(admin_session, enterprise):
    members = MemberFactory.create_batch(2, enterprise=enterprise)

    admin_session.post(TOGGLE, OFF_KEEP)

    assert all(Member.objects.get(pk=m.pk).active for m in members)
    event = AuditEvent.objects.get(action=AuditEvent.Action.SCIM_DISABLED)
    assert event.detail == "members kept active, managed by hand"


def test_deactivating_them_ends_every_members_access_at_once_and_is_audited(admin_session, enterprise):
    members = MemberFactory.create_batch(2, enterprise=enterprise)
    MemberSession.objects.create(member=members[0], session_key="k" * 32)
    already_off = MemberFactory(enterprise=enterprise, active=False)

    response = admin_session.post(TOGGLE, {"enabled": "false", "members": "deactivate"}, follow=True)

    assert not any(Member.objects.get(pk=m.pk).active for m in [*members, already_off])
    assert not MemberSession.objects.exists()
    assert "Provisioning is off, and 2 members deactivated: they lost access at once." in response.text
    event = AuditEvent.objects.get(action=AuditEvent.Action.SCIM_DISABLED)
    assert (event.detail, event.actor.username) == ("deactivated 2 members", "admin@contoso.example")

"""The provisioning switch on the Enterprise page: off makes the SCIM endpoint refuse with a SCIM error."""

from http import HTTPStatus

import pytest

from enterprise.activity.models import AuditEvent

pytestmark = pytest.mark.django_db

TOGGLE = "/enterprise/contoso/scim/provisioning/"


def test_turning_provisioning_off_makes_scim_answer_403(admin_session, enterprise, scim):
    response = admin_session.post(TOGGLE, {"enabled": "false"}, follow=True)

    enterprise.refresh_from_db()
    refused = scim.get("/Users")
    assert response.redirect_chain == [("/enterprise/contoso/#provisioning", HTTPStatus.FOUND)]
    assert "Provisioning is off: requests from your identity provider are refused with 403." in response.text
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
    admin_session.post(TOGGLE, {"enabled": "false"})

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
    admin_session.post(TOGGLE, {"enabled": "false"})
    admin_session.post(TOGGLE, {"enabled": "false"})
    admin_session.post(TOGGLE, {"enabled": "true"})

    assert list(AuditEvent.objects.order_by("pk").values_list("action", "actor__username")) == [
        (AuditEvent.Action.SCIM_DISABLED, "admin@contoso.example"),
        (AuditEvent.Action.SCIM_ENABLED, "admin@contoso.example"),
    ]

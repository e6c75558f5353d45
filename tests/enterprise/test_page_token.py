"""The SCIM endpoint and token on the Enterprise page: shown once, rotated without outage, revoked at once."""

import html
import io
import logging
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enterprise.activity.models import AuditEvent
from enterprise.credentials.models import ScimToken
from tests.conftest import ScimClient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/enterprise/contoso/"
ROTATE = "/enterprise/contoso/scim/token/"
USER_LOOKUP = "/Users?filter=userName+eq+%22x%22"


def _shown_token(response) -> str:
    match = re.search(r'<input id="new-scim-token" type="text" readonly value="([^"]+)"', response.text)
    assert match, "the response shows no new token"
    return match[1]


def _scim_status(enterprise, token: str) -> int:
    return ScimClient(Client(), enterprise, token).get(USER_LOOKUP).status_code


def test_the_page_shows_the_absolute_scim_endpoint(admin_session, enterprise, settings):
    settings.PLANDISC_BASE_URL = "https://create.plandisc.com"

    response = admin_session.get(PAGE)

    assert response.status_code == HTTPStatus.OK
    assert f'value="https://create.plandisc.com/scim/v2/{enterprise.public_id}"' in response.text
    assert "SCIM endpoint <small>goes into Entra's <b>Tenant URL</b></small>" in response.text
    assert "SCIM token <small>goes into Entra's <b>Secret Token</b></small>" in response.text


def test_without_a_token_the_page_offers_to_generate_one(admin_session):
    text = admin_session.get(PAGE).text

    assert "There is no live SCIM token." in text
    assert ">Generate token</button>" in text
    assert "Rotate token" not in text


def test_generating_shows_the_token_once_in_that_response(admin_session, enterprise):
    response = admin_session.post(ROTATE)
    plaintext = _shown_token(response)

    assert response.status_code == HTTPStatus.OK
    assert "Copy it now: you will not see it again." in response.text
    assert "no-store" in response["Cache-Control"]
    token = ScimToken.objects.get()
    assert plaintext.startswith("pdscim_") and token.digest == ScimToken.digest_of(plaintext)
    assert token.created_by.username == "admin@contoso.example"

    later = admin_session.get(PAGE)
    assert plaintext not in later.text
    assert token.hint in later.text
    assert 'id="new-scim-token"' not in later.text


def test_the_token_is_never_stored_logged_or_put_in_the_session(admin_session, caplog):
    caplog.set_level(logging.DEBUG)
    with CaptureQueriesContext(connection) as queries:
        response = admin_session.post(ROTATE)
    plaintext = _shown_token(response)
    admin_session.get(PAGE)
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)

    assert plaintext not in dump.getvalue()
    assert not any(plaintext in query["sql"] for query in queries.captured_queries)
    assert plaintext not in caplog.text
    assert not any(
        plaintext in str(Session.objects.get(pk=s.pk).get_decoded()) for s in Session.objects.all()
    )
    assert plaintext not in str(admin_session.cookies)
    assert list(response.context["messages"]) == []
    assert plaintext not in response.get("Location", "")


def test_the_generated_token_opens_the_scim_endpoint(admin_session, enterprise):
    plaintext = _shown_token(admin_session.post(ROTATE))

    assert _scim_status(enterprise, plaintext) == HTTPStatus.OK


def test_afterwards_the_page_shows_the_masked_token_with_created_and_last_used(admin_session, enterprise):
    plaintext = _shown_token(admin_session.post(ROTATE))
    before_use = admin_session.get(PAGE).text
    _scim_status(enterprise, plaintext)
    after_use = admin_session.get(PAGE).text

    hint = f"pdscim_…{plaintext[-4:]}"
    assert f"<code>{hint}</code>" in before_use
    assert "Waiting for first use" in before_use and "never used" in before_use
    assert "by admin@contoso.example" in before_use
    assert "In use" in after_use and "last used <time" in after_use
    assert "Rotate token" in after_use


def test_rotating_keeps_the_old_token_until_the_new_one_is_first_used(admin_session, enterprise):
    old = _shown_token(admin_session.post(ROTATE))
    _scim_status(enterprise, old)

    rotated = admin_session.post(ROTATE)
    new = _shown_token(rotated)
    both_live = admin_session.get(PAGE).text

    assert "Your previous token keeps working until this one is first used, or for 24 hours" in rotated.text
    assert f"<code>pdscim_…{old[-4:]}</code>" in both_live and f"<code>pdscim_…{new[-4:]}</code>" in both_live
    assert "Live until" in both_live
    assert "The older tokens stop working as soon as your identity provider first uses this one." in both_live
    assert _scim_status(enterprise, old) == HTTPStatus.OK

    assert _scim_status(enterprise, new) == HTTPStatus.OK
    assert _scim_status(enterprise, old) == HTTPStatus.UNAUTHORIZED
    after = admin_session.get(PAGE).text
    # Gone from the live tokens; the activity still says which requests used it.
    assert f"pdscim_…{old[-4:]}" not in after.split('id="activity"')[0]
    assert "Live until" not in after


def test_an_unused_new_token_leaves_the_old_one_working_for_24_hours(admin_session, enterprise):
    old = _shown_token(admin_session.post(ROTATE))
    _shown_token(admin_session.post(ROTATE))
    rotated_at = timezone.now()

    with time_machine.travel(rotated_at + timedelta(hours=23, minutes=59), tick=False):
        assert _scim_status(enterprise, old) == HTTPStatus.OK
    with time_machine.travel(rotated_at + timedelta(hours=24, minutes=1), tick=False):
        assert _scim_status(enterprise, old) == HTTPStatus.UNAUTHORIZED


def test_revoking_needs_a_confirmation_that_says_what_breaks(admin_session):
    admin_session.post(ROTATE)

    text = html.unescape(admin_session.get(PAGE).text)

    assert "<summary>Revoke now…</summary>" in text
    assert "every request that uses it is refused with 401" in text
    assert "It is your only live token: provisioning stops until you generate a new one" in text


def test_revoke_ends_a_token_at_once(admin_session, enterprise):
    plaintext = _shown_token(admin_session.post(ROTATE))
    token = ScimToken.objects.get()

    response = admin_session.post(f"/enterprise/contoso/scim/tokens/{token.pk}/revoke/", follow=True)

    token.refresh_from_db()
    assert response.redirect_chain == [("/enterprise/contoso/#scim-token", HTTPStatus.FOUND)]
    assert f"Token {token.hint} is revoked: requests that use it are refused from now on." in response.text
    assert token.revoked_at is not None and token.revoked_by.username == "admin@contoso.example"
    assert _scim_status(enterprise, plaintext) == HTTPStatus.UNAUTHORIZED
    assert ">Generate token</button>" in response.text


def test_revoking_the_new_token_during_the_overlap_leaves_the_old_one_working(admin_session, enterprise):
    old = _shown_token(admin_session.post(ROTATE))
    new = _shown_token(admin_session.post(ROTATE))
    new_token = ScimToken.objects.first()

    admin_session.post(f"/enterprise/contoso/scim/tokens/{new_token.pk}/revoke/")

    assert _scim_status(enterprise, new) == HTTPStatus.UNAUTHORIZED
    assert _scim_status(enterprise, old) == HTTPStatus.OK


def test_rotations_and_revocations_are_audited_and_shown(admin_session, enterprise):
    support = Client()
    support.force_login(UserFactory(username="support@plandisc.example", is_staff=True, is_superuser=True))
    admin_session.post(ROTATE)
    token = ScimToken.objects.get()
    admin_session.post(f"/enterprise/contoso/scim/tokens/{token.pk}/revoke/")

    events = list(AuditEvent.objects.order_by("pk").values_list("action", "actor__username", "detail"))
    page = admin_session.get(PAGE).text
    support_page = support.get("/admin/activity/auditevent/").text

    assert events == [
        (AuditEvent.Action.TOKEN_CREATED, "admin@contoso.example", token.hint),
        (AuditEvent.Action.TOKEN_REVOKED, "admin@contoso.example", token.hint),
    ]
    assert "SCIM token revoked <code>" in page and "SCIM token created <code>" in page
    assert "by admin@contoso.example" in page
    assert "SCIM token revoked" in support_page and token.hint in support_page

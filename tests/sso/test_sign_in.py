"""Signing in through Entra: SP- and IdP-initiated, and every response that must be refused."""

import base64
import datetime
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from enterprise.directory.models import Member
from enterprise.services import enterprise_scim_toggle
from enterprise.sso.models import SamlAssertion, SsoRefusal
from tests.sso.conftest import post_response, provision, signed_in_user

ADA = "ada@contoso.example"


@pytest.fixture
def ada(scim, sso) -> Member:
    provision(scim, ADA)
    return Member.objects.get(user_name=ADA)


def assert_refused(response, message: str, detail: str = "") -> None:
    """Refused with `message` on the page; `detail` only in the record that the page's reference names."""
    assert response.status_code == HTTPStatus.FORBIDDEN
    content = response.content.decode()
    assert message in content
    reference = response.context["reference"]
    assert f"Reference: <code>{reference}</code>" in content
    assert detail in SsoRefusal.objects.get(reference=reference).detail
    if detail:
        assert detail not in content
    assert not response.wsgi_request.user.is_authenticated


INVALID = "could not accept the sign-in response"


def test_idp_initiated_response_signs_in_the_member(ada, sso, entra):
    client = Client()
    response = post_response(client, sso, entra.response(sso, ADA))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("sso:signed-in")
    ada.refresh_from_db()
    assert ada.user.username == ADA
    assert not ada.user.has_usable_password()
    assert signed_in_user(client) == ada.user


def test_idp_initiated_relay_state_is_followed_only_within_plandisc(ada, sso, entra):
    response = post_response(Client(), sso, entra.response(sso, ADA), relay_state="/enterprise/")
    assert response.url == "/enterprise/"

    response = post_response(Client(), sso, entra.response(sso, ADA), relay_state="https://evil.example/")
    assert response.url == reverse("sso:signed-in")


def test_sp_initiated_sign_in_from_the_sign_in_page(ada, sso, entra):
    client = Client()
    page = client.get(reverse("login"))
    assert "Sign in with single sign-on" in page.content.decode()

    response = client.post(reverse("sso:discover"), {"email": "Ada@Contoso.example", "next": "/enterprise/"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{sso.sign_on_url.removeprefix('http://127.0.0.1:8000')}?next=%2Fenterprise%2F"

    to_entra = client.get(response.url)
    assert to_entra.status_code == HTTPStatus.FOUND
    request = entra.read_request(to_entra.url)
    assert request.assertion_consumer_service_url == sso.acs_url
    assert request.issuer.text == sso.sp_entity_id
    relay_state = parse_qs(urlsplit(to_entra.url).query)["RelayState"][0]

    saml_response = entra.response(sso, ADA, in_response_to=request.id)
    response = post_response(client, sso, saml_response, relay_state=relay_state)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/enterprise/"
    assert signed_in_user(client) == Member.objects.get(pk=ada.pk).user


def test_a_response_to_one_browsers_request_is_refused_in_another(ada, sso, entra):
    started = Client()
    to_entra = started.get(reverse("sso:login", args=[sso.enterprise.public_id]))
    saml_response = entra.response(sso, ADA, in_response_to=entra.read_request(to_entra.url).id)

    assert_refused(post_response(Client(), sso, saml_response), INVALID, "started in another browser")
    assert post_response(started, sso, saml_response).status_code == HTTPStatus.FOUND


def test_the_browser_mark_reaches_plandisc_on_entras_cross_site_post(ada, sso):
    response = Client().get(reverse("sso:login", args=[sso.enterprise.public_id]))
    cookie = response.cookies["plandisc_sso_browser"]
    assert (cookie["samesite"], cookie["secure"], cookie["httponly"]) == ("None", True, True)
    assert cookie["path"] == f"/sso/{sso.enterprise.public_id}/"


def test_the_enterprise_sign_in_link_starts_sp_initiated_sign_in(ada, sso, entra):
    response = Client().get(reverse("sso:login", args=[sso.enterprise.public_id]))
    assert response.status_code == HTTPStatus.FOUND
    assert entra.read_request(response.url).id


def test_an_unknown_email_domain_stays_on_the_sign_in_page(sso):
    response = Client().post(reverse("sso:discover"), {"email": "someone@elsewhere.example"})
    assert response.status_code == HTTPStatus.OK
    assert "doesn&#x27;t know single sign-on for this address" in response.content.decode()


def test_a_response_signed_on_the_response_rather_than_the_assertion_is_accepted(ada, sso, entra):
    response = post_response(Client(), sso, entra.response(sso, ADA, sign_response=True))
    assert response.status_code == HTTPStatus.FOUND


def test_a_response_answering_no_request_of_ours_is_refused(ada, sso, entra):
    response = post_response(Client(), sso, entra.response(sso, ADA, in_response_to="id-not-ours"))
    assert_refused(response, INVALID, "answers no open sign-in request")


def test_a_request_is_answered_once(ada, sso, entra):
    client = Client()
    request = entra.read_request(client.get(reverse("sso:login", args=[sso.enterprise.public_id])).url)
    assert post_response(client, sso, entra.response(sso, ADA, in_response_to=request.id)).status_code == 302

    second = entra.response(sso, ADA, in_response_to=request.id)
    assert_refused(post_response(Client(), sso, second), INVALID, "answers no open sign-in request")


def test_a_tampered_response_is_refused(ada, sso, entra):
    provision_target = "grace@contoso.example"
    Member.objects.create(enterprise=sso.enterprise, user_name=provision_target, email=provision_target)
    xml = base64.b64decode(entra.response(sso, ADA)).decode()
    tampered = xml.replace(f">{ADA}<", f">{provision_target}<")
    assert tampered != xml

    response = post_response(Client(), sso, base64.b64encode(tampered.encode()).decode())
    assert_refused(response, INVALID, "Signature")


def test_a_response_signed_with_another_key_is_refused(ada, sso, entra, attacker_key):
    response = post_response(Client(), sso, entra.response(sso, ADA, key=attacker_key))
    assert_refused(response, INVALID, "Signature")


def test_an_unsigned_response_is_refused(ada, sso, entra):
    response = post_response(Client(), sso, entra.response(sso, ADA, sign=False))
    assert_refused(response, INVALID, "signed")


def test_a_response_for_another_audience_is_refused(ada, sso, entra):
    response = post_response(Client(), sso, entra.response(sso, ADA, audience="https://other-app.example/"))
    assert_refused(response, INVALID, "AudienceRestrictions")


def test_a_response_for_another_enterprise_is_refused(ada, sso, entra, other_enterprise):
    other = type(sso).objects.for_enterprise(other_enterprise)
    response = post_response(Client(), sso, entra.response(sso, ADA, audience=other.sp_entity_id))
    assert_refused(response, INVALID, "AudienceRestrictions")


def test_a_response_sent_to_another_reply_url_is_refused(ada, sso, entra):
    response = post_response(
        Client(), sso, entra.response(sso, ADA, destination="https://other-app.example/acs")
    )
    assert_refused(response, INVALID)
    assert not SamlAssertion.objects.exists()


def test_a_response_whose_subject_is_confirmed_for_another_recipient_is_refused(ada, sso, entra):
    response = post_response(
        Client(), sso, entra.response(sso, ADA, recipient="https://other-app.example/acs")
    )
    assert_refused(response, INVALID, "recipient is not")


def test_an_expired_response_is_refused(ada, sso, entra):
    with time_machine.travel(
        datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=70), tick=False
    ):
        expired = entra.response(sso, ADA)
    assert_refused(post_response(Client(), sso, expired), INVALID, "too old")


def test_a_response_from_a_clock_slightly_ahead_is_accepted(ada, sso, entra):
    with time_machine.travel(
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=60), tick=False
    ):
        early = entra.response(sso, ADA)
    assert post_response(Client(), sso, early).status_code == HTTPStatus.FOUND


def test_a_response_from_a_clock_far_ahead_is_refused(ada, sso, entra):
    with time_machine.travel(
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=10), tick=False
    ):
        early = entra.response(sso, ADA)
    assert_refused(post_response(Client(), sso, early), INVALID)


def test_a_replayed_response_is_refused(ada, sso, entra):
    saml_response = entra.response(sso, ADA)
    assert post_response(Client(), sso, saml_response).status_code == HTTPStatus.FOUND

    assert_refused(post_response(Client(), sso, saml_response), INVALID, "was used to sign in already")


def test_an_unknown_person_is_refused_and_nothing_is_created(sso, entra, scim, django_user_model):
    users = django_user_model.objects
    before = users.count()
    response = post_response(Client(), sso, entra.response(sso, "mallory@contoso.example"))

    assert_refused(response, "You don&#x27;t have access to Plandisc through Contoso yet")
    assert not Member.objects.filter(user_name="mallory@contoso.example").exists()
    assert users.count() == before


def test_a_deactivated_member_is_refused(ada, sso, entra, scim):
    scim.patch(
        f"/Users/{ada.scim_id}",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
        },
    )
    response = post_response(Client(), sso, entra.response(sso, ADA))
    assert_refused(response, "Your access to Plandisc through Contoso is turned off")


def test_the_member_is_found_by_work_email_when_the_name_id_is_not_their_user_name(scim, sso, entra):
    provision(scim, "ada.lovelace@contoso.onmicrosoft.example", email=ADA)
    response = post_response(
        Client(), sso, entra.response(sso, "AL1815@contoso.example", email="ADA@contoso.example")
    )
    assert response.status_code == HTTPStatus.FOUND
    member = Member.objects.get(user_name="ada.lovelace@contoso.onmicrosoft.example")
    assert member.user is not None


def test_a_member_of_another_enterprise_is_not_signed_in_through_this_one(sso, entra, other_scim):
    provision(other_scim, ADA)
    response = post_response(Client(), sso, entra.response(sso, ADA))
    assert_refused(response, "You don&#x27;t have access to Plandisc through Contoso yet")


def test_single_sign_on_does_not_take_over_an_account_with_a_password(sso, entra, scim, admin_user):
    provision(scim, admin_user.username)
    browser = Client()
    response = post_response(browser, sso, entra.response(sso, admin_user.username))

    assert response.status_code == HTTPStatus.FOUND
    account = Member.objects.get(user_name=admin_user.username).user
    assert account != admin_user
    assert not account.has_usable_password()
    assert signed_in_user(browser) == account
    password_sign_in = Client().post(
        reverse("login"), {"username": admin_user.username, "password": "correct horse battery staple"}
    )
    assert password_sign_in.wsgi_request.user == admin_user


def test_with_scim_off_the_admin_may_let_people_in_at_their_first_sign_in(sso, entra, enterprise):
    enterprise_scim_toggle(enterprise=enterprise, enabled=False)
    sso.allow_jit = True
    sso.save()

    response = post_response(Client(), sso, entra.response(sso, "new.hire@contoso.example"))

    assert response.status_code == HTTPStatus.FOUND
    member = Member.objects.get(enterprise=enterprise, user_name="new.hire@contoso.example")
    assert (member.email, member.given_name, member.family_name, member.display_name, member.active) == (
        "new.hire@contoso.example",
        "Ada",
        "Lovelace",
        "Ada Lovelace",
        True,
    )
    assert member.user.username == "new.hire@contoso.example"


def test_with_scim_on_nobody_is_created_at_sign_in_even_when_allowed(sso, entra):
    sso.allow_jit = True
    sso.save()
    response = post_response(Client(), sso, entra.response(sso, "new.hire@contoso.example"))
    assert_refused(response, "You don&#x27;t have access to Plandisc through Contoso yet")


def test_the_reply_url_of_an_enterprise_without_single_sign_on_is_not_found(enterprise, other_enterprise):
    url = reverse("sso:acs", args=[other_enterprise.public_id])
    assert Client().post(url, {"SAMLResponse": "x"}).status_code == HTTPStatus.NOT_FOUND


def test_garbage_is_refused(sso):
    assert_refused(post_response(Client(), sso, "not base64 at all"), INVALID)
    assert_refused(post_response(Client(), sso, base64.b64encode(b"<x/>").decode()), INVALID)

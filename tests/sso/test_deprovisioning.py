"""Access follows provisioning: Entra deactivating or deleting someone through SCIM ends their sessions."""

from http import HTTPStatus

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from enterprise.directory.models import Member, MemberSession
from tests.sso.conftest import post_response, provision, sign_in, signed_in_user

ADA = "ada@contoso.example"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
DEACTIVATIONS = {
    "string without aadOptscim062020": {"op": "Replace", "path": "active", "value": "False"},
    "boolean with aadOptscim062020": {"op": "replace", "path": "active", "value": False},
    "path-less value object": {"op": "replace", "value": {"active": False}},
}


def patch(scim, scim_id: str, *operations: dict):
    response = scim.patch(f"/Users/{scim_id}", {"schemas": [PATCH_OP], "Operations": list(operations)})
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.NO_CONTENT), response.content
    return response


@pytest.fixture
def ada_id(scim, sso) -> str:
    return provision(scim, ADA)


@pytest.mark.parametrize("operation", DEACTIVATIONS.values(), ids=DEACTIVATIONS.keys())
def test_deactivation_ends_a_live_session_at_once(ada_id, scim, sso, entra, operation):
    browser = sign_in(sso, entra, ADA)
    session_key = browser.session.session_key
    assert Session.objects.filter(session_key=session_key).exists()

    patch(scim, ada_id, operation)

    assert not Session.objects.filter(session_key=session_key).exists()
    assert not MemberSession.objects.exists()
    response = browser.get(reverse("enterprise:home"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("login"))
    assert signed_in_user(browser) is None


def test_deactivation_ends_every_session_of_the_person(ada_id, scim, sso, entra):
    laptop, phone = sign_in(sso, entra, ADA), sign_in(sso, entra, ADA)

    patch(scim, ada_id, DEACTIVATIONS["string without aadOptscim062020"])

    assert signed_in_user(laptop) is None
    assert signed_in_user(phone) is None


def test_delete_ends_a_live_session_at_once(ada_id, scim, sso, entra):
    browser = sign_in(sso, entra, ADA)
    session_key = browser.session.session_key

    response = scim.delete(f"/Users/{ada_id}")

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not Session.objects.filter(session_key=session_key).exists()
    assert signed_in_user(browser) is None
    refused = post_response(Client(), sso, entra.response(sso, ADA))
    assert refused.status_code == HTTPStatus.FORBIDDEN


def test_reactivation_lets_the_person_sign_in_again(ada_id, scim, sso, entra):
    browser = sign_in(sso, entra, ADA)
    patch(scim, ada_id, DEACTIVATIONS["string without aadOptscim062020"])
    assert post_response(Client(), sso, entra.response(sso, ADA)).status_code == HTTPStatus.FORBIDDEN

    patch(scim, ada_id, {"op": "Replace", "path": "active", "value": "True"})

    assert signed_in_user(browser) is None  # the old session stays ended
    again = sign_in(sso, entra, ADA)
    assert signed_in_user(again) == Member.objects.get(user_name=ADA).user


def test_a_session_that_slipped_past_the_deactivation_is_signed_out_on_its_next_request(ada_id, sso, entra):
    browser = sign_in(sso, entra, ADA)
    # The deactivation committed while this sign-in was between its checks and recording its session.
    Member.objects.filter(user_name=ADA).update(active=False)

    assert signed_in_user(browser) is None


def test_other_changes_keep_the_session(ada_id, scim, sso, entra):
    browser = sign_in(sso, entra, ADA)

    patch(
        scim,
        ada_id,
        {"op": "Replace", "path": "displayName", "value": "Ada King"},
        {"op": "Replace", "path": "active", "value": "True"},
    )

    assert signed_in_user(browser) == Member.objects.get(user_name=ADA).user


def test_removing_the_person_from_all_groups_keeps_the_session(ada_id, scim, sso, entra):
    group = scim.post(
        "/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Planners",
            "externalId": "planners",
            "members": [{"value": ada_id}],
        },
    )
    assert group.status_code == HTTPStatus.CREATED, group.content
    browser = sign_in(sso, entra, ADA)

    response = scim.patch(
        f"/Groups/{group.json()['id']}",
        {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "Remove", "path": "members", "value": [{"value": ada_id}]}],
        },
    )

    assert response.status_code in (HTTPStatus.OK, HTTPStatus.NO_CONTENT)
    assert not Member.objects.get(user_name=ADA).groups.exists()
    assert signed_in_user(browser) == Member.objects.get(user_name=ADA).user


def test_deactivation_in_one_enterprise_keeps_access_to_the_other(
    ada_id, scim, sso, entra, other_scim, other_sso, fabrikam_entra
):
    provision(other_scim, ADA)
    at_contoso = sign_in(sso, entra, ADA)
    at_fabrikam = sign_in(other_sso, fabrikam_entra, ADA)
    account = Member.objects.get(enterprise=other_sso.enterprise).user

    patch(scim, ada_id, DEACTIVATIONS["boolean with aadOptscim062020"])

    assert signed_in_user(at_contoso) is None
    assert signed_in_user(at_fabrikam) == account
    assert post_response(Client(), sso, entra.response(sso, ADA)).status_code == HTTPStatus.FORBIDDEN
    assert signed_in_user(sign_in(other_sso, fabrikam_entra, ADA)) == account


def test_password_sessions_are_not_touched(ada_id, scim, sso, entra, admin_user):
    browser = Client()
    response = browser.post(
        reverse("login"), {"username": admin_user.username, "password": "correct horse battery staple"}
    )
    assert response.status_code == HTTPStatus.FOUND
    patch(scim, ada_id, DEACTIVATIONS["string without aadOptscim062020"])

    assert signed_in_user(browser) == admin_user


def test_an_account_made_by_single_sign_on_has_no_password_to_sign_in_with(ada_id, sso, entra):
    sign_in(sso, entra, ADA)
    account = Member.objects.get(user_name=ADA).user
    assert not account.has_usable_password()
    response = Client().post(reverse("login"), {"username": ADA, "password": ""})
    assert response.status_code == HTTPStatus.OK
    assert not response.wsgi_request.user.is_authenticated

"""
A login account belongs to the enterprise whose single sign-on made it: another enterprise's identity
provider never signs in as it, whatever userName or email that enterprise provisions, at the first sign-in
or any later one.
"""

from http import HTTPStatus

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from enterprise.directory.models import Member
from enterprise.sso.services import enterprise_admin_ensure
from tests.sso.conftest import post_response, provision, sign_in, signed_in_user

ALICE = "alice@fabrikam.example"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def alice_at_fabrikam(other_scim, other_sso, fabrikam_entra) -> Client:
    """Alice, provisioned by Fabrikam, signed in once through Fabrikam's single sign-on."""
    provision(other_scim, ALICE)
    return sign_in(other_sso, fabrikam_entra, ALICE)


def fabrikam_account(other_sso):
    return Member.objects.get(enterprise=other_sso.enterprise, user_name=ALICE).user


def test_another_enterprise_provisioning_the_same_user_name_does_not_get_the_account(
    alice_at_fabrikam, other_sso, scim, sso, entra
):
    alice = fabrikam_account(other_sso)
    provision(scim, ALICE)

    at_contoso = sign_in(sso, entra, ALICE)

    contoso_account = Member.objects.get(enterprise=sso.enterprise, user_name=ALICE).user
    assert contoso_account is not None
    assert contoso_account != alice
    assert signed_in_user(at_contoso) == contoso_account
    assert signed_in_user(alice_at_fabrikam) == alice


def test_another_enterprise_provisioning_the_same_email_does_not_get_the_account(
    alice_at_fabrikam, other_sso, scim, sso, entra
):
    alice = fabrikam_account(other_sso)
    provision(scim, "a.smith@contoso.example", email=ALICE)

    at_contoso = sign_in(sso, entra, name_id="a.smith@contoso.example")

    assert signed_in_user(at_contoso) not in (None, alice)


def test_the_other_enterprises_identity_provider_never_reaches_an_admins_enterprise_page(
    alice_at_fabrikam, other_sso, other_enterprise, scim, sso, entra
):
    provision(scim, ALICE)
    at_contoso = sign_in(sso, entra, ALICE)
    # Fabrikam then makes Alice an admin of Fabrikam (create_enterprise --admin-email does this).
    admin = enterprise_admin_ensure(enterprise=other_enterprise, email=ALICE, password=None)
    assert admin == fabrikam_account(other_sso)

    fabrikam_page = reverse("enterprise:detail", args=[other_enterprise.slug])
    assert at_contoso.get(fabrikam_page).status_code == HTTPStatus.FORBIDDEN
    assert sign_in(sso, entra, ALICE).get(fabrikam_page).status_code == HTTPStatus.FORBIDDEN
    assert alice_at_fabrikam.get(fabrikam_page).status_code == HTTPStatus.OK


def test_deactivating_alice_in_fabrikam_leaves_no_session_of_fabrikams_account(
    alice_at_fabrikam, other_scim, other_sso, scim, sso, entra
):
    alice = fabrikam_account(other_sso)
    provision(scim, ALICE)
    at_contoso = sign_in(sso, entra, ALICE)
    scim_id = Member.objects.get(enterprise=other_sso.enterprise, user_name=ALICE).scim_id

    response = other_scim.patch(
        f"/Users/{scim_id}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]},
    )

    assert response.status_code == HTTPStatus.OK
    assert signed_in_user(alice_at_fabrikam) is None
    assert signed_in_user(at_contoso) not in (None, alice)


def test_a_person_in_two_enterprises_has_a_login_account_in_each(
    alice_at_fabrikam, other_sso, fabrikam_entra, scim, sso, entra
):
    provision(scim, ALICE)
    sign_in(sso, entra, ALICE)
    sign_in(other_sso, fabrikam_entra, ALICE)

    accounts = [m.user for m in Member.objects.filter(user_name=ALICE).order_by("enterprise__slug")]
    assert accounts[0] != accounts[1]
    assert [a.username for a in accounts] == [f"contoso/{ALICE}", ALICE]
    assert not any(a.has_usable_password() for a in accounts)


def test_the_account_is_checked_at_every_sign_in(alice_at_fabrikam, other_sso, fabrikam_entra):
    # Support gave the account a password after its first sign-in: it is no longer one single sign-on uses.
    alice = fabrikam_account(other_sso)
    alice.password = make_password("a password from support")
    alice.save(update_fields=["password"])

    response = post_response(Client(), other_sso, fabrikam_entra.response(other_sso, ALICE))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not response.wsgi_request.user.is_authenticated


def test_an_account_another_enterprise_owns_is_never_used_even_when_linked(
    alice_at_fabrikam, other_sso, scim, sso, entra
):
    # A link made before accounts had owners (as the takeover above did) is refused, not followed.
    provision(scim, ALICE)
    Member.objects.filter(enterprise=sso.enterprise).update(user=fabrikam_account(other_sso))

    response = post_response(Client(), sso, entra.response(sso, ALICE))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not response.wsgi_request.user.is_authenticated


def test_a_staff_account_is_never_taken_over(scim, sso, entra, django_user_model):
    staff = django_user_model.objects.create_user("support@contoso.example", is_staff=True)
    provision(scim, "support@contoso.example")

    browser = sign_in(sso, entra, name_id="support@contoso.example")

    account = Member.objects.get(user_name="support@contoso.example").user
    assert account != staff
    assert not account.is_staff
    assert signed_in_user(browser) == account


def test_a_session_of_an_account_its_member_no_longer_uses_is_signed_out(alice_at_fabrikam, other_sso):
    # What migration 0002 does to a member of the enterprise that had taken over another's account.
    Member.objects.filter(enterprise=other_sso.enterprise).update(user=None)

    assert signed_in_user(alice_at_fabrikam) is None

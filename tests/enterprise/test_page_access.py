"""Who may open the Enterprise page and act on it: its admins, for their own enterprises only."""

from http import HTTPStatus

import pytest
from django.test import Client

from enterprise.activity.models import AuditEvent
from enterprise.credentials.models import ScimToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def _pages(slug: str) -> list[str]:
    return [f"/enterprise/{slug}/", f"/enterprise/{slug}/members/", f"/enterprise/{slug}/scim/activity.csv"]


def _actions(slug: str, token_id: int) -> list[tuple[str, dict]]:
    return [
        (f"/enterprise/{slug}/scim/token/", {}),
        (f"/enterprise/{slug}/scim/tokens/{token_id}/revoke/", {}),
        (f"/enterprise/{slug}/scim/provisioning/", {"enabled": "false"}),
    ]


def test_anonymous_visitors_get_the_sign_in_page(client, enterprise):
    response = client.get("/enterprise/contoso/", follow=True)

    assert response.redirect_chain == [("/accounts/login/?next=/enterprise/contoso/", HTTPStatus.FOUND)]
    assert "Sign in to Plandisc" in response.text
    assert '<label for="id_username">Email</label>' in response.text


def test_signing_in_opens_the_admins_enterprise(client, enterprise):
    response = client.post(
        "/accounts/login/", {"username": "admin@contoso.example", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [
        ("/enterprise/", HTTPStatus.FOUND),
        ("/enterprise/contoso/", HTTPStatus.FOUND),
    ]
    assert "Manage users with SCIM" in response.text


def test_a_wrong_password_is_refused_on_the_sign_in_page(client, enterprise):
    response = client.post("/accounts/login/", {"username": "admin@contoso.example", "password": "wrong"})

    assert response.status_code == HTTPStatus.OK
    assert "Your email and password didn&#x27;t match." in response.text


def test_an_admin_of_two_enterprises_chooses_and_switches(admin_session, admin_user, other_enterprise):
    other_enterprise.admins.add(admin_user)

    choose = admin_session.get("/enterprise/")
    page = admin_session.get("/enterprise/fabrikam/")

    assert choose.status_code == HTTPStatus.OK
    assert '<a href="/enterprise/contoso/">Contoso</a>' in choose.text
    assert '<a href="/enterprise/fabrikam/">Fabrikam</a>' in choose.text
    assert page.status_code == HTTPStatus.OK
    assert '<a href="/enterprise/contoso/">Contoso</a>' in page.text
    assert '<a href="/enterprise/fabrikam/" aria-current="page">Fabrikam</a>' in page.text
    assert other_enterprise.scim_endpoint in page.text


def test_an_account_that_administers_nothing_gets_403(client, db):
    client.force_login(UserFactory())

    response = client.get("/enterprise/")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "You are not an admin of any enterprise." in response.text


def test_a_member_who_is_not_an_admin_gets_403_everywhere(member_session, enterprise, scim):
    token = ScimToken.objects.get()

    for url in _pages("contoso"):
        assert member_session.get(url).status_code == HTTPStatus.FORBIDDEN, url
    for url, data in _actions("contoso", token.pk):
        assert member_session.post(url, data).status_code == HTTPStatus.FORBIDDEN, url

    token.refresh_from_db()
    enterprise.refresh_from_db()
    assert ScimToken.objects.count() == 1 and token.revoked_at is None and enterprise.scim_enabled
    assert not AuditEvent.objects.filter(actor__isnull=False).exists()


def test_the_admin_of_contoso_can_neither_see_nor_act_on_fabrikam(
    admin_session, other_enterprise, other_scim
):
    token = other_enterprise.scim_tokens.get()

    for url in _pages("fabrikam"):
        response = admin_session.get(url)
        assert response.status_code == HTTPStatus.FORBIDDEN, url
        assert str(other_enterprise.public_id) not in response.text
    for url, data in _actions("fabrikam", token.pk):
        assert admin_session.post(url, data).status_code == HTTPStatus.FORBIDDEN, url

    token.refresh_from_db()
    other_enterprise.refresh_from_db()
    assert (
        other_enterprise.scim_tokens.count() == 1
        and token.revoked_at is None
        and other_enterprise.scim_enabled
    )


def test_an_enterprise_that_does_not_exist_is_403_like_one_that_is_not_yours(admin_session):
    assert admin_session.get("/enterprise/no-such-enterprise/").status_code == HTTPStatus.FORBIDDEN


def test_fabrikams_token_cannot_be_revoked_through_contosos_page(admin_session, other_enterprise, other_scim):
    token = other_enterprise.scim_tokens.get()

    response = admin_session.post(f"/enterprise/contoso/scim/tokens/{token.pk}/revoke/")

    token.refresh_from_db()
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert token.revoked_at is None


@pytest.mark.parametrize("url", ["/enterprise/contoso/scim/token/", "/enterprise/contoso/scim/provisioning/"])
def test_state_changes_are_post_only(admin_session, url):
    assert admin_session.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert not ScimToken.objects.exists()


def test_state_changes_need_the_csrf_token(enterprise, admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    refused = client.post("/enterprise/contoso/scim/token/")
    client.get("/enterprise/contoso/")
    accepted = client.post(
        "/enterprise/contoso/scim/token/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )

    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert accepted.status_code == HTTPStatus.OK
    assert ScimToken.objects.count() == 1


def test_signing_out_ends_the_session(admin_session):
    admin_session.post("/accounts/logout/")

    assert admin_session.get("/enterprise/contoso/").status_code == HTTPStatus.FOUND

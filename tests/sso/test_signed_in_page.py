"""Where a member lands after signing in through single sign-on."""

from http import HTTPStatus

from django.test import Client
from django.urls import reverse

from tests.sso.conftest import post_response, provision

ADA = "ada@contoso.example"


def test_a_member_lands_on_a_page_that_says_who_they_are(scim, sso, entra):
    provision(scim, ADA)
    client = Client()

    response = post_response(client, sso, entra.response(sso, ADA), relay_state="")
    page = client.get(response.url)

    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert "You are signed in to Plandisc" in html
    assert "Ada Lovelace" in html
    assert ADA in html
    assert "Contoso" in html
    assert "through single sign-on" in html
    assert reverse("enterprise:detail", args=["contoso"]) not in html


def test_the_enterprise_link_takes_a_member_to_that_page_not_a_refusal(scim, sso, entra):
    provision(scim, ADA)
    client = Client()
    post_response(client, sso, entra.response(sso, ADA))

    for url in ("/", reverse("enterprise:home")):
        response = client.get(url, follow=True)

        assert response.status_code == HTTPStatus.OK
        assert response.redirect_chain[-1][0] == reverse("sso:signed-in")
        assert "You are signed in to Plandisc" in response.content.decode()


def test_the_page_links_an_admin_to_the_enterprise_page(scim, sso, entra, enterprise, django_user_model):
    provision(scim, ADA)
    client = Client()
    response = post_response(client, sso, entra.response(sso, ADA))
    enterprise.admins.add(django_user_model.objects.get(username=ADA))

    html = client.get(response.url).content.decode()

    assert reverse("enterprise:detail", args=["contoso"]) in html


def test_without_single_sign_on_the_page_sends_people_on(admin_session):
    response = admin_session.get(reverse("sso:signed-in"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("enterprise:home")

"""The language a person sees Plandisc in: Entra's preferredLanguage at single sign-on, unless they chose one
with the switcher, which follows them to every device."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from enterprise.models import Profile
from tests.sso.conftest import entra_user, post_response

ADA = "ada@contoso.example"


def _provision(scim, preferred_language: str | None) -> None:
    body = entra_user(ADA)
    if preferred_language is not None:
        body["preferredLanguage"] = preferred_language
    assert scim.post("/Users", body).status_code == HTTPStatus.CREATED


def _landing(client: Client, sso, entra):
    response = post_response(client, sso, entra.response(sso, ADA))
    assert response.status_code == HTTPStatus.FOUND, response.content
    return client.get(response.url)


@pytest.mark.parametrize("preferred", ["da", "da-DK", "DA-dk", "da_DK"])
def test_a_member_entra_gives_danish_signs_in_to_danish(scim, sso, entra, preferred):
    _provision(scim, preferred)
    client = Client()

    page = _landing(client, sso, entra)

    assert page["Content-Language"] == "da"
    html = page.content.decode()
    assert "Du er logget på Plandisc" in html
    assert "Redaktør" in html and "Du kan oprette og redigere planer." in html
    # And the next pages too.
    assert "Log af" in client.get(reverse("sso:signed-in")).content.decode()


@pytest.mark.parametrize("preferred", ["en-US", "de-DE", "dan"])
def test_a_member_entra_gives_another_language_signs_in_to_english_even_from_a_danish_browser(
    scim, sso, entra, preferred
):
    _provision(scim, preferred)
    client = Client(headers={"accept-language": "da"})

    page = _landing(client, sso, entra)

    assert page["Content-Language"] == "en"
    assert "You are signed in to Plandisc" in page.content.decode()


def test_a_member_without_a_preferred_language_gets_english(scim, sso, entra):
    _provision(scim, None)

    page = _landing(Client(), sso, entra)

    assert page["Content-Language"] == "en"
    assert "You are signed in to Plandisc" in page.content.decode()


def test_the_language_a_member_chose_wins_over_entras(scim, sso, entra, django_user_model):
    _provision(scim, "da-DK")
    first = Client()
    _landing(first, sso, entra)

    first.post(reverse("set_language"), {"language": "en", "next": reverse("sso:signed-in")})
    page = _landing(Client(), sso, entra)  # another device

    assert Profile.objects.get(user__username=ADA).language == "en"
    assert page["Content-Language"] == "en"
    assert "You are signed in to Plandisc" in page.content.decode()


def test_switching_returns_to_the_same_page_and_follows_the_person_to_another_device(
    enterprise, admin_user, admin_session
):
    page = reverse("enterprise:detail", args=[enterprise.slug]) + "?page=2"
    english = admin_session.get(page).content.decode()
    assert 'name="language" value="da" lang="da">Dansk</button>' in english

    response = admin_session.post(reverse("set_language"), {"language": "da", "next": page})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == page
    assert Profile.objects.get(user=admin_user).language == "da"
    danish = admin_session.get(page)
    assert danish["Content-Language"] == "da"
    assert 'name="language" value="en" lang="en">English</button>' in danish.content.decode()
    elsewhere = Client()
    elsewhere.force_login(admin_user)
    assert elsewhere.get(page)["Content-Language"] == "da"


def test_an_anonymous_choice_is_a_cookie_only(db):
    client = Client()

    response = client.post(reverse("set_language"), {"language": "da", "next": reverse("login")})

    assert response.url == reverse("login")
    assert "Log på Plandisc" in client.get(reverse("login")).content.decode()
    assert not Profile.objects.exists()


def test_an_unknown_language_changes_nothing(admin_user, admin_session):
    response = admin_session.post(reverse("set_language"), {"language": "xx", "next": "/"})

    assert response.status_code == HTTPStatus.FOUND
    assert not Profile.objects.filter(user=admin_user).exists()
    assert admin_session.get(reverse("login"))["Content-Language"] == "en"


def test_a_danish_browser_gets_the_sign_in_page_in_danish(db):
    page = Client(headers={"accept-language": "da-DK,da;q=0.9"}).get(reverse("login"))

    assert page["Content-Language"] == "da"
    assert "Log på med enkeltlogon" in page.content.decode()
    assert "Sign in to Plandisc" in Client().get(reverse("login")).content.decode()

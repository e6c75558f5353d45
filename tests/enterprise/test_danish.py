"""Every page people and admins see, and the alert emails, in Danish: no English from our templates or catalog
left on them, and a complete, compiled Danish catalog."""

import shutil
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enterprise.alerts.models import Alert
from enterprise.alerts.services import alerts_check
from enterprise.credentials.models import ClientSecret, FederationTrust
from enterprise.credentials.services import client_secret_create, oauth_client_of, scim_token_rotate
from enterprise.models import Profile
from enterprise.sso.models import SsoDomain
from enterprise.sso.services import sso_refusal_record
from tests.danish import CATALOG, catalog, english_on, msgfmt, visible_text
from tests.factories import GroupFactory, MemberFactory, ProvisioningEventFactory, UserFactory
from tests.sso.conftest import connect, entra, signing_key  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def dansk(admin_user, admin_session) -> Client:
    """The enterprise's admin, who chose Danish."""
    Profile.objects.create(user=admin_user, language="da")
    return admin_session


@pytest.fixture
def filled(enterprise, entra):  # noqa: F811
    """An enterprise with every section of its page filled in."""
    scim_token_rotate(enterprise=enterprise)
    scim_token_rotate(enterprise=enterprise)
    first, _ = client_secret_create(enterprise=enterprise, years=1)
    client_secret_create(enterprise=enterprise, years=1)
    ClientSecret.objects.filter(client__enterprise=enterprise).update(
        expires_at=timezone.now() + timedelta(days=5), last_used_at=timezone.now()
    )
    FederationTrust.objects.create(
        client=oauth_client_of(enterprise=enterprise),
        issuer="https://login.microsoftonline.com/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/v2.0",
        jwks_url="https://login.microsoftonline.com/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/discovery/v2.0/keys",
        subject="8eaef023-2b34-4da1-9baa-8bc8c9d6a490",
        audience="api://AzureADTokenExchange",
    )
    ProvisioningEventFactory(
        enterprise=enterprise, method="POST", path="/token", status=200, credential="client secret"
    )
    connection = connect(enterprise, entra, "contoso.example")
    SsoDomain.objects.create(connection=connection, domain="contoso.dk")
    sso_refusal_record(enterprise=enterprise, detail="No member of Contoso has the userName x@contoso.test.")
    GroupFactory(enterprise=enterprise, display_name="Plandisc admins")
    MemberFactory(enterprise=enterprise)
    MemberFactory(enterprise=enterprise)
    enterprise.seats = 2
    enterprise.save()
    return enterprise


def _danish(response) -> str:
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST, HTTPStatus.FORBIDDEN)
    assert response["Content-Language"] == "da"
    return response.content.decode()


def test_the_enterprise_page_with_every_section_filled_is_all_danish(filled, dansk):
    html = _danish(dansk.get(reverse("enterprise:detail", args=[filled.slug])))

    assert 'lang="da"' in html
    for danish in ("Virksomhed", "Administrér brugere med SCIM", "Enkeltlogon (single sign-on)", "Advarsler"):
        assert danish in html
    # Filled, so the test sees the sentences of every state it renders.
    for danish in ("Gyldige tokens", "Gyldige klienthemmeligheder", "Fjern føderation", "Ikke bekræftet"):
        assert danish in html
    assert english_on(html) == []


def test_the_members_page_is_danish(filled, dansk):
    html = _danish(dansk.get(reverse("enterprise:members", args=[filled.slug])))

    assert "Medlemmer" in html
    assert english_on(html) == []


def test_the_single_sign_on_forms_and_their_errors_are_danish(filled, dansk):
    configure = dansk.post(reverse("sso:configure", args=[filled.slug]), {"metadata_xml": "<not-xml"})
    domain = dansk.post(reverse("sso:domain-add", args=[filled.slug]), {"domain": "not a domain"})

    for response in (configure, domain):
        html = _danish(response)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert english_on(html) == []
    assert "Ikke et domæne: not a domain" in domain.content.decode()


def test_the_choice_of_enterprises_is_danish(enterprise, other_enterprise, admin_user, dansk):
    other_enterprise.admins.add(admin_user)

    html = _danish(dansk.get(reverse("enterprise:home")))

    assert "Vælg en virksomhed" in html
    assert english_on(html) == []


def test_the_sign_in_page_is_danish_for_a_danish_browser(db):
    client = Client(headers={"accept-language": "da-DK,da;q=0.9,en;q=0.5"})

    html = _danish(client.get(reverse("login")))
    refused = _danish(client.post(reverse("login"), {"username": "x@contoso.example", "password": "wrong"}))

    assert "Log på Plandisc" in html and english_on(html) == []
    assert "E-mail og adgangskode passede ikke sammen" in refused and english_on(refused) == []


def test_the_refusal_page_says_no_to_a_danish_browser_in_danish(enterprise, entra):  # noqa: F811
    connection = connect(enterprise, entra, None)
    client = Client(headers={"accept-language": "da"})

    response = client.post(
        reverse("sso:acs", args=[connection.enterprise.public_id]), {"SAMLResponse": "bm90IFNBTUw="}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    html = _danish(response)
    assert "Du kan ikke logge på Plandisc" in html
    assert "Plandisc kunne ikke godtage login-svaret" in html
    assert english_on(html) == []


def test_the_forbidden_page_is_danish(enterprise):
    stranger = UserFactory(username="stranger@contoso.example")
    Profile.objects.create(user=stranger, language="da")
    client = Client()
    client.force_login(stranger)

    html = _danish(client.get(reverse("enterprise:detail", args=[enterprise.slug])))

    assert "Du kan ikke åbne denne side" in html
    assert "Du er ikke administrator for denne virksomhed." in html
    assert english_on(html) == []


def test_an_alert_email_goes_out_in_its_admins_danish(enterprise, admin_user):
    Profile.objects.create(user=admin_user, language="da")
    ProvisioningEventFactory(enterprise=enterprise, created_at=timezone.now() - timedelta(hours=5))
    secret, _ = client_secret_create(enterprise=enterprise, years=1)
    ClientSecret.objects.filter(pk=secret.pk).update(expires_at=timezone.now() + timedelta(days=5))

    alerts_check()

    assert sorted(email.subject for email in mail.outbox) == [
        "Legitimation udløber eller mangler for Contoso: Jeres OAuth-klienthemmelighed udløber snart",
        "Provisionering tavs for Contoso: Provisioneringen har været tavs i 5 timer",
    ]
    for email in mail.outbox:
        html = email.alternatives[0][0]
        assert "Åbn siden Virksomhed" in html and "Åbn siden Virksomhed" in email.body
        assert english_on(html) == []
    # What the page's banners show stays as stored, in English.
    stored = Alert.objects.get(kind="provisioning_silent")
    assert stored.headline == "Provisioning has been silent for 5 hours"


def test_the_page_s_alert_banners_speak_the_reader_s_language(enterprise, dansk, admin_session):
    ProvisioningEventFactory(enterprise=enterprise, created_at=timezone.now() - timedelta(hours=5))
    alerts_check()  # alerts are stored in English
    page = reverse("enterprise:detail", args=[enterprise.slug])

    html = _danish(dansk.get(page))

    assert "Provisioneringen har været tavs i 5 timer" in html
    assert english_on(html) == []
    Profile.objects.filter(language="da").update(language="en")
    assert "Provisioning has been silent for 5 hours" in admin_session.get(page).text


def test_an_alert_email_to_an_admin_who_chose_nothing_is_english(enterprise, admin_user):
    ProvisioningEventFactory(enterprise=enterprise, created_at=timezone.now() - timedelta(hours=5))

    alerts_check()

    assert [email.subject for email in mail.outbox] == [
        "Provisioning silent for Contoso: Provisioning has been silent for 5 hours"
    ]
    assert "Open the Enterprise page" in mail.outbox[0].body


# The catalog


def test_every_message_of_the_catalog_has_a_danish_translation():
    entries = catalog()

    assert len(entries) > 200
    assert [e["msgid"] for e in entries if e["fuzzy"]] == []
    assert [e["msgid"] for e in entries if not all(e["msgstr"]) or not e["msgstr"]] == []


def test_the_compiled_catalog_is_the_catalog(tmp_path):
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (GNU gettext) is not installed: cannot compile the catalog to compare")
    compiled = tmp_path / "django.mo"

    result = msgfmt(CATALOG, compiled)

    assert result.returncode == 0, result.stderr
    assert compiled.read_bytes() == CATALOG.with_suffix(".mo").read_bytes(), (
        "locale/da/LC_MESSAGES/django.mo is stale: run `python manage.py compilemessages --ignore=.venv`"
    )


def test_the_check_finds_english_left_on_a_page():
    page = "<main><h1>Vælg en virksomhed</h1><p>Choose an enterprise</p><p>Sign in to Plandisc</p></main>"

    assert english_on(page) == ["Choose an enterprise", "Sign in to Plandisc"]
    assert visible_text("<p>Set <b>Provisioning Mode</b> to <code>scim</code></p>") == ["Set", "to"]

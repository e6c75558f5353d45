"""The Enterprise page's Single sign-on section, its settings form, and Plandisc's SAML metadata."""

import datetime
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enterprise.activity.models import AuditEvent
from enterprise.sso.models import SsoConnection
from tests.sso.conftest import Entra, make_signing_key, post_response, provision

CONFIGURE = "sso:configure"


def page(client: Client, enterprise) -> str:
    response = client.get(reverse("enterprise:detail", args=[enterprise.slug]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def configure(client: Client, enterprise, **data):
    return client.post(reverse(CONFIGURE, args=[enterprise.slug]), data)


def test_the_section_shows_what_to_copy_into_entra_before_anything_is_set_up(admin_session, enterprise):
    html = page(admin_session, enterprise)
    base = f"http://127.0.0.1:8000/sso/{enterprise.public_id}"

    assert "Single sign-on" in html
    assert f'value="{base}/metadata/"' in html  # Identifier (Entity ID)
    assert f'value="{base}/acs/"' in html  # Reply URL
    assert f'value="{base}/login/"' in html  # Sign on URL
    assert "Not set up" in html


def test_uploading_entras_federation_metadata_connects_single_sign_on(
    admin_session, admin_user, enterprise, entra
):
    upload = SimpleUploadedFile("Plandisc.xml", b"\xef\xbb\xbf" + entra.metadata().encode(), "text/xml")

    response = configure(admin_session, enterprise, metadata_file=upload)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("enterprise:detail", args=[enterprise.slug]) + "#sso"
    connection = SsoConnection.objects.get(enterprise=enterprise)
    assert connection.idp_entity_id == entra.entity_id
    assert connection.idp_sso_url == entra.sso_url
    assert len(connection.certificate_thumbprint) == 40
    assert connection.certificate_expires_at > timezone.now() + datetime.timedelta(days=3 * 365 - 2)
    event = enterprise.audit_events.get(action=AuditEvent.Action.SSO_CONFIGURED)
    assert event.actor == admin_user
    assert connection.certificate_thumbprint in event.detail

    html = page(admin_session, enterprise)
    assert entra.entity_id in html
    assert connection.certificate_thumbprint in html
    assert "expires on" not in html


def test_pasting_the_metadata_works_too(admin_session, enterprise, entra):
    response = configure(admin_session, enterprise, metadata_xml=entra.metadata())
    assert response.status_code == HTTPStatus.FOUND
    assert SsoConnection.objects.get(enterprise=enterprise).idp_entity_id == entra.entity_id


def test_saving_without_metadata_keeps_the_identity_provider(admin_session, enterprise, sso, entra):
    response = configure(admin_session, enterprise, allow_jit="on")

    assert response.status_code == HTTPStatus.FOUND
    sso.refresh_from_db()
    assert sso.idp_entity_id == entra.entity_id
    assert sso.allow_jit
    assert [d.domain for d in sso.domains.all()] == ["contoso.example"]


@pytest.mark.parametrize(
    "xml, message",
    [
        ("", "Upload or paste the Federation Metadata XML"),
        ("<html>not metadata</html>", "exactly one identity provider"),
        ("this is not XML", "This is not SAML metadata"),
    ],
)
def test_unusable_metadata_is_refused_with_a_reason(admin_session, enterprise, xml, message):
    response = configure(admin_session, enterprise, metadata_xml=xml)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert not SsoConnection.objects.exists()


def test_metadata_with_an_expired_certificate_is_refused(admin_session, enterprise, tmp_path):
    entra = Entra("00000000-0000-0000-0000-000000000001", make_signing_key(tmp_path, days=-1))
    response = configure(admin_session, enterprise, metadata_xml=entra.metadata())
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "expired on" in response.content.decode()


def test_a_certificate_expiring_within_30_days_is_warned_about(admin_session, enterprise, tmp_path):
    entra = Entra("00000000-0000-0000-0000-000000000001", make_signing_key(tmp_path, days=20))
    configure(admin_session, enterprise, metadata_xml=entra.metadata())

    html = page(admin_session, enterprise)

    assert "signing certificate expires on" in html


def test_during_a_certificate_rollover_both_certificates_are_trusted(
    admin_session, enterprise, entra, scim, tmp_path
):
    new_key = make_signing_key(tmp_path)
    configure(admin_session, enterprise, metadata_xml=entra.metadata(new_key))
    connection = SsoConnection.objects.get(enterprise=enterprise)
    provision(scim, "ada@contoso.example")

    for key in (entra.key, new_key):
        response = post_response(
            Client(), connection, entra.response(connection, "ada@contoso.example", key=key)
        )
        assert response.status_code == HTTPStatus.FOUND


def test_only_the_enterprises_admins_configure_it(enterprise, entra, other_enterprise, django_user_model):
    outsider = Client()
    outsider.force_login(django_user_model.objects.create_user("outsider@example.com", password="x" * 12))
    assert configure(outsider, enterprise, metadata_xml=entra.metadata()).status_code == HTTPStatus.FORBIDDEN

    anonymous = configure(Client(), enterprise, metadata_xml=entra.metadata())
    assert anonymous.status_code == HTTPStatus.FOUND
    assert anonymous.url.startswith(reverse("login"))
    assert not SsoConnection.objects.exists()


def test_plandiscs_saml_metadata_describes_the_enterprises_service_provider(enterprise):
    connection = SsoConnection.objects.for_enterprise(enterprise)

    response = Client().get(reverse("sso:metadata", args=[enterprise.public_id]))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/samlmetadata+xml"
    xml = response.content.decode()
    assert f'entityID="{connection.sp_entity_id}"' in xml
    assert f'Location="{connection.acs_url}"' in xml
    assert "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" in xml

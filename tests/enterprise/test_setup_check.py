"""
"Check my setup" on the Enterprise page: one line per thing Plandisc can check from its side, each ok, warning
or problem, with what to do. Everything it checks is real here: the SCIM endpoint is a request to a live
server (or to a port nobody listens on), DNS is the loopback server of tests/sso/test_domains.py, the
metadata is Entra's Federation Metadata XML with certificates made here.
"""

import datetime
import html
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enterprise.activity.models import AuditEvent
from enterprise.credentials.services import client_secret_create, scim_token_rotate
from enterprise.sso.models import SsoConnection, SsoDomain
from tests.credentials.test_federation import issuer, trust  # noqa: F401  (a live federation trust)
from tests.factories import ProvisioningEventFactory, UserFactory
from tests.sso.conftest import CONTOSO_TENANT, Entra, connect, make_signing_key
from tests.sso.test_domains import dns  # noqa: F401  (the loopback DNS server fixture)

pytestmark = pytest.mark.django_db

CONTOSO = "contoso.example"
NO_CREDENTIAL = (
    "credential",
    "problem",
    "There is no live credential: Entra's requests are refused.",
    "Generate a SCIM token, create a client secret or set up federation, and paste it into Entra. Go there",
)
NEVER_CALLED = (
    "entra",
    "problem",
    "Entra has not called Plandisc yet.",
    "In Entra, paste the SCIM endpoint and a credential, select Test Connection, then start provisioning. "
    "Go there",
)
NO_SSO = ("saml", "ok", "Single sign-on is not set up: there is nothing to check.", "")
NEW_CERTIFICATE = (
    "In Entra, make a new SAML signing certificate active, then upload its Federation Metadata XML. Go there"
)
SUPPORT = "Ask Plandisc support: the address is Plandisc's own setting."


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def nobody_listens(settings) -> str:
    """PLANDISC_BASE_URL at a port that refuses connections, unless a test points it elsewhere."""
    settings.PLANDISC_BASE_URL = f"http://127.0.0.1:{_closed_port()}"
    return settings.PLANDISC_BASE_URL


def unreachable(base: str) -> tuple:
    return (
        "endpoint",
        "problem",
        f"Plandisc's SCIM endpoint at {base} could not be reached: [Errno 111] Connection refused.",
        SUPPORT,
    )


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


LINE = re.compile(
    r'<li class="check check-(?P<status>\w+)" data-check="(?P<check>\w+)">.*?'
    r'<p class="check-text">(?P<text>.*?)</p>(?:\s*<p class="check-todo">(?P<todo>.*?)</p>)?',
    re.DOTALL,
)


def check(client: Client, enterprise) -> list[tuple[str, str, str, str]]:
    """Press "Check my setup" and read the lines on the page it leads to: (check, status, text, todo)."""
    response = client.post(reverse("enterprise:setup-check", args=[enterprise.slug]))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("enterprise:detail", args=[enterprise.slug]) + "#setup-check"
    page = client.get(response.url).content.decode()
    return [(m["check"], m["status"], _text(m["text"]), _text(m["todo"] or "")) for m in LINE.finditer(page)]


def date(moment) -> str:
    return f"{moment:%-d %B %Y}"


def test_a_new_enterprise_is_told_what_is_missing(admin_session, enterprise, nobody_listens):
    assert check(admin_session, enterprise) == [
        unreachable(nobody_listens),
        NO_CREDENTIAL,
        NEVER_CALLED,
        NO_SSO,
    ]


def test_the_lines_show_once_and_the_button_checks_again(admin_session, enterprise):
    check(admin_session, enterprise)

    page = admin_session.get(reverse("enterprise:detail", args=[enterprise.slug])).content.decode()

    assert 'class="check ' not in page
    assert ">Check my setup</button>" in page


def test_only_the_enterprises_admins_can_check(
    member_session, enterprise, other_enterprise, django_user_model
):
    url = reverse("enterprise:setup-check", args=[enterprise.slug])
    assert member_session.post(url).status_code == HTTPStatus.FORBIDDEN
    outsider = Client()
    outsider.force_login(UserFactory(username="admin@fabrikam.example"))
    other_enterprise.admins.add(django_user_model.objects.get(username="admin@fabrikam.example"))
    assert outsider.post(url).status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND)
    assert outsider.get(reverse("enterprise:api-setup-check", args=[enterprise.slug])).status_code in (
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
    )
    assert Client().post(url).status_code == HTTPStatus.FOUND  # to the sign-in page
    assert member_session.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED


# The endpoint.


@pytest.mark.django_db(transaction=True)
def test_the_endpoint_over_http_answers_but_entra_requires_https(
    admin_session, enterprise, live_server, settings
):
    settings.PLANDISC_BASE_URL = live_server.url

    endpoint = check(admin_session, enterprise)[0]

    assert endpoint == (
        "endpoint",
        "problem",
        f"Plandisc's SCIM endpoint answers at {live_server.url}, but over http: Entra requires https.",
        SUPPORT,
    )
    # The check names no enterprise, so it is not recorded as a refused request in the activity.
    assert not enterprise.provisioning_events.exists()


@pytest.mark.django_db(transaction=True)
def test_an_address_that_is_not_plandiscs_scim_service_is_a_problem(
    admin_session, enterprise, live_server, settings
):
    settings.PLANDISC_BASE_URL = live_server.url + "/elsewhere"

    endpoint = check(admin_session, enterprise)[0]

    assert endpoint == (
        "endpoint",
        "problem",
        f"The address {live_server.url}/elsewhere does not lead to Plandisc's SCIM endpoint: it answered "
        "with HTTP status 404, which is not Plandisc's SCIM service.",
        SUPPORT,
    )


def test_a_server_that_does_not_speak_http_is_a_problem(admin_session, enterprise, settings):
    listener = socket.create_server(("127.0.0.1", 0))

    def answer_garbage():
        connection, _ = listener.accept()
        with connection:
            connection.recv(4096)
            connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    threading.Thread(target=answer_garbage, daemon=True).start()
    settings.PLANDISC_BASE_URL = f"http://127.0.0.1:{listener.getsockname()[1]}"

    endpoint = check(admin_session, enterprise)[0]

    listener.close()
    assert endpoint == (
        "endpoint",
        "problem",
        f"The address {settings.PLANDISC_BASE_URL} does not lead to Plandisc's SCIM endpoint: what answered "
        "does not speak HTTP.",
        SUPPORT,
    )


def _certificate(name: str, key, ca: x509.Certificate | None = None, ca_key=None) -> x509.Certificate:
    """A CA's certificate (no `ca`) or a server certificate for localhost that the CA signs."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.subject if ca else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
    )
    if ca is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
        )
    return builder.sign(ca_key or key, hashes.SHA256())


@pytest.fixture
def https_plandisc(tmp_path, monkeypatch) -> Iterator[str]:
    """
    Plandisc (Django's WSGI handler) served over https on loopback, with a certificate for localhost from a
    certificate authority made here, which this process trusts (SSL_CERT_FILE) as a real one would be.
    """
    ca_key, server_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    ca = _certificate("Plandisc test CA", ca_key)
    server_certificate = _certificate("localhost", server_key, ca, ca_key)
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server.pem").write_bytes(
        server_certificate.public_bytes(serialization.Encoding.PEM)
        + server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(WSGIHandler())
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://localhost:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_endpoint_over_https_is_ok(admin_session, enterprise, https_plandisc, settings):
    settings.PLANDISC_BASE_URL = https_plandisc

    assert check(admin_session, enterprise)[0] == (
        "endpoint",
        "ok",
        f"Plandisc's SCIM endpoint answers over https at {https_plandisc}.",
        "",
    )


def test_an_https_certificate_nobody_trusts_is_a_problem(
    admin_session, enterprise, https_plandisc, settings, monkeypatch
):
    monkeypatch.delenv("SSL_CERT_FILE")
    settings.PLANDISC_BASE_URL = https_plandisc

    endpoint = check(admin_session, enterprise)[0]

    assert endpoint[:2] == ("endpoint", "problem")
    assert endpoint[2].startswith(
        f"Plandisc's SCIM endpoint at {https_plandisc} could not be reached: [SSL: CERTIFICATE_VERIFY_FAILED]"
    )


# The credential.


def test_a_scim_token_that_was_not_replaced_does_not_expire(admin_session, enterprise):
    scim_token_rotate(enterprise=enterprise)

    assert check(admin_session, enterprise)[1] == (
        "credential",
        "ok",
        "A live credential lets Entra in, and it does not expire.",
        "",
    )


def test_a_client_secret_says_until_when(admin_session, enterprise):
    secret, _ = client_secret_create(enterprise=enterprise, years=1)

    assert check(admin_session, enterprise)[1] == (
        "credential",
        "ok",
        f"A live credential lets Entra in until {date(secret.expires_at)}.",
        "",
    )


def signed_in(user) -> Client:
    """A new session: one signed in before a trip of months in time has expired by then."""
    client = Client()
    client.force_login(user)
    return client


def test_the_last_credential_expiring_within_30_days_is_a_warning_with_its_date(enterprise, admin_user):
    secret, _ = client_secret_create(enterprise=enterprise, years=1)

    with time_machine.travel(secret.expires_at - timedelta(days=29)):
        line = check(signed_in(admin_user), enterprise)[1]

    assert line == (
        "credential",
        "warning",
        f"Your last live credential expires on {date(secret.expires_at)}: provisioning stops then.",
        "Create a new client secret or SCIM token and paste it into Entra before then. Go there",
    )


def test_an_expired_client_secret_is_no_credential(enterprise, admin_user):
    secret, _ = client_secret_create(enterprise=enterprise, years=1)

    with time_machine.travel(secret.expires_at + timedelta(minutes=1)):
        assert check(signed_in(admin_user), enterprise)[1] == NO_CREDENTIAL


def test_federation_is_a_credential_that_does_not_expire(admin_session, enterprise, trust):  # noqa: F811
    client_secret_create(enterprise=enterprise, years=1)

    assert check(admin_session, enterprise)[1] == (
        "credential",
        "ok",
        "A live credential lets Entra in, and it does not expire.",
        "",
    )


# Entra's calls.


def test_entra_calling_successfully_is_ok(admin_session, enterprise, scim):
    ProvisioningEventFactory(enterprise=enterprise, created_at=timezone.now() - timedelta(minutes=5))

    assert check(admin_session, enterprise)[2] == (
        "entra",
        "ok",
        "Entra last called 5 minutes ago, and its requests of the last 24 hours succeeded.",
        "",
    )


def test_failed_requests_in_the_last_day_are_counted(admin_session, enterprise, scim):
    now = timezone.now()
    ProvisioningEventFactory(enterprise=enterprise, created_at=now - timedelta(hours=2))
    ProvisioningEventFactory(enterprise=enterprise, created_at=now - timedelta(hours=1), status=409)
    ProvisioningEventFactory(enterprise=enterprise, created_at=now - timedelta(days=3), status=500)

    assert check(admin_session, enterprise)[2] == (
        "entra",
        "warning",
        "Entra last called 1 hour ago; 1 of its 2 requests in the last 24 hours failed.",
        "See the errors in the activity below, and Entra's provisioning logs. Go there",
    )

    ProvisioningEventFactory(enterprise=enterprise, created_at=now - timedelta(minutes=30), status=500)
    assert check(admin_session, enterprise)[2][1:3] == (
        "problem",
        "Entra last called 30 minutes ago; 2 of its 3 requests in the last 24 hours failed.",
    )


def test_no_call_in_a_day_while_provisioning_is_on_is_a_warning(admin_session, enterprise, scim):
    ProvisioningEventFactory(enterprise=enterprise, created_at=timezone.now() - timedelta(days=2, hours=1))

    assert check(admin_session, enterprise)[2] == (
        "entra",
        "warning",
        "Entra last called 2 days ago, though provisioning is on: Entra calls every 40 minutes when "
        "provisioning runs.",
        "In Entra, check that provisioning is started and not in quarantine. Go there",
    )


def test_provisioning_off_is_a_warning(admin_session, enterprise, scim):
    enterprise.scim_enabled = False
    enterprise.save(update_fields=["scim_enabled"])

    assert check(admin_session, enterprise)[2] == (
        "entra",
        "warning",
        "Provisioning is off: Plandisc refuses Entra's requests.",
        "Turn provisioning on when you want Entra to manage your members. Go there",
    )


# Single sign-on's metadata.


@pytest.fixture
def entra_key(tmp_path):
    return make_signing_key(tmp_path / "entra", days=400)


def test_valid_metadata_says_when_its_certificate_expires(admin_session, enterprise, entra_key):
    connection = connect(enterprise, Entra(CONTOSO_TENANT, entra_key), None)

    assert check(admin_session, enterprise)[3] == (
        "saml",
        "ok",
        "The single sign-on metadata is valid; its certificate expires on "
        f"{date(connection.certificate_expires_at)}.",
        "",
    )


def test_a_certificate_expiring_soon_is_a_warning(admin_session, enterprise, tmp_path):
    connection = connect(enterprise, Entra(CONTOSO_TENANT, make_signing_key(tmp_path, days=12)), None)

    assert check(admin_session, enterprise)[3] == (
        "saml",
        "warning",
        f"The signing certificate expires on {date(connection.certificate_expires_at)}: single sign-on stops "
        "then.",
        NEW_CERTIFICATE,
    )


def test_an_expired_certificate_is_a_problem(admin_session, enterprise, tmp_path):
    connection = connect(enterprise, Entra(CONTOSO_TENANT, make_signing_key(tmp_path, days=12)), None)

    with time_machine.travel(connection.certificate_expires_at + timedelta(days=1)):
        line = check(admin_session, enterprise)[3]

    assert line == (
        "saml",
        "problem",
        f"The signing certificate expired on {date(connection.certificate_expires_at)}: nobody can sign in "
        "with single sign-on.",
        NEW_CERTIFICATE,
    )


def test_metadata_that_no_longer_reads_is_a_problem(admin_session, enterprise, entra_key):
    entra = Entra(CONTOSO_TENANT, entra_key)
    connect(enterprise, entra, None)
    broken = entra.metadata().replace(entra_key.certificate, "bm90IGEgY2VydGlmaWNhdGU=")
    SsoConnection.objects.filter(enterprise=enterprise).update(idp_metadata=broken)

    assert check(admin_session, enterprise)[3] == (
        "saml",
        "problem",
        "The single sign-on metadata cannot be used: A signing certificate in the metadata cannot be read.",
        "Upload the current Federation Metadata XML from Entra. Go there",
    )


# Email domains.


@pytest.fixture
def contoso(admin_session, enterprise, entra_key) -> SsoDomain:
    """contoso.example, claimed and verified by DNS."""
    connection = connect(enterprise, Entra(CONTOSO_TENANT, entra_key), CONTOSO)
    return connection.domains.get()


def _routed(email: str) -> bool:
    return Client().post(reverse("sso:discover"), {"email": email}).status_code == HTTPStatus.FOUND


def test_a_domain_that_publishes_its_record_is_ok(admin_session, enterprise, contoso, dns):  # noqa: F811
    dns.txt[CONTOSO] = ["v=spf1 -all", contoso.txt_record]

    assert check(admin_session, enterprise)[4:] == [
        ("domain", "ok", f"{CONTOSO} publishes its TXT record and routes sign-ins.", "")
    ]


def test_a_domain_whose_record_is_gone_still_routes_until_re_verified(
    admin_session,
    admin_user,
    enterprise,
    contoso,
    dns,  # noqa: F811
):
    dns.txt[CONTOSO] = ["v=spf1 -all"]

    assert check(admin_session, enterprise)[4:] == [
        (
            "domain",
            "problem",
            f"{CONTOSO} no longer publishes its TXT record, but still routes sign-ins to your identity "
            "provider.",
            "Re-verify or remove it. Re-verifying without the record stops the domain routing. Re-verify "
            "Go there",
        )
    ]
    assert _routed(f"ada@{CONTOSO}")

    page = admin_session.get(reverse("enterprise:detail", args=[enterprise.slug])).content.decode()
    assert 'class="check ' not in page
    response = admin_session.post(reverse("sso:domain-verify", args=[enterprise.slug, contoso.pk]))

    assert response.status_code == HTTPStatus.FOUND
    contoso.refresh_from_db()
    assert contoso.verified_at is None
    assert not _routed(f"ada@{CONTOSO}")
    event = enterprise.audit_events.get(action=AuditEvent.Action.DOMAIN_UNVERIFIED)
    assert (event.actor, event.detail) == (admin_user, CONTOSO)
    shown = html.unescape(admin_session.get(response.url).content.decode())
    assert (
        f"Plandisc did not find the TXT record on {CONTOSO}, so it is no longer verified: people with an "
        "address at it no longer go to your identity provider. Publish the record and verify it again."
    ) in shown
    assert check(admin_session, enterprise)[4:] == [
        (
            "domain",
            "warning",
            f"{CONTOSO} is not verified: it leads nobody to your identity provider.",
            "Publish its TXT record at your DNS provider, then verify it. Go there",
        )
    ]


def test_re_verifying_a_domain_that_still_publishes_its_record_keeps_it(
    admin_session,
    enterprise,
    contoso,
    dns,  # noqa: F811
):
    dns.txt[CONTOSO] = [contoso.txt_record]
    verified_at = contoso.verified_at

    response = admin_session.post(reverse("sso:domain-verify", args=[enterprise.slug, contoso.pk]))

    assert response.status_code == HTTPStatus.FOUND
    contoso.refresh_from_db()
    assert contoso.verified_at == verified_at
    assert _routed(f"ada@{CONTOSO}")
    assert not enterprise.audit_events.filter(action=AuditEvent.Action.DOMAIN_UNVERIFIED).exists()


def test_dns_that_does_not_answer_changes_nothing(admin_session, enterprise, contoso, settings):
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    settings.SSO_DNS_NAMESERVERS = ["127.0.0.1"]
    settings.SSO_DNS_PORT = silent.getsockname()[1]
    settings.SSO_DNS_TIMEOUT_SECONDS = 0.5

    line = check(admin_session, enterprise)[4]
    admin_session.post(reverse("sso:domain-verify", args=[enterprise.slug, contoso.pk]))

    silent.close()
    assert line == (
        "domain",
        "warning",
        f"DNS did not answer when Plandisc looked up {CONTOSO}.",
        "Check again in a few minutes. Go there",
    )
    contoso.refresh_from_db()
    assert contoso.verified_at is not None


# The JSON API.


def test_the_api_answers_the_same_lines(admin_session, enterprise, nobody_listens):
    response = admin_session.get(reverse("enterprise:api-setup-check", args=[enterprise.slug]))

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "lines": [
            {
                "check": "endpoint",
                "status": "problem",
                "text": unreachable(nobody_listens)[2],
                "todo": SUPPORT,
                "anchor": "",
                "domain_id": None,
            },
            {
                "check": "credential",
                "status": "problem",
                "text": NO_CREDENTIAL[2],
                "todo": NO_CREDENTIAL[3].removesuffix(" Go there"),
                "anchor": "scim-auth",
                "domain_id": None,
            },
            {
                "check": "entra",
                "status": "problem",
                "text": NEVER_CALLED[2],
                "todo": NEVER_CALLED[3].removesuffix(" Go there"),
                "anchor": "scim-endpoint-section",
                "domain_id": None,
            },
            {"check": "saml", "status": "ok", "text": NO_SSO[2], "todo": "", "anchor": "", "domain_id": None},
        ]
    }

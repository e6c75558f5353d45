"""
Work email domains: an admin adds one, publishes the TXT record Plandisc shows, and only once Plandisc finds
the record does the sign-in page send that domain's people to the enterprise's identity provider. The lookup
goes through dnspython to a DNS server started here on loopback.
"""

import socket
import threading
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from dnslib import QTYPE, RR, TXT
from dnslib.server import BaseResolver, DNSServer

from enterprise.activity.models import AuditEvent
from enterprise.sso import services as sso_services
from enterprise.sso.models import SsoDomain
from tests.parallel import in_parallel
from tests.sso.conftest import connect

CONTOSO = "contoso.example"


class Zone(BaseResolver):
    """Answers TXT queries from a dict of name → TXT strings; every other name does not exist."""

    def __init__(self):
        self.txt: dict[str, list[str]] = {}

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        if name not in self.txt:
            reply.header.rcode = 3  # NXDOMAIN
        elif request.q.qtype == QTYPE.TXT:
            for text in self.txt[name]:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(text), ttl=60))
        return reply


@pytest.fixture
def sso(enterprise, entra):
    """Contoso's single sign-on, with no email domain yet."""
    return connect(enterprise, entra, None)


@pytest.fixture
def dns(settings):
    zone = Zone()
    server = DNSServer(zone, address="127.0.0.1", port=0)
    server.server.daemon_threads = True
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    settings.SSO_DNS_NAMESERVERS = ["127.0.0.1"]
    settings.SSO_DNS_PORT = server.server.server_address[1]
    yield zone
    server.server.shutdown()
    server.server.server_close()


def add(client: Client, enterprise, domain: str):
    return client.post(reverse("sso:domain-add", args=[enterprise.slug]), {"domain": domain})


def verify(client: Client, domain: SsoDomain):
    return client.post(reverse("sso:domain-verify", args=[domain.connection.enterprise.slug, domain.pk]))


def discover(email: str):
    return Client().post(reverse("sso:discover"), {"email": email})


def routed(email: str) -> bool:
    return discover(email).status_code == HTTPStatus.FOUND


def page(client: Client, enterprise) -> str:
    return client.get(reverse("enterprise:detail", args=[enterprise.slug])).content.decode()


@pytest.fixture
def fabrikam_admin(other_enterprise, other_sso):
    client = Client()
    client.force_login(other_enterprise.admins.get())
    return client


def test_an_added_domain_shows_the_txt_record_to_publish_and_routes_nobody(admin_session, enterprise, sso):
    response = add(admin_session, enterprise, "@Contoso.Example")

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("enterprise:detail", args=[enterprise.slug]) + "#sso-domains"
    domain = SsoDomain.objects.get(connection=sso)
    assert (domain.domain, domain.verified_at) == (CONTOSO, None)
    assert len(domain.token) >= 32
    html = page(admin_session, enterprise)
    assert f"plandisc-verification={domain.token}" in html
    assert "Not verified" in html
    assert not routed(f"ada@{CONTOSO}")


def test_verify_finds_the_txt_record_and_then_the_domain_routes(
    admin_session, admin_user, enterprise, sso, dns
):
    add(admin_session, enterprise, CONTOSO)
    domain = SsoDomain.objects.get(domain=CONTOSO)
    dns.txt[CONTOSO] = ["v=spf1 -all", f"plandisc-verification={domain.token}"]

    response = verify(admin_session, domain)

    assert response.status_code == HTTPStatus.FOUND
    domain.refresh_from_db()
    assert domain.verified_at is not None
    event = enterprise.audit_events.get(action=AuditEvent.Action.DOMAIN_VERIFIED)
    assert (event.actor, event.detail) == (admin_user, CONTOSO)
    redirect = discover(f"Ada@{CONTOSO.upper()}")
    assert redirect.status_code == HTTPStatus.FOUND
    assert redirect.url == reverse("sso:login", args=[enterprise.public_id])


@pytest.mark.parametrize(
    "records",
    [None, [], ["plandisc-verification=someone-elses-token"]],
    ids=["no such name", "no TXT record", "another token"],
)
def test_verify_without_the_record_keeps_the_domain_unverified(admin_session, enterprise, sso, dns, records):
    add(admin_session, enterprise, CONTOSO)
    if records is not None:
        dns.txt[CONTOSO] = records

    response = verify(admin_session, SsoDomain.objects.get(domain=CONTOSO))

    assert response.status_code == HTTPStatus.FOUND
    assert SsoDomain.objects.get(domain=CONTOSO).verified_at is None
    html = admin_session.get(response.url).content.decode()
    assert f"Plandisc did not find the TXT record on {CONTOSO}" in html
    assert not routed(f"ada@{CONTOSO}")


def test_a_dns_server_that_does_not_answer_is_reported_not_raised(admin_session, enterprise, sso, settings):
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    settings.SSO_DNS_NAMESERVERS = ["127.0.0.1"]
    settings.SSO_DNS_PORT = silent.getsockname()[1]
    settings.SSO_DNS_TIMEOUT_SECONDS = 0.5
    add(admin_session, enterprise, CONTOSO)

    response = verify(admin_session, SsoDomain.objects.get(domain=CONTOSO))

    silent.close()
    assert response.status_code == HTTPStatus.FOUND
    assert "DNS did not answer" in admin_session.get(response.url).content.decode()
    assert SsoDomain.objects.get(domain=CONTOSO).verified_at is None


def test_a_domain_claimed_first_by_another_enterprise_still_goes_to_its_owner(
    admin_session, enterprise, sso, fabrikam_admin, other_enterprise, dns
):
    add(fabrikam_admin, other_enterprise, CONTOSO)
    assert not routed(f"ceo@{CONTOSO}")

    add(admin_session, enterprise, CONTOSO)
    ours = SsoDomain.objects.get(connection=sso)
    dns.txt[CONTOSO] = [f"plandisc-verification={ours.token}"]
    verify(admin_session, ours)
    theirs = SsoDomain.objects.get(connection__enterprise=other_enterprise, domain=CONTOSO)
    verify(fabrikam_admin, theirs)

    theirs.refresh_from_db()
    assert theirs.verified_at is None
    assert discover(f"ceo@{CONTOSO}").url == reverse("sso:login", args=[enterprise.public_id])


def test_a_verified_domain_cannot_be_claimed_by_another_enterprise(
    admin_session, enterprise, sso, fabrikam_admin, other_enterprise, dns
):
    add(admin_session, enterprise, CONTOSO)
    dns.txt[CONTOSO] = [f"plandisc-verification={SsoDomain.objects.get(domain=CONTOSO).token}"]
    verify(admin_session, SsoDomain.objects.get(domain=CONTOSO))

    response = add(fabrikam_admin, other_enterprise, CONTOSO)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert f"Another enterprise has verified {CONTOSO}" in response.content.decode()
    assert not SsoDomain.objects.filter(connection__enterprise=other_enterprise, domain=CONTOSO).exists()


def test_a_malformed_domain_is_refused(admin_session, enterprise, sso):
    response = add(admin_session, enterprise, "contoso")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Not a domain: contoso" in response.content.decode()
    assert not SsoDomain.objects.exists()


def test_removing_a_domain_stops_routing_it(admin_session, enterprise, sso, dns):
    add(admin_session, enterprise, CONTOSO)
    domain = SsoDomain.objects.get(domain=CONTOSO)
    dns.txt[CONTOSO] = [f"plandisc-verification={domain.token}"]
    verify(admin_session, domain)

    response = admin_session.post(reverse("sso:domain-remove", args=[enterprise.slug, domain.pk]))

    assert response.status_code == HTTPStatus.FOUND
    assert not SsoDomain.objects.exists()
    assert not routed(f"ada@{CONTOSO}")
    assert enterprise.audit_events.filter(action=AuditEvent.Action.DOMAIN_REMOVED).exists()


def test_only_the_enterprises_admins_manage_its_domains(enterprise, sso, fabrikam_admin, admin_session):
    assert add(fabrikam_admin, enterprise, CONTOSO).status_code == HTTPStatus.FORBIDDEN
    add(admin_session, enterprise, CONTOSO)
    domain = SsoDomain.objects.get(domain=CONTOSO)
    assert verify(fabrikam_admin, domain).status_code == HTTPStatus.FORBIDDEN
    other_slug_url = reverse("sso:domain-remove", args=["fabrikam", domain.pk])
    assert fabrikam_admin.post(other_slug_url).status_code == HTTPStatus.NOT_FOUND
    assert SsoDomain.objects.exists()


@pytest.fixture
def support(django_user_model) -> Client:
    client = Client()
    client.force_login(
        django_user_model.objects.create_superuser("support@plandisc.example", password="x" * 12)
    )
    return client


def test_support_verifies_a_domain_in_the_django_admin(admin_session, enterprise, sso, support):
    add(admin_session, enterprise, CONTOSO)
    domain = SsoDomain.objects.get(domain=CONTOSO)
    listing = support.get(reverse("admin:sso_ssodomain_changelist"))
    assert listing.status_code == HTTPStatus.OK
    assert CONTOSO in listing.content.decode()

    response = support.post(
        reverse("admin:sso_ssodomain_changelist"),
        {"action": "verify", "_selected_action": [domain.pk]},
    )

    assert response.status_code == HTTPStatus.FOUND
    domain.refresh_from_db()
    assert domain.verified_at is not None
    event = enterprise.audit_events.get(action=AuditEvent.Action.DOMAIN_VERIFIED)
    assert event.actor.username == "support@plandisc.example"
    assert routed(f"ada@{CONTOSO}")


def test_support_reclaims_a_domain_in_the_django_admin(admin_session, enterprise, sso, support, dns):
    add(admin_session, enterprise, CONTOSO)
    domain = SsoDomain.objects.get(domain=CONTOSO)
    dns.txt[CONTOSO] = [f"plandisc-verification={domain.token}"]
    verify(admin_session, domain)

    response = support.post(
        reverse("admin:sso_ssodomain_changelist"),
        {"action": "reclaim", "_selected_action": [domain.pk]},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert not SsoDomain.objects.exists()
    event = enterprise.audit_events.get(action=AuditEvent.Action.DOMAIN_RECLAIMED)
    assert (event.actor.username, event.detail) == ("support@plandisc.example", CONTOSO)
    assert not routed(f"ada@{CONTOSO}")


@pytest.mark.django_db(transaction=True)
def test_two_enterprises_verifying_one_domain_at_once_leaves_it_with_one(sso, other_sso):
    claims = [
        sso_services.sso_domain_add(connection=connection, domain="shared.example", actor=None)
        for connection in (sso, other_sso)
    ]

    def verify_claim(index: int) -> bool:
        try:
            sso_services.sso_domain_mark_verified(domain=claims[index], actor=None)
        except ValidationError:
            return False
        return True

    assert sorted(in_parallel(verify_claim, 2)) == [False, True]
    assert SsoDomain.objects.filter(domain="shared.example", verified_at__isnull=False).count() == 1

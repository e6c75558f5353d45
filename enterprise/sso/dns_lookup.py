"""TXT records of an email domain, looked up with dnspython through the resolver the settings name."""

import dns.exception
import dns.resolver
from django.conf import settings


class LookupFailed(Exception):
    """DNS did not answer (timeout, no reachable name server, a server failure)."""


def txt_records(name: str) -> list[str]:
    """
    The TXT records of `name`, each one's strings joined; [] when the name or its TXT records do not exist.
    SSO_DNS_NAMESERVERS (the system's resolvers when empty), SSO_DNS_PORT and SSO_DNS_TIMEOUT_SECONDS, the
    time the whole lookup may take, choose the resolver.
    """
    nameservers = settings.SSO_DNS_NAMESERVERS
    resolver = dns.resolver.Resolver(configure=not nameservers)
    if nameservers:
        resolver.nameservers = list(nameservers)
    resolver.port = settings.SSO_DNS_PORT
    resolver.lifetime = settings.SSO_DNS_TIMEOUT_SECONDS
    try:
        answer = resolver.resolve(name, "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise LookupFailed(str(exc)) from exc
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]

"""
"Check my setup": what Plandisc can check from its side of an enterprise's connection, one line per thing,
each green (ok), amber (warning) or red (problem), in words, with what to do and where on the Enterprise page.

1. endpoint: Plandisc's SCIM service answers over https at PLANDISC_BASE_URL (a real request, short timeout);
2. credential: a live SCIM token, client secret or federation trust exists, and when the last one expires;
3. Entra: when the identity provider last called, and whether its requests of the last day failed;
4. single sign-on: the stored identity provider metadata still reads, and its signing certificate's expiry;
5. email domains: each claimed domain still publishes its TXT record, looked up now.

Nothing here writes; the page's re-verify button (enterprise.sso.services.sso_domain_verify) is what acts
on a domain whose record is gone. The outside calls (HTTP, DNS) run outside any transaction.
"""

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import formats, timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enterprise.activity.selectors import kept_activity
from enterprise.credentials.models import ClientSecret, FederationTrust
from enterprise.models import Enterprise
from enterprise.selectors import HEALTH_WINDOW
from enterprise.sso import dns_lookup, saml
from enterprise.sso.models import SsoConnection, SsoDomain

OK, WARNING, PROBLEM = "ok", "warning", "problem"
ENDPOINT_TIMEOUT_SECONDS = 5
EXPIRY_WARNING = timedelta(days=30)
SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass(frozen=True)
class Line:
    """One checked thing: `status` ok, warning or problem; `text` what was found and `todo` what to do, in
    words; `anchor` the Enterprise page section the todo points at ("" for none); `domain_id` the email domain
    a re-verify button acts on."""

    check: str
    status: str
    text: str
    todo: str = ""
    anchor: str = ""
    domain_id: int | None = None


def setup_check(enterprise: Enterprise, now: datetime) -> list[Line]:
    connection = SsoConnection.objects.filter(enterprise=enterprise).first()
    lines = [endpoint_line(), credential_line(enterprise, now), entra_line(enterprise, now)]
    lines.append(saml_line(connection, now))
    if connection is not None:
        lines.extend(domain_line(domain) for domain in connection.domains.all())
    return lines


def _date(moment: datetime) -> str:
    """The day, in the viewer's time zone and language: "4 December 2026"."""
    return formats.date_format(timezone.localtime(moment), "j F Y")


def _ago(moment: datetime, now: datetime) -> str:
    if now - moment < timedelta(minutes=1):
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(moment, now, depth=1)}


def _scim_answer(url: str) -> str:
    """What answered at `url`, as a reason it is not Plandisc's SCIM service; "" when it is. Plandisc's SCIM
    service answers a request without a credential with 401 and a SCIM error body (which names no
    enterprise, so the check records no activity and spends no refused-request budget)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers={"Accept": "application/scim+json"})
    try:
        with opener.open(request, timeout=ENDPOINT_TIMEOUT_SECONDS) as response:
            status, body = response.status, response.read(65536)
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read(65536)
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    schemas = document.get("schemas") if isinstance(document, dict) else None
    if status == 401 and isinstance(schemas, list) and SCIM_ERROR_SCHEMA in schemas:
        return ""
    return _("it answered with HTTP status %(status)s, which is not Plandisc's SCIM service") % {
        "status": status
    }


def endpoint_line() -> Line:
    base = settings.PLANDISC_BASE_URL
    url = f"{base}/scim/v2/ServiceProviderConfig"
    support = _("Ask Plandisc support: the address is Plandisc's own setting.")
    try:
        wrong = _scim_answer(url)
    except http.client.HTTPException:
        wrong = _("what answered does not speak HTTP")
    # Refused, timed out, a certificate not trusted (URLError is an OSError), or no URL at all (ValueError).
    except (OSError, ValueError) as exc:
        return Line(
            "endpoint",
            PROBLEM,
            _("Plandisc's SCIM endpoint at %(base)s could not be reached: %(reason)s.")
            % {"base": base, "reason": getattr(exc, "reason", exc)},
            support,
        )
    if wrong:
        return Line(
            "endpoint",
            PROBLEM,
            _("The address %(base)s does not lead to Plandisc's SCIM endpoint: %(wrong)s.")
            % {"base": base, "wrong": wrong},
            support,
        )
    if urlsplit(base).scheme != "https":
        return Line(
            "endpoint",
            PROBLEM,
            _("Plandisc's SCIM endpoint answers at %(base)s, but over http: Entra requires https.")
            % {"base": base},
            support,
        )
    return Line(
        "endpoint", OK, _("Plandisc's SCIM endpoint answers over https at %(base)s.") % {"base": base}
    )


def credential_line(enterprise: Enterprise, now: datetime) -> Line:
    """Red without a live way in; amber when every live one ends within EXPIRY_WARNING (with the date of the
    last to end). A SCIM token without an end (not replaced) and a federation trust do not expire."""
    tokens = list(enterprise.scim_tokens.live(now))
    secrets = list(ClientSecret.objects.live(now).filter(client__enterprise=enterprise))
    trusts = FederationTrust.objects.live().filter(client__enterprise=enterprise)
    if not tokens and not secrets and not trusts.exists():
        return Line(
            "credential",
            PROBLEM,
            _("There is no live credential: Entra's requests are refused."),
            _("Generate a SCIM token, create a client secret or set up federation, and paste it into Entra."),
            "scim-auth",
        )
    if any(token.expires_at is None for token in tokens) or trusts.exists():
        return Line("credential", OK, _("A live credential lets Entra in, and it does not expire."))
    last = max(credential.expires_at for credential in [*tokens, *secrets])
    if last - now < EXPIRY_WARNING:
        return Line(
            "credential",
            WARNING,
            _("Your last live credential expires on %(date)s: provisioning stops then.")
            % {"date": _date(last)},
            _("Create a new client secret or SCIM token and paste it into Entra before then."),
            "scim-auth",
        )
    return Line(
        "credential", OK, _("A live credential lets Entra in until %(date)s.") % {"date": _date(last)}
    )


def entra_line(enterprise: Enterprise, now: datetime) -> Line:
    if not enterprise.scim_enabled:
        return Line(
            "entra",
            WARNING,
            _("Provisioning is off: Plandisc refuses Entra's requests."),
            _("Turn provisioning on when you want Entra to manage your members."),
            "provisioning",
        )
    events = kept_activity(enterprise, now)
    last = events.first()
    if last is None:
        return Line(
            "entra",
            PROBLEM,
            _("Entra has not called Plandisc yet."),
            _(
                "In Entra, paste the SCIM endpoint and a credential, select Test Connection, then start "
                "provisioning."
            ),
            "scim-endpoint-section",
        )
    recent = events.filter(created_at__gte=now - HEALTH_WINDOW)
    failed = recent.filter(status__gte=400).count()
    if failed:
        total = recent.count()
        return Line(
            "entra",
            PROBLEM if recent.filter(status__gte=500).exists() or failed == total else WARNING,
            ngettext(
                "Entra last called %(ago)s; %(failed)s of its %(total)s request in the last 24 hours failed.",
                "Entra last called %(ago)s; %(failed)s of its %(total)s requests in the last 24 hours "
                "failed.",
                total,
            )
            % {"ago": _ago(last.created_at, now), "failed": failed, "total": total},
            _("See the errors in the activity below, and Entra's provisioning logs."),
            "activity",
        )
    if last.created_at < now - HEALTH_WINDOW:
        return Line(
            "entra",
            WARNING,
            _(
                "Entra last called %(ago)s, though provisioning is on: Entra calls every 40 minutes when "
                "provisioning runs."
            )
            % {"ago": _ago(last.created_at, now)},
            _("In Entra, check that provisioning is started and not in quarantine."),
            "activity",
        )
    return Line(
        "entra",
        OK,
        _("Entra last called %(ago)s, and its requests of the last 24 hours succeeded.")
        % {"ago": _ago(last.created_at, now)},
    )


def _new_certificate() -> str:
    return _("In Entra, make a new SAML signing certificate active, then upload its Federation Metadata XML.")


def saml_line(connection: SsoConnection | None, now: datetime) -> Line:
    if connection is None:
        return Line("saml", OK, _("Single sign-on is not set up: there is nothing to check."))
    try:
        idp = saml.read_idp_metadata(connection.idp_metadata)
    except ValueError as exc:
        return Line(
            "saml",
            PROBLEM,
            _("The single sign-on metadata cannot be used: %(reason)s") % {"reason": exc},
            _("Upload the current Federation Metadata XML from Entra."),
            "sso",
        )
    expires_at = max(certificate.expires_at for certificate in idp.certificates)
    values = {"date": _date(expires_at)}
    if expires_at <= now:
        return Line(
            "saml",
            PROBLEM,
            _("The signing certificate expired on %(date)s: nobody can sign in with single sign-on.")
            % values,
            _new_certificate(),
            "sso",
        )
    if expires_at - now < EXPIRY_WARNING:
        return Line(
            "saml",
            WARNING,
            _("The signing certificate expires on %(date)s: single sign-on stops then.") % values,
            _new_certificate(),
            "sso",
        )
    return Line(
        "saml", OK, _("The single sign-on metadata is valid; its certificate expires on %(date)s.") % values
    )


def domain_line(domain: SsoDomain) -> Line:
    """A verified domain whose TXT record is gone still routes sign-ins until it is re-verified or removed."""
    values = {"domain": domain.domain}
    try:
        found = domain.txt_record in dns_lookup.txt_records(domain.domain)
    except dns_lookup.LookupFailed:
        return Line(
            "domain",
            WARNING,
            _("DNS did not answer when Plandisc looked up %(domain)s.") % values,
            _("Check again in a few minutes."),
            "sso-domains",
        )
    if domain.verified_at is None:
        return Line(
            "domain",
            WARNING,
            _("%(domain)s is not verified: it leads nobody to your identity provider.") % values,
            _("Publish its TXT record at your DNS provider, then verify it.")
            if not found
            else _("Its TXT record is published: verify it."),
            "sso-domains",
        )
    if not found:
        return Line(
            "domain",
            PROBLEM,
            _(
                "%(domain)s no longer publishes its TXT record, but still routes sign-ins to your identity "
                "provider."
            )
            % values,
            _("Re-verify or remove it. Re-verifying without the record stops the domain routing."),
            "sso-domains",
            domain.pk,
        )
    return Line("domain", OK, _("%(domain)s publishes its TXT record and routes sign-ins.") % values)

"""
The kinds of alert, as a registry: each is a name, its words, where on the page it belongs, and `find`, which
looks at an enterprise now and returns a Finding (the condition holds, in words) or None. Adding a kind is
one more Kind in KINDS; services.py opens, emails and resolves episodes the same way for every kind.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus

from django.conf import settings
from django.db.models import Count, Max, Min
from django.utils.timesince import timesince

from enterprise.activity.models import ProvisioningEvent
from enterprise.activity.selectors import NORMAL_ANSWERS
from enterprise.credentials.federation import keys_unreachable
from enterprise.credentials.models import ClientSecret, FederationTrust, ScimToken
from enterprise.credentials.selectors import has_live_credential
from enterprise.models import Enterprise
from enterprise.roles.selectors import seats
from enterprise.sso.models import SsoConnection

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Finding:
    """A kind's condition holding now, in plain words: a headline, details, and what to do."""

    headline: str
    lines: list[str]
    advice: str
    # What this episode is about; a key not emailed before is news (services.py).
    keys: frozenset[str]
    since: datetime | None = None


@dataclass(frozen=True)
class Kind:
    name: str  # stored in Alert.kind and AlertOptOut.kind
    title: str  # "Provisioning silent"
    # What the page shows the admin who chooses which alerts to get.
    description: str
    url_name: str  # the page the email links to ("enterprise:detail" or "enterprise:members")
    section: str  # its section's anchor
    cleared: str  # the resolved email's sentence
    find: Callable[[Enterprise, datetime], Finding | None] = field(repr=False)


def _ago(moment: datetime, now: datetime) -> str:
    return timesince(moment, now, depth=2).replace("\xa0", " ")


def _at(moment: datetime) -> str:
    return f"{moment:%d %b %Y, %H:%M} UTC"


# 1. Provisioning silent


def provisioning_silent(enterprise: Enterprise, now: datetime) -> Finding | None:
    """Switched on, called before, and no request for longer than ALERT_SILENT_AFTER_MINUTES."""
    if not enterprise.scim_enabled:
        return None
    last = enterprise.provisioning_events.order_by("-created_at").values_list("created_at", flat=True).first()
    allowed = timedelta(minutes=settings.ALERT_SILENT_AFTER_MINUTES)
    if last is None or now - last <= allowed:
        return None
    return Finding(
        headline=f"Provisioning has been silent for {_ago(last, now)}",
        lines=[
            f"Your identity provider last called Plandisc on {_at(last)}, {_ago(last, now)} ago.",
            "Microsoft Entra ID calls about every 40 minutes while provisioning runs; Plandisc tells you "
            f"when it has heard nothing for {_ago(now - allowed, now)}.",
        ],
        advice=(
            "In the Microsoft Entra admin center, open the Plandisc application and its Provisioning page. "
            "Check that provisioning is running (not stopped, and not in quarantine) and read the "
            "provisioning logs. Changes made in Entra meanwhile do not reach Plandisc."
        ),
        keys=frozenset({"silent"}),
    )


# 2. Failures rising

FAILURE_SHARE, FAILURE_MINIMUM = 0.2, 10

ADVICE_BY_STATUS = {
    401: "Plandisc does not accept the credential Entra sends. Compare Entra's Admin Credentials with the "
    "Enterprise page: a revoked or rotated SCIM token, or an expired client secret, is refused.",
    403: "Provisioning is turned off in Plandisc, so every request is refused. Turn it on on the Enterprise "
    "page, or stop provisioning in Entra.",
    404: "Entra asks for people or groups Plandisc does not know. Restarting provisioning in Entra makes it "
    "match everyone again.",
    409: "Entra tries to create someone whose userName another member has. Check the attribute mappings "
    "and the matching attribute in Entra.",
    429: "Entra sends more requests than Plandisc's limit; it retries them later by itself.",
}
ADVICE_CLIENT = "Plandisc refuses what Entra sends. Check the attribute mappings of the Plandisc application."
ADVICE_SERVER = "Plandisc could not answer; Entra retries later. If this goes on, contact Plandisc support."


def _reason(status: int, detail: str) -> str:
    try:
        phrase = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        phrase = f"HTTP {status}"
    return f"{phrase}: {detail}" if detail else phrase


def failures_rising(enterprise: Enterprise, now: datetime) -> Finding | None:
    """At least FAILURE_SHARE of the last hour's requests failed, and at least FAILURE_MINIMUM of them."""
    hour = enterprise.provisioning_events.filter(created_at__gt=now - HOUR, created_at__lte=now)
    # Answers that are part of a normal cycle (a lookup of someone deleted, a create Entra resolves by
    # matching) never count, as on the health line.
    failed = hour.filter(status__gte=400).exclude(NORMAL_ANSWERS)
    failures = failed.count()
    if failures < FAILURE_MINIMUM:
        return None
    total = hour.count()
    if failures < FAILURE_SHARE * total:
        return None
    top = failed.values("status", "detail").annotate(n=Count("pk")).order_by("-n", "status")[:3]
    lines = [f"{row['n']} × {_reason(row['status'], row['detail'])}" for row in top]
    advice = []
    for row in top:
        status = row["status"]
        text = ADVICE_BY_STATUS.get(status) or (ADVICE_SERVER if status >= 500 else ADVICE_CLIENT)
        if text not in advice:
            advice.append(text)
    advice.append(
        "Entra puts an application in quarantine (and then calls only once a day) when most of its requests "
        "fail: fix the cause soon. The activity on the Enterprise page shows every failed request."
    )
    share = round(100 * failures / total)
    return Finding(
        headline=f"{failures} of the last hour's {total} SCIM requests failed ({share} %)",
        lines=["The most frequent reasons:", *lines],
        advice=" ".join(advice),
        keys=frozenset({"failures"}),
    )


# 3. Credential expiring or gone

SECRET_STAGES = (1, 7, 30)  # days before the last live client secret expires
CERTIFICATE_STAGES = (7, 30)  # days before the SAML signing certificate expires


def _stage(left: timedelta, stages: tuple[int, ...]) -> int | None:
    return next((days for days in stages if left <= timedelta(days=days)), None)


def credential_expiring(enterprise: Enterprise, now: datetime) -> Finding | None:
    """The last live client secret within 30, 7 or 1 days of expiring; the SAML signing certificate within 30
    or 7 days; no live credential left; a federation trust whose keys cannot be fetched."""
    found: list[tuple[str, str]] = []  # (key, line)
    secrets = list(ClientSecret.objects.live(now).filter(client__enterprise=enterprise))
    if secrets:
        last = max(secrets, key=lambda secret: secret.expires_at)
        stage = _stage(last.expires_at - now, SECRET_STAGES)
        if stage is not None:
            found.append(
                (
                    f"secret:{last.pk}:{stage}",
                    f"Your last live OAuth client secret (created {last.created_at:%d %b %Y}) expires on "
                    f"{_at(last.expires_at)}, in {_ago(now, last.expires_at)}. Create a new one on the "
                    "Enterprise page and paste it into Entra's Client Secret before then.",
                )
            )
    connection = SsoConnection.objects.filter(
        enterprise=enterprise, certificate_expires_at__isnull=False
    ).first()
    if connection is not None:
        expires = connection.certificate_expires_at
        stage = _stage(expires - now, CERTIFICATE_STAGES)
        if stage is not None:
            when = f"expired on {_at(expires)}" if expires <= now else f"expires on {_at(expires)}"
            found.append(
                (
                    f"certificate:{expires:%Y%m%d}:{stage}",
                    f"Entra's SAML signing certificate {when}; then nobody can sign in with single sign-on. "
                    "In Entra, make a new certificate active, download the Federation Metadata XML and "
                    "upload it on the Enterprise page.",
                )
            )
    had_one = (
        ScimToken.objects.filter(enterprise=enterprise).exists()
        or ClientSecret.objects.filter(client__enterprise=enterprise).exists()
        or FederationTrust.objects.filter(client__enterprise=enterprise).exists()
    )
    if enterprise.scim_enabled and had_one and not has_live_credential(enterprise, now):
        found.append(
            (
                "no-credential",
                "No credential lets your identity provider in any more: the last SCIM token, client secret "
                "or federation trust has expired or been revoked, so every provisioning request fails. "
                "Create one on the Enterprise page and paste it into Entra's Admin Credentials.",
            )
        )
    for trust in FederationTrust.objects.live().filter(client__enterprise=enterprise):
        problem = keys_unreachable(trust)
        if problem:
            found.append(
                (
                    f"federation:{trust.pk}",
                    f"Federation: {problem} Entra's token requests are refused while Plandisc cannot read "
                    "the keys. Check the issuer and JWKS URL on the Enterprise page.",
                )
            )
    if not found:
        return None
    if len(found) == 1:
        headline = {
            "secret": "Your OAuth client secret expires soon",
            "certificate": "Entra's SAML signing certificate expires soon",
            "no-credential": "No live credential: provisioning requests fail",
            "federation": "Federation keys cannot be fetched",
        }[found[0][0].split(":")[0]]
        if found[0][0].startswith("certificate") and connection.certificate_expired(now):
            headline = "Entra's SAML signing certificate has expired"
    else:
        headline = f"{len(found)} problems with credentials"
    return Finding(
        headline=headline,
        lines=[line for _, line in found],
        advice="Nothing secret is in this email: the Enterprise page shows each credential and its expiry.",
        keys=frozenset(key for key, _ in found),
    )


# 4. Mass deprovisioning

MASS_SHARE, MASS_MINIMUM = 0.1, 10
NAMES_LISTED = 20


def mass_deprovisioning(enterprise: Enterprise, now: datetime) -> Finding | None:
    """At least MASS_SHARE of the active members, and at least MASS_MINIMUM people, deactivated or deleted
    within the last hour."""
    Action = ProvisioningEvent.Action
    events = enterprise.provisioning_events.filter(
        created_at__gt=now - HOUR,
        created_at__lte=now,
        status__lt=400,
        action__in=[Action.DEACTIVATED, Action.DELETED],
    ).exclude(target_id="")
    people = events.values("target_id").distinct().count()
    if people < MASS_MINIMUM:
        return None
    # Those active an hour ago: the active members now, and those deprovisioned since.
    before = enterprise.members.filter(active=True).count() + people
    if people < MASS_SHARE * before:
        return None
    span = events.aggregate(first=Min("created_at"), last=Max("created_at"), requests=Count("pk"))
    names: dict[str, list[str]] = {Action.DELETED: [], Action.DEACTIVATED: []}
    for action, label in events.order_by("created_at", "pk").values_list("action", "target_label"):
        if label not in names[action]:
            names[action].append(label)
    credentials = sorted(set(events.exclude(credential="").values_list("credential", flat=True)))
    lines = [
        f"{people} of the {before} people who were active an hour ago were deactivated or deleted "
        f"({round(100 * people / before)} %)."
    ]
    for action, verb in ((Action.DELETED, "Deleted"), (Action.DEACTIVATED, "Deactivated")):
        listed = names[action]
        if listed:
            more = f", and {len(listed) - NAMES_LISTED} more" if len(listed) > NAMES_LISTED else ""
            lines.append(f"{verb} ({len(listed)}): {', '.join(listed[:NAMES_LISTED])}{more}.")
    by = f" through {', '.join(credentials)}" if credentials else ""
    lines.append(
        f"By {span['requests']} SCIM requests from your identity provider{by}, between "
        f"{span['first']:%H:%M} and {span['last']:%H:%M} UTC on {span['last']:%d %b %Y}."
    )
    return Finding(
        headline=f"{people} people deactivated or deleted within an hour",
        lines=lines,
        advice=(
            "If this was not meant to happen (a scoping filter or an assignment changed in Entra), correct "
            "it in Entra before its next cycle. Deleted people are kept as recently deleted: on the members "
            "page one action restores every deletion of this episode. Entra activates deactivated people "
            "again once they are back in scope."
        ),
        keys=frozenset({"mass-deprovisioning"}),
        since=span["first"],
    )


def seats_nearly_full(enterprise: Enterprise, now: datetime) -> Finding | None:
    """At least 90 % of the licensed seats taken by active Admins and Editors (enterprise.roles)."""
    taken = seats(enterprise)
    if not taken.nearly_full:
        return None
    return Finding(
        headline=f"{taken.used} of {taken.licensed} seats are taken",
        lines=[
            f"Admins: {taken.admins}",
            f"Editors: {taken.editors}",
            f"Viewers, who take no seat: {taken.viewers}",
        ],
        advice=(
            "When no seat is free, Plandisc refuses new Admins and Editors from Entra. Ask Plandisc for more "
            "seats, or make someone a Viewer."
        ),
        keys=frozenset({"seats"}),
    )


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            name="provisioning_silent",
            title="Provisioning silent",
            description="Your identity provider has stopped calling",
            url_name="enterprise:detail",
            section="scim-status",
            cleared="Your identity provider is calling again, or provisioning was turned off.",
            find=provisioning_silent,
        ),
        Kind(
            name="failures_rising",
            title="Failures rising",
            description="Many provisioning requests fail",
            url_name="enterprise:detail",
            section="activity",
            cleared="Fewer than one in five requests failed in the last hour.",
            find=failures_rising,
        ),
        Kind(
            name="credential_expiring",
            title="Credential expiring or gone",
            description="A client secret or the SAML certificate expires, or no credential is left",
            url_name="enterprise:detail",
            section="scim",
            cleared="The credentials are in order again.",
            find=credential_expiring,
        ),
        Kind(
            name="mass_deprovisioning",
            title="Mass deprovisioning",
            description="Many people deactivated or deleted at once",
            url_name="enterprise:members",
            section="recently-deleted",
            cleared="No more people are being deactivated or deleted in large numbers.",
            find=mass_deprovisioning,
        ),
        Kind(
            name="seats_nearly_full",
            title="Seats nearly full",
            description="90 % of the seats you bought are taken",
            url_name="enterprise:detail",
            section="roles",
            cleared="Fewer than 90 % of the seats are taken now.",
            find=seats_nearly_full,
        ),
    )
}

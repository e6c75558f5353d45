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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    title: str  # "Provisioning silent", in the reader's language (lazy)
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
        headline=_("Provisioning has been silent for %(time)s") % {"time": _ago(last, now)},
        lines=[
            _("Your identity provider last called Plandisc on %(moment)s, %(time)s ago.")
            % {"moment": _at(last), "time": _ago(last, now)},
            _(
                "Microsoft Entra ID calls about every 40 minutes while provisioning runs; Plandisc tells you "
                "when it has heard nothing for %(time)s."
            )
            % {"time": _ago(now - allowed, now)},
        ],
        advice=_(
            "In the Microsoft Entra admin center, open the Plandisc application and its Provisioning page. "
            "Check that provisioning is running (not stopped, and not in quarantine) and read the "
            "provisioning logs. Changes made in Entra meanwhile do not reach Plandisc."
        ),
        keys=frozenset({"silent"}),
    )


# 2. Failures rising

FAILURE_SHARE, FAILURE_MINIMUM = 0.2, 10

ADVICE_BY_STATUS = {
    401: gettext_lazy(
        "Plandisc does not accept the credential Entra sends. Compare Entra's Admin Credentials with the "
        "Enterprise page: a revoked or rotated SCIM token, or an expired client secret, is refused."
    ),
    403: gettext_lazy(
        "Provisioning is turned off in Plandisc, so every request is refused. Turn it on on the Enterprise "
        "page, or stop provisioning in Entra."
    ),
    404: gettext_lazy(
        "Entra asks for people or groups Plandisc does not know. Restarting provisioning in Entra makes it "
        "match everyone again."
    ),
    409: gettext_lazy(
        "Entra tries to create someone whose userName another member has. Check the attribute mappings "
        "and the matching attribute in Entra."
    ),
    429: gettext_lazy("Entra sends more requests than Plandisc's limit; it retries them later by itself."),
}
ADVICE_CLIENT = gettext_lazy(
    "Plandisc refuses what Entra sends. Check the attribute mappings of the Plandisc application."
)
ADVICE_SERVER = gettext_lazy(
    "Plandisc could not answer; Entra retries later. If this goes on, contact Plandisc support."
)


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
        text = str(ADVICE_BY_STATUS.get(status) or (ADVICE_SERVER if status >= 500 else ADVICE_CLIENT))
        if text not in advice:
            advice.append(text)
    advice.append(
        _(
            "Entra puts an application in quarantine (and then calls only once a day) when most of its "
            "requests fail: fix the cause soon. The activity on the Enterprise page shows every failed "
            "request."
        )
    )
    share = round(100 * failures / total)
    return Finding(
        headline=_("%(failures)d of the last hour's %(total)d SCIM requests failed (%(share)d %%)")
        % {"failures": failures, "total": total, "share": share},
        lines=[_("The most frequent reasons:"), *lines],
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
                    _(
                        "Your last live OAuth client secret (created %(created)s) expires on %(moment)s, in "
                        "%(time)s. Create a new one on the Enterprise page and paste it into Entra's Client "
                        "Secret before then."
                    )
                    % {
                        "created": f"{last.created_at:%d %b %Y}",
                        "moment": _at(last.expires_at),
                        "time": _ago(now, last.expires_at),
                    },
                )
            )
    connection = SsoConnection.objects.filter(
        enterprise=enterprise, certificate_expires_at__isnull=False
    ).first()
    if connection is not None:
        expires = connection.certificate_expires_at
        stage = _stage(expires - now, CERTIFICATE_STAGES)
        if stage is not None:
            line = (
                _(
                    "Entra's SAML signing certificate expired on %(moment)s; then nobody can sign in with "
                    "single sign-on. In Entra, make a new certificate active, download the Federation "
                    "Metadata XML and upload it on the Enterprise page."
                )
                if expires <= now
                else _(
                    "Entra's SAML signing certificate expires on %(moment)s; then nobody can sign in with "
                    "single sign-on. In Entra, make a new certificate active, download the Federation "
                    "Metadata XML and upload it on the Enterprise page."
                )
            )
            found.append((f"certificate:{expires:%Y%m%d}:{stage}", line % {"moment": _at(expires)}))
    had_one = (
        ScimToken.objects.filter(enterprise=enterprise).exists()
        or ClientSecret.objects.filter(client__enterprise=enterprise).exists()
        or FederationTrust.objects.filter(client__enterprise=enterprise).exists()
    )
    if enterprise.scim_enabled and had_one and not has_live_credential(enterprise, now):
        found.append(
            (
                "no-credential",
                _(
                    "No credential lets your identity provider in any more: the last SCIM token, client "
                    "secret or federation trust has expired or been revoked, so every provisioning request "
                    "fails. Create one on the Enterprise page and paste it into Entra's Admin Credentials."
                ),
            )
        )
    for trust in FederationTrust.objects.live().filter(client__enterprise=enterprise):
        problem = keys_unreachable(trust)
        if problem:
            found.append(
                (
                    f"federation:{trust.pk}",
                    _(
                        "Federation: %(problem)s Entra's token requests are refused while Plandisc cannot "
                        "read the keys. Check the issuer and JWKS URL on the Enterprise page."
                    )
                    % {"problem": problem},
                )
            )
    if not found:
        return None
    if len(found) == 1:
        headline = {
            "secret": _("Your OAuth client secret expires soon"),
            "certificate": _("Entra's SAML signing certificate expires soon"),
            "no-credential": _("No live credential: provisioning requests fail"),
            "federation": _("Federation keys cannot be fetched"),
        }[found[0][0].split(":")[0]]
        if found[0][0].startswith("certificate") and connection.certificate_expired(now):
            headline = _("Entra's SAML signing certificate has expired")
    else:
        headline = _("%(count)d problems with credentials") % {"count": len(found)}
    return Finding(
        headline=headline,
        lines=[line for _key, line in found],
        advice=_(
            "Nothing secret is in this email: the Enterprise page shows each credential and its expiry."
        ),
        keys=frozenset(key for key, _line in found),
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
        _(
            "%(people)d of the %(before)d people who were active an hour ago were deactivated or deleted "
            "(%(share)d %%)."
        )
        % {"people": people, "before": before, "share": round(100 * people / before)}
    ]
    for action, verb in ((Action.DELETED, _("Deleted")), (Action.DEACTIVATED, _("Deactivated"))):
        listed = names[action]
        if listed:
            shown = ", ".join(listed[:NAMES_LISTED])
            if len(listed) > NAMES_LISTED:
                more = len(listed) - NAMES_LISTED
                shown = _("%(names)s, and %(more)d more") % {"names": shown, "more": more}
            lines.append(f"{verb} ({len(listed)}): {shown}.")
    moments = {
        "requests": span["requests"],
        "first": f"{span['first']:%H:%M}",
        "last": f"{span['last']:%H:%M}",
        "day": f"{span['last']:%d %b %Y}",
    }
    if credentials:
        lines.append(
            _(
                "By %(requests)d SCIM requests from your identity provider through %(credentials)s, between "
                "%(first)s and %(last)s UTC on %(day)s."
            )
            % {**moments, "credentials": ", ".join(credentials)}
        )
    else:
        lines.append(
            _(
                "By %(requests)d SCIM requests from your identity provider, between %(first)s and %(last)s "
                "UTC on %(day)s."
            )
            % moments
        )
    return Finding(
        headline=_("%(people)d people deactivated or deleted within an hour") % {"people": people},
        lines=lines,
        advice=_(
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
        headline=_("%(used)d of %(licensed)d seats are taken")
        % {"used": taken.used, "licensed": taken.licensed},
        lines=[
            _("Admins: %(count)d") % {"count": taken.admins},
            _("Editors: %(count)d") % {"count": taken.editors},
            _("Viewers, who take no seat: %(count)d") % {"count": taken.viewers},
        ],
        advice=_(
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
            title=gettext_lazy("Provisioning silent"),
            description=gettext_lazy("Your identity provider has stopped calling"),
            url_name="enterprise:detail",
            section="scim-status",
            cleared=gettext_lazy("Your identity provider is calling again, or provisioning was turned off."),
            find=provisioning_silent,
        ),
        Kind(
            name="failures_rising",
            title=gettext_lazy("Failures rising"),
            description=gettext_lazy("Many provisioning requests fail"),
            url_name="enterprise:detail",
            section="activity",
            cleared=gettext_lazy("Fewer than one in five requests failed in the last hour."),
            find=failures_rising,
        ),
        Kind(
            name="credential_expiring",
            title=gettext_lazy("Credential expiring or gone"),
            description=gettext_lazy(
                "A client secret or the SAML certificate expires, or no credential is left"
            ),
            url_name="enterprise:detail",
            section="scim",
            cleared=gettext_lazy("The credentials are in order again."),
            find=credential_expiring,
        ),
        Kind(
            name="mass_deprovisioning",
            title=gettext_lazy("Mass deprovisioning"),
            description=gettext_lazy("Many people deactivated or deleted at once"),
            url_name="enterprise:members",
            section="recently-deleted",
            cleared=gettext_lazy("No more people are being deactivated or deleted in large numbers."),
            find=mass_deprovisioning,
        ),
        Kind(
            name="seats_nearly_full",
            title=gettext_lazy("Seats nearly full"),
            # xgettext:no-python-format
            description=gettext_lazy("90 % of the seats you bought are taken"),
            url_name="enterprise:detail",
            section="roles",
            # xgettext:no-python-format
            cleared=gettext_lazy("Fewer than 90 % of the seats are taken now."),
            find=seats_nearly_full,
        ),
    )
}

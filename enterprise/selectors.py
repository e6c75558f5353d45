"""
What the Enterprise page says of an enterprise's SCIM provisioning, in plain words: is the identity provider
getting through, and if not, why. The rooms' own selectors (enterprise.*.selectors) read the rest.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus

from django.db.models import Count, Q, QuerySet
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from enterprise.activity.models import ProvisioningEvent
from enterprise.activity.selectors import provisioning_activity
from enterprise.credentials.selectors import has_live_credential
from enterprise.models import Enterprise

HEALTH_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Health:
    level: str  # "ok", "waiting", "warning", "error" or "off"; the page colours the line by it
    text: str


@dataclass(frozen=True)
class ScimStatus:
    last_request: ProvisioningEvent | None
    active_members: int
    deactivated_members: int
    groups: int
    health: Health


def scim_status(enterprise: Enterprise, now: datetime) -> ScimStatus:
    members = enterprise.members.aggregate(
        active_count=Count("pk", filter=Q(active=True)), deactivated_count=Count("pk", filter=Q(active=False))
    )
    events = provisioning_activity(enterprise, now=now)
    last = events.first()
    return ScimStatus(
        last_request=last,
        active_members=members["active_count"],
        deactivated_members=members["deactivated_count"],
        groups=enterprise.groups.count(),
        health=_health(enterprise, events, last, now),
    )


def _health(
    enterprise: Enterprise, events: QuerySet[ProvisioningEvent], last: ProvisioningEvent | None, now: datetime
) -> Health:
    """One line that tells an admin whether the identity provider is getting through, and if not, why."""
    if not enterprise.scim_enabled:
        return Health(
            "off",
            "Provisioning is off: requests from your identity provider are refused until you turn it on.",
        )
    # Any live way in counts: a SCIM token, an OAuth client secret or a federation trust.
    has_token = has_live_credential(enterprise, now)
    if last is None:
        if not has_token:
            return Health(
                "waiting",
                "Not connected yet: generate a SCIM token, then paste it and the SCIM "
                "endpoint into your identity provider.",
            )
        return Health("waiting", "Waiting for the first request from your identity provider.")
    if not has_token:
        return Health(
            "error",
            "No live SCIM token: requests from your identity provider fail until you "
            "generate one and paste it into Secret Token.",
        )
    failures = events.filter(created_at__gte=now - HEALTH_WINDOW, status__gte=400)
    failed = failures.count()
    if failed:
        level = "error" if failures.filter(status__gte=500).exists() else "warning"
        plural = "request" if failed == 1 else "requests"
        return Health(level, f"{failed} {plural} failed in the last 24 hours: {_describe(failures.first())}")
    last_success = events.filter(status__lt=400).first()
    if last_success is None:
        return Health(
            "warning",
            f"No request has succeeded yet. The last one, {time_ago(last.created_at, now)}, "
            f"failed: {_describe(last)}",
        )
    return Health("ok", f"Healthy — last sync {time_ago(last_success.created_at, now)}")


def _describe(event: ProvisioningEvent) -> str:
    if event.detail:
        return event.detail
    try:
        return f"{event.status} {HTTPStatus(event.status).phrase}"
    except ValueError:
        return f"HTTP {event.status}"


def time_ago(moment: datetime, now: datetime) -> str:
    if now - moment < timedelta(minutes=1):
        return _("just now")
    # timesince joins number and unit with a no-break space; this text also goes out through the API.
    return _("%(time)s ago") % {"time": timesince(moment, now, depth=1).replace("\xa0", " ")}

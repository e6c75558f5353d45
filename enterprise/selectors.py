"""
What the Enterprise page says of an enterprise's SCIM provisioning, in plain words: is the identity provider
getting through, and if not, why. The rooms' own selectors (enterprise.*.selectors) read the rest.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus

from django.db.models import Count, Q, QuerySet
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enterprise.activity.models import ProvisioningEvent
from enterprise.activity.selectors import NORMAL_ANSWERS, kept_activity
from enterprise.credentials.selectors import has_live_credential
from enterprise.models import Enterprise

HEALTH_WINDOW = timedelta(hours=24)
NORMAL_ANSWERS_SHOWN = 10


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
    # The answers of the last HEALTH_WINDOW that are a normal part of a cycle (NORMAL_ANSWERS): how many, and
    # the latest NORMAL_ANSWERS_SHOWN of them.
    normal_count: int = 0
    normal_answers: list[ProvisioningEvent] = field(default_factory=list)
    window_hours: int = HEALTH_WINDOW // timedelta(hours=1)


def scim_status(enterprise: Enterprise, now: datetime) -> ScimStatus:
    members = enterprise.members.aggregate(
        active_count=Count("pk", filter=Q(active=True)), deactivated_count=Count("pk", filter=Q(active=False))
    )
    events = kept_activity(enterprise, now)
    last = events.first()
    normal = events.filter(NORMAL_ANSWERS, created_at__gte=now - HEALTH_WINDOW)
    shown = list(normal[:NORMAL_ANSWERS_SHOWN]) if last else []
    return ScimStatus(
        last_request=last,
        active_members=members["active_count"],
        deactivated_members=members["deactivated_count"],
        groups=enterprise.groups.count(),
        health=_health(enterprise, events, last, now),
        normal_count=normal.count() if len(shown) == NORMAL_ANSWERS_SHOWN else len(shown),
        normal_answers=shown,
    )


def _health(
    enterprise: Enterprise, events: QuerySet[ProvisioningEvent], last: ProvisioningEvent | None, now: datetime
) -> Health:
    """One line that tells an admin whether the identity provider is getting through, and if not, why."""
    if not enterprise.scim_enabled:
        return Health(
            "off",
            _("Provisioning is off: requests from your identity provider are refused until you turn it on."),
        )
    # Any live way in counts: a SCIM token, an OAuth client secret or a federation trust.
    has_token = has_live_credential(enterprise, now)
    if last is None:
        if not has_token:
            return Health(
                "waiting",
                _(
                    "Not connected yet: generate a SCIM token, then paste it and the SCIM endpoint into your "
                    "identity provider."
                ),
            )
        return Health("waiting", _("Waiting for the first request from your identity provider."))
    if not has_token:
        return Health(
            "error",
            _(
                "No live SCIM token: requests from your identity provider fail until you generate one and "
                "paste it into Secret Token."
            ),
        )
    failures = events.filter(created_at__gte=now - HEALTH_WINDOW, status__gte=400).exclude(NORMAL_ANSWERS)
    failed = failures.count()
    if failed:
        level = "error" if failures.filter(status__gte=500).exists() else "warning"
        said = ngettext(
            "%(count)d request failed in the last 24 hours: %(reason)s",
            "%(count)d requests failed in the last 24 hours: %(reason)s",
            failed,
        )
        return Health(level, said % {"count": failed, "reason": _describe(failures.first())})
    last_success = events.filter(status__lt=400).first()
    if last_success is None:
        said = _("No request has succeeded yet. The last one, %(ago)s, failed: %(reason)s")
        return Health("warning", said % {"ago": time_ago(last.created_at, now), "reason": _describe(last)})
    return Health("ok", _("Healthy — last sync %(ago)s") % {"ago": time_ago(last_success.created_at, now)})


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

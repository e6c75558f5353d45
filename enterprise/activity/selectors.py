"""
What the Enterprise page, its CSV and its API read of an enterprise's provisioning activity: the requests,
filtered, per hour, and what they did to each member. Nothing here writes.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from enterprise.activity.models import ProvisioningEvent
from enterprise.models import Enterprise

# What the activity table, its CSV and the API show of each SCIM request, after its time.
ACTIVITY_FIELDS = [
    "action",
    "summary",
    "target_type",
    "target_id",
    "target_label",
    "method",
    "path",
    "resource_type",
    "resource_id",
    "status",
    "outcome",
    "scim_type",
    "detail",
    "duration_ms",
    "user_agent",
    "credential",
]
CHART_HOURS = 7 * 24
# The activity's pager counts at most this many requests past the page asked for, and then says "more than".
COUNT_CAP = 10_000
# How far ahead of `now` a read looks, for a host whose clock runs fast. Kept short: on PostgreSQL a read
# whose window reaches into tomorrow reads tomorrow's partition too.
CLOCK_SKEW = timedelta(hours=1)
# The members view reads members' last changes in these last days first, and the older days only for those
# it did not find there.
RECENT_CHANGES = timedelta(days=7)

# Answers that are a normal part of a provisioning cycle, not failures: a 404 when the identity provider reads
# or deletes a person or group that is gone or never was (Entra does both after a delete, and Test Connection
# may read a made-up id), and a 409 uniqueness on a create, which Entra resolves by matching the one who
# exists. The health line, the alert "failures rising" and the page's tiles never count them as failures.
NORMAL_ANSWERS = (Q(status=404, method__in=["GET", "DELETE"]) & ~Q(resource_id="")) | Q(
    status=409, method="POST", scim_type="uniqueness"
)


def is_normal_answer(event: ProvisioningEvent) -> bool:
    """NORMAL_ANSWERS for one row already read."""
    if event.status == 404:
        return event.method in ("GET", "DELETE") and event.resource_id != ""
    return event.status == 409 and event.method == "POST" and event.scim_type == "uniqueness"


class Outcome(models.TextChoices):
    """How a SCIM request ended, as the chart, the activity table, the CSV and the API name it."""

    SUCCESS = "success", _("Succeeded")
    CLIENT_ERROR = "client_error", _("Client error")
    SERVER_ERROR = "server_error", _("Server error")

    @classmethod
    def of(cls, status: int) -> "Outcome":
        if status >= 500:
            return cls.SERVER_ERROR
        return cls.CLIENT_ERROR if status >= 400 else cls.SUCCESS


@dataclass(frozen=True)
class ActivityFilter:
    """Which requests the activity table, its CSV and the API show: `kind` "changes" (what changed members
    and groups), "errors" (failed requests) or "" (all); `target` the SCIM id of one member or group, which
    keeps finding what happened to them after they are deleted; `period` how far back, as the identity
    providers' own provisioning logs ask: the last 7 days unless chosen, and all the days kept for one member
    or group (their rows are few, found through the index on enterprise and target). On PostgreSQL the period
    is what keeps a read to the few day partitions it needs."""

    KINDS = {"": _("All requests"), "changes": _("Changes only"), "errors": _("Errors only")}
    PERIODS = {
        "24h": (timedelta(hours=24), _("Last 24 hours")),
        "7d": (timedelta(days=7), _("Last 7 days")),
        "30d": (timedelta(days=30), _("Last 30 days")),
        "90d": (timedelta(days=90), _("Last 90 days")),
    }
    DEFAULT_PERIOD = "7d"
    TARGET_PERIOD = "90d"

    kind: str = ""
    target: str = ""
    period: str = DEFAULT_PERIOD

    @classmethod
    def of(cls, params) -> "ActivityFilter":
        kind = params.get("kind") or ""
        target = (params.get("target") or "")[:64]
        period = params.get("period") or ""
        if period not in cls.PERIODS:
            period = cls.TARGET_PERIOD if target else cls.DEFAULT_PERIOD
        return cls(kind=kind if kind in cls.KINDS else "", target=target, period=period)

    @property
    def since(self) -> timedelta:
        return self.PERIODS[self.period][0]

    @property
    def period_label(self) -> str:
        return self.PERIODS[self.period][1]

    @classmethod
    def period_choices(cls) -> list[tuple[str, str]]:
        return [(key, label) for key, (_since, label) in cls.PERIODS.items()]


def kept_activity(
    enterprise: Enterprise, now: datetime | None = None, since: timedelta | None = None
) -> QuerySet[ProvisioningEvent]:
    """
    The enterprise's SCIM requests of the days kept (the last SCIM_ACTIVITY_RETENTION_DAYS), or of the last
    `since` of them, and up to CLOCK_SKEW ahead. Every read of the activity starts here: on PostgreSQL the
    table is partitioned by day, and the window lets a query read only the partitions of those days.
    """
    now = now or timezone.now()
    kept = timedelta(days=settings.SCIM_ACTIVITY_RETENTION_DAYS)
    return enterprise.provisioning_events.filter(
        created_at__gte=now - min(since or kept, kept),
        created_at__lt=now + CLOCK_SKEW,
    )


def provisioning_activity(
    enterprise: Enterprise, shown: ActivityFilter = ActivityFilter(), now: datetime | None = None
) -> QuerySet[ProvisioningEvent]:
    """The enterprise's SCIM requests of the period shown, newest first."""
    events = kept_activity(enterprise, now, shown.since)
    if shown.kind == "errors":
        events = events.filter(status__gte=400)
    elif shown.kind == "changes":
        events = events.filter(action__in=ProvisioningEvent.CHANGES)
    if shown.target:
        events = events.filter(target_id=shown.target)
    return events


class CappedPaginator(Paginator):
    """
    A Paginator that counts at most COUNT_CAP rows (or as far as the page asked for, if further), with
    `SELECT count(*) FROM (… LIMIT n)`: counting a large enterprise's half a million requests would take
    longer than reading the page. When there are more, `capped` is true, `count` is one more than was
    counted and there is always a next page: the page says "Page 3 of many", "more than 10,000 requests".
    """

    def __init__(self, object_list, per_page, cap: int = COUNT_CAP):
        super().__init__(object_list, per_page)
        self.cap = cap
        self.limit = cap

    def validate_number(self, number):
        if "count" not in self.__dict__:
            try:
                asked = int(number)
            except (TypeError, ValueError):
                asked = 1
            # Bounded, so that a made-up page number cannot ask the database for an absurd LIMIT.
            self.limit = max(self.cap, min(asked, 1_000_000) * self.per_page)
        return super().validate_number(number)

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.limit + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.limit


def activity_target_label(enterprise: Enterprise, target_id: str) -> str:
    """The userName or displayName the member or group with this SCIM id had when last recorded."""
    labels = kept_activity(enterprise).filter(target_id=target_id).exclude(target_label="")
    return labels.values_list("target_label", flat=True).first() or target_id


@dataclass(frozen=True)
class HourOfActivity:
    start: datetime
    success: int = 0
    client_error: int = 0
    server_error: int = 0

    @property
    def total(self) -> int:
        return self.success + self.client_error + self.server_error


@dataclass(frozen=True)
class ActivityChart:
    """SCIM requests per hour, oldest hour first, ending with the hour that contains `now`."""

    hours: list[HourOfActivity]

    @property
    def totals(self) -> HourOfActivity:
        return HourOfActivity(
            start=self.hours[0].start,
            success=sum(h.success for h in self.hours),
            client_error=sum(h.client_error for h in self.hours),
            server_error=sum(h.server_error for h in self.hours),
        )

    @property
    def peak(self) -> int:
        return max(h.total for h in self.hours)


def activity_chart(enterprise: Enterprise, now: datetime) -> ActivityChart:
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=CHART_HOURS - 1)
    rows = (
        kept_activity(enterprise, now, since=now - first)
        .filter(created_at__gte=first)
        .annotate(hour=TruncHour("created_at"))
        .values("hour", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: Counter[tuple[datetime, Outcome]] = Counter()
    for row in rows:
        counts[row["hour"], Outcome.of(row["status"])] += row["n"]
    hours = []
    for i in range(CHART_HOURS):
        start = first + timedelta(hours=i)
        hours.append(
            HourOfActivity(
                start=start,
                success=counts[start, Outcome.SUCCESS],
                client_error=counts[start, Outcome.CLIENT_ERROR],
                server_error=counts[start, Outcome.SERVER_ERROR],
            )
        )
    return ActivityChart(hours)


def last_changes(
    enterprise: Enterprise, scim_ids: list[str], now: datetime | None = None
) -> dict[str, ProvisioningEvent]:
    """The request that last changed each of a page of members (their SCIM ids). A member missing from the
    result has no change in the activity kept (made before it was recorded, or pruned). Read the last
    RECENT_CHANGES first, then the older days kept only for the members not found there: on PostgreSQL the
    first read covers a few day partitions, and the second one only runs when a member changed long ago."""
    now = now or timezone.now()
    found: dict[str, ProvisioningEvent] = {}
    recent = kept_activity(enterprise, now, RECENT_CHANGES).filter(target_id__in=scim_ids)
    _newest_each(recent, found)
    missing = [scim_id for scim_id in scim_ids if scim_id not in found]
    if missing:
        older = kept_activity(enterprise, now).filter(
            target_id__in=missing, created_at__lt=now - RECENT_CHANGES
        )
        _newest_each(older, found)
    return found


def _newest_each(events: QuerySet[ProvisioningEvent], found: dict[str, ProvisioningEvent]) -> None:
    changes = events.filter(status__lt=400, action__in=ProvisioningEvent.CHANGES)
    for event in changes.order_by("-created_at", "-id"):
        found.setdefault(event.target_id, event)

"""
What the Enterprise page and its API read: the enterprise an admin may manage, the state of its SCIM
provisioning in plain words, its activity per hour, and its provisioned members. Nothing here writes;
changes go through enterprise.services.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncHour
from django.http import Http404
from django.utils.timesince import timesince

from enterprise.models import (
    ClientSecret,
    Enterprise,
    FederationTrust,
    Group,
    GroupMembership,
    Member,
    OAuthClient,
    ProvisioningEvent,
    ScimToken,
)

HEALTH_WINDOW = timedelta(hours=24)
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


def administered_enterprises(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Enterprise]:
    """
    The enterprises `user` administers, decided now, on every request: those that made them an admin by hand
    (Enterprise.admins), and those whose admin groups (Group.grants_admin) have `user` as the login account
    of an active member, when that enterprise owns the account (LoginAccount; its single sign-on made it).
    So a person Entra removes from the group, deactivates or deletes loses the role at their next request,
    and a role never reaches an account another enterprise owns.
    """
    if not user.is_authenticated:
        return Enterprise.objects.none()
    by_hand = Enterprise.admins.through.objects.filter(enterprise=OuterRef("pk"), user=user)
    by_group = Member.objects.filter(
        enterprise=OuterRef("pk"),
        user=user,
        active=True,
        groups__grants_admin=True,
        user__login_account__enterprise=OuterRef("pk"),
    )
    return Enterprise.objects.filter(Exists(by_hand) | Exists(by_group))


def enterprise_for_admin(*, user: AbstractBaseUser | AnonymousUser, slug: str) -> Enterprise:
    """The enterprise with this slug if `user` administers it. Anyone else gets 403, existing or not."""
    enterprise = administered_enterprises(user).filter(slug=slug).first()
    if enterprise is None:
        raise PermissionDenied("You are not an admin of this enterprise.")
    return enterprise


def scim_token_of(*, enterprise: Enterprise, token_id: int) -> ScimToken:
    token = enterprise.scim_tokens.filter(pk=token_id).first()
    if token is None:
        raise Http404("This enterprise has no such SCIM token.")
    return token


def live_scim_tokens(enterprise: Enterprise, now: datetime) -> QuerySet[ScimToken]:
    """Newest first: the first is the one the identity provider should have; older ones are overlapping."""
    return enterprise.scim_tokens.live(now).select_related("created_by")


def client_secret_of(*, enterprise: Enterprise, secret_id: int) -> ClientSecret:
    secret = ClientSecret.objects.filter(client__enterprise=enterprise, pk=secret_id).first()
    if secret is None:
        raise Http404("This enterprise has no such client secret.")
    return secret


@dataclass(frozen=True)
class OAuthSettings:
    """The enterprise's OAuth client as the page and the API show it: never a secret or a digest."""

    client: OAuthClient | None
    secrets: list[ClientSecret]  # live ones, newest first
    trust: FederationTrust | None
    last_token_request: ProvisioningEvent | None
    secret_warning: str


def oauth_settings(enterprise: Enterprise, now: datetime) -> OAuthSettings:
    client = OAuthClient.objects.filter(enterprise=enterprise).first()
    secrets = list(client.secrets.live(now).select_related("created_by")) if client else []
    warning = ""
    if secrets:
        last_expiry = max(secret.expires_at for secret in secrets)
        if last_expiry - now < ClientSecret.EXPIRY_WARNING:
            warning = (
                f"Your last live client secret expires on {last_expiry:%Y-%m-%d %H:%M} UTC. Create a new one "
                "and paste it into Entra's Client Secret before then, or provisioning stops."
            )
    return OAuthSettings(
        client=client,
        secrets=secrets,
        trust=client.federation_trusts.live().first() if client else None,
        last_token_request=enterprise.provisioning_events.filter(path="/token").first(),
        secret_warning=warning,
    )


class Outcome(models.TextChoices):
    """How a SCIM request ended, as the chart, the activity table, the CSV and the API name it."""

    SUCCESS = "success", "Succeeded"
    CLIENT_ERROR = "client_error", "Client error"
    SERVER_ERROR = "server_error", "Server error"

    @classmethod
    def of(cls, status: int) -> "Outcome":
        if status >= 500:
            return cls.SERVER_ERROR
        return cls.CLIENT_ERROR if status >= 400 else cls.SUCCESS


@dataclass(frozen=True)
class ActivityFilter:
    """Which requests the activity table, its CSV and the API show: `kind` "changes" (what changed members
    and groups), "errors" (failed requests) or "" (all); `target` the SCIM id of one member or group, which
    keeps finding what happened to them after they are deleted."""

    KINDS = {"": "All requests", "changes": "Changes only", "errors": "Errors only"}

    kind: str = ""
    target: str = ""

    @classmethod
    def of(cls, params) -> "ActivityFilter":
        kind = params.get("kind") or ""
        return cls(kind=kind if kind in cls.KINDS else "", target=(params.get("target") or "")[:64])


def provisioning_activity(
    enterprise: Enterprise, shown: ActivityFilter = ActivityFilter()
) -> QuerySet[ProvisioningEvent]:
    """The enterprise's SCIM requests, newest first."""
    events = enterprise.provisioning_events.all()
    if shown.kind == "errors":
        events = events.filter(status__gte=400)
    elif shown.kind == "changes":
        events = events.filter(action__in=ProvisioningEvent.CHANGES)
    if shown.target:
        events = events.filter(target_id=shown.target)
    return events


def activity_target_label(enterprise: Enterprise, target_id: str) -> str:
    """The userName or displayName the member or group with this SCIM id had when last recorded."""
    labels = enterprise.provisioning_events.filter(target_id=target_id).exclude(target_label="")
    return labels.values_list("target_label", flat=True).first() or target_id


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
    events = provisioning_activity(enterprise)
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
    has_token = (
        enterprise.scim_tokens.live(now).exists()
        or ClientSecret.objects.live(now).filter(client__enterprise=enterprise).exists()
        or FederationTrust.objects.live().filter(client__enterprise=enterprise).exists()
    )
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
        return "just now"
    # timesince joins number and unit with a no-break space; this text also goes out through the API.
    return timesince(moment, now, depth=1).replace("\xa0", " ") + " ago"


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
        provisioning_activity(enterprise)
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


def provisioned_members(enterprise: Enterprise, *, search: str = "", state: str = "") -> QuerySet[Member]:
    """Members by userName, with their groups; `search` matches name, userName or email, `state` is
    "active", "deactivated" or "" for both."""
    members = enterprise.members.order_by("user_name", "pk").prefetch_related(
        Prefetch("groups", queryset=Group.objects.order_by("display_name").only("display_name"))
    )
    if search:
        members = members.filter(
            Q(user_name__icontains=search) | Q(display_name__icontains=search) | Q(email__icontains=search)
        )
    if state:
        members = members.filter(active=(state == "active"))
    return members


@dataclass(frozen=True)
class MemberHistory:
    """The requests that created a member, last changed them, and last (de)activated them (None: not in
    the activity kept, e.g. made before it was recorded or pruned since)."""

    created: ProvisioningEvent | None = None
    changed: ProvisioningEvent | None = None
    activeness: ProvisioningEvent | None = None


def member_histories(enterprise: Enterprise, members: list[Member]) -> dict[str, MemberHistory]:
    """MemberHistory by SCIM id for a page of members, in one query."""
    Action = ProvisioningEvent.Action
    events = enterprise.provisioning_events.filter(
        target_id__in=[str(m.scim_id) for m in members],
        action__in=[Action.CREATED, Action.UPDATED, Action.DEACTIVATED, Action.REACTIVATED],
    ).only("created_at", "method", "path", "credential", "action", "target_id")
    found: dict[str, dict] = {}
    for event in events.order_by("-created_at", "-id"):
        history = found.setdefault(event.target_id, {})
        history.setdefault("changed", event)
        if event.action == Action.CREATED:
            history.setdefault("created", event)
        if event.action in (Action.DEACTIVATED, Action.REACTIVATED):
            history.setdefault("activeness", event)
    return {target: MemberHistory(**history) for target, history in found.items()}


def group_listing(enterprise: Enterprise) -> QuerySet[Group]:
    """The enterprise's groups by name, with their member counts."""
    return enterprise.groups.order_by("display_name", "pk").annotate(member_count=Count("memberships"))


@dataclass(frozen=True)
class EnterpriseAdmin:
    """An admin and where their role comes from: set by hand, and/or through these admin groups."""

    user: AbstractBaseUser
    by_hand: bool
    groups: list[str]

    @property
    def source(self) -> str:
        """ "By hand", "Through group Admins", "By hand; through group Admins, through group Owners"."""
        text = "; ".join((["By hand"] if self.by_hand else []) + [f"through group {g}" for g in self.groups])
        return text[:1].upper() + text[1:]


def enterprise_admins(enterprise: Enterprise) -> list[EnterpriseAdmin]:
    """Everyone administrative_enterprises counts as an admin of `enterprise`, by username."""
    sources: dict[int, tuple] = {u.pk: (u, True, []) for u in enterprise.admins.all()}
    through_groups = (
        GroupMembership.objects.filter(
            group__enterprise=enterprise,
            group__grants_admin=True,
            member__active=True,
            member__user__login_account__enterprise=enterprise,
        )
        .select_related("member__user", "group")
        .order_by("group__display_name")
    )
    for membership in through_groups:
        user = membership.member.user
        sources.setdefault(user.pk, (user, False, []))[2].append(membership.group.display_name)
    admins = [EnterpriseAdmin(user, by_hand, groups) for user, by_hand, groups in sources.values()]
    return sorted(admins, key=lambda admin: admin.user.get_username().lower())


def admin_warning(admins: list[EnterpriseAdmin]) -> str:
    """What the page says when the enterprise's admins are at the identity provider's mercy, or gone."""
    if not admins:
        return (
            "No admin remains: nobody can manage this enterprise. Add someone to an admin group in Entra, "
            "or ask Plandisc support."
        )
    if not any(admin.by_hand for admin in admins):
        return (
            "Every admin comes from an Entra group: if Entra removes them all, nobody can manage this "
            "enterprise until someone is added again."
        )
    return ""

"""
Who may do what in an enterprise, decided on every request. A member's role is the highest of: the role
their identity provider's app role gives (or, without one, the enterprise's default role), the roles of the
groups they are in, and the role an admin gave them by hand; inactive members have none. Login accounts an
admin made by hand an admin of the enterprise (Enterprise.admins) are Admins. Nothing here writes;
enterprise.roles.services records each change.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from enterprise.directory.models import GroupMembership, Member
from enterprise.models import Enterprise, Role

# Seats are "nearly full" from this share on: the page warns.
SEATS_WARNING = 0.9


def at_least(role: Role) -> Q:
    """Members with `role` or a higher one from any source. Activeness is the caller's to add."""
    roles = list(Role)[list(Role).index(role) :]
    in_group = GroupMembership.objects.filter(member=OuterRef("pk"), group__role__in=roles)
    return (
        Q(app_role__in=roles)
        | Q(app_role="", enterprise__default_role__in=roles)
        | Q(role_by_hand__in=roles)
        | Q(Exists(in_group))
    )


def administered_enterprises(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Enterprise]:
    """
    The enterprises `user` administers, decided now, on every request: those that made them an admin by hand
    (Enterprise.admins), and those where `user` is the login account of an active member whose role is Admin
    (through an app role, a group or by hand), when that enterprise owns the account (LoginAccount; its single
    sign-on made it). So a person Entra removes from the group, gives another app role, deactivates or deletes
    loses the role at their next request, and a role never reaches an account another enterprise owns.
    """
    if not user.is_authenticated:
        return Enterprise.objects.none()
    by_hand = Enterprise.admins.through.objects.filter(enterprise=OuterRef("pk"), user=user)
    as_member = Member.objects.filter(
        at_least(Role.ADMIN),
        enterprise=OuterRef("pk"),
        user=user,
        active=True,
        user__login_account__enterprise=OuterRef("pk"),
    )
    return Enterprise.objects.filter(Exists(by_hand) | Exists(as_member))


def enterprise_for_admin(*, user: AbstractBaseUser | AnonymousUser, slug: str) -> Enterprise:
    """The enterprise with this slug if `user` administers it. Anyone else gets 403, existing or not."""
    enterprise = administered_enterprises(user).filter(slug=slug).first()
    if enterprise is None:
        raise PermissionDenied(_("You are not an admin of this enterprise."))
    return enterprise


def _source_words(source: str) -> str:
    """A role's source ("app role", "default role", "by hand", "group Sales") in the page's language."""
    if source.startswith("group "):
        return _("group %(name)s") % {"name": source.removeprefix("group ")}
    return {"app role": _("app role"), "default role": _("default role"), "by hand": _("by hand")}.get(
        source, source
    )


@dataclass(frozen=True)
class MemberRole:
    """A member's role and where it comes from, in words: "app role", "default role", "group Sales", "by
    hand" (every source that gives that role). No role for an inactive member."""

    role: Role | None
    sources: list[str]

    @property
    def source(self) -> str:
        """The sources in the page's language."""
        return ", ".join(_source_words(source) for source in self.sources)

    def __str__(self) -> str:
        return f"{self.role.label} ({self.source})" if self.role else "No access (deactivated)"


def member_role(member: Member, default_role: str, groups: list[tuple[str, str]]) -> MemberRole:
    """The role of `member`, given their enterprise's default role and their groups' (name, role) pairs."""
    if not member.active:
        return MemberRole(None, [])
    candidates = [(member.app_role, "app role") if member.app_role else (default_role, "default role")]
    candidates += [(role, f"group {name}") for name, role in groups if role]
    if member.role_by_hand:
        candidates.append((member.role_by_hand, "by hand"))
    role = Role.highest(role for role, _ in candidates)
    return MemberRole(role, [source for r, source in candidates if r == role])


def member_roles(members: list[Member]) -> dict[int, MemberRole]:
    """MemberRole by member pk for members of one enterprise, with one query for their groups' roles."""
    if not members:
        return {}
    groups: dict[int, list] = {member.pk: [] for member in members}
    rows = GroupMembership.objects.filter(member__in=groups, group__role__gt="").order_by(
        "group__display_name"
    )
    for member_id, name, role in rows.values_list("member_id", "group__display_name", "group__role"):
        groups[member_id].append((name, role))
    default = members[0].enterprise.default_role
    return {member.pk: member_role(member, default, groups[member.pk]) for member in members}


@dataclass(frozen=True)
class AccountRole:
    """What a login account may do in one enterprise."""

    enterprise: Enterprise
    role: Role
    source: str


def account_roles(user: AbstractBaseUser | AnonymousUser) -> list[AccountRole]:
    """The enterprises `user` may use and their role in each, by enterprise name: as a provisioned, active
    member whose login account the enterprise owns, or as an admin made by hand. Never through an account
    another enterprise owns."""
    if not user.is_authenticated:
        return []
    found: dict[int, AccountRole] = {
        e.pk: AccountRole(e, Role.ADMIN, "by hand") for e in Enterprise.objects.filter(admins=user)
    }
    owned = Member.objects.filter(user=user, active=True, user__login_account__enterprise=F("enterprise"))
    for member in owned.exclude(enterprise__in=list(found)).select_related("enterprise"):
        role = member_roles([member])[member.pk]
        found[member.enterprise_id] = AccountRole(member.enterprise, role.role, role.source)
    return sorted(found.values(), key=lambda a: a.enterprise.name.lower())


@dataclass(frozen=True)
class Seats:
    """An enterprise's licensed seats and who takes them: active Admins and Editors (Viewers take none)."""

    licensed: int | None  # None: unlimited
    admins: int
    editors: int
    viewers: int

    @property
    def used(self) -> int:
        return self.admins + self.editors

    @property
    def free(self) -> int | None:
        return None if self.licensed is None else max(self.licensed - self.used, 0)

    @property
    def nearly_full(self) -> bool:
        return self.licensed is not None and self.used >= SEATS_WARNING * self.licensed


def seats(enterprise: Enterprise) -> Seats:
    """The enterprise's seats, counted now (one query)."""
    counts = Member.objects.filter(enterprise=enterprise, active=True).aggregate(
        active=Count("pk"),
        admins=Count("pk", filter=at_least(Role.ADMIN)),
        seated=Count("pk", filter=at_least(Role.EDITOR)),
    )
    return Seats(
        licensed=enterprise.seats,
        admins=counts["admins"],
        editors=counts["seated"] - counts["admins"],
        viewers=counts["active"] - counts["seated"],
    )


@dataclass(frozen=True)
class EnterpriseAdmin:
    """An admin and where their role comes from: set by hand, and/or through these groups, and/or an app
    role."""

    user: AbstractBaseUser
    by_hand: bool
    groups: list[str]
    app_role: bool = False

    @property
    def source(self) -> str:
        """ "By hand", "Through group Admins", "By hand; through group Admins, through group Owners",
        "Through app role"."""
        parts = ([_("By hand")] if self.by_hand else []) + [
            _("through group %(name)s") % {"name": g} for g in self.groups
        ]
        text = "; ".join(parts + ([_("through app role")] if self.app_role else []))
        return text[:1].upper() + text[1:]


def enterprise_admins(enterprise: Enterprise) -> list[EnterpriseAdmin]:
    """Everyone administered_enterprises counts as an admin of `enterprise`, by username."""
    sources: dict[int, list] = {u.pk: [u, True, [], False] for u in enterprise.admins.all()}
    members = list(
        Member.objects.filter(
            at_least(Role.ADMIN),
            enterprise=enterprise,
            active=True,
            user__login_account__enterprise=enterprise,
        ).select_related("user", "enterprise")
    )
    roles = member_roles(members)
    for member in members:
        role = roles[member.pk]
        entry = sources.setdefault(member.user_id, [member.user, False, [], False])
        entry[1] = entry[1] or "by hand" in role.sources
        entry[2] += [s.removeprefix("group ") for s in role.sources if s.startswith("group ")]
        entry[3] = entry[3] or "app role" in role.sources or "default role" in role.sources
    admins = [EnterpriseAdmin(*entry) for entry in sources.values()]
    return sorted(admins, key=lambda admin: admin.user.get_username().lower())


def admin_warning(admins: list[EnterpriseAdmin]) -> str:
    """What the page says when the enterprise's admins are at the identity provider's mercy, or gone."""
    if not admins:
        return _(
            "No admin remains: nobody can manage this enterprise. Add someone to an admin group in Entra, "
            "or ask Plandisc support."
        )
    if not any(admin.by_hand for admin in admins):
        return _(
            "Every admin comes from an Entra group or app role: if Entra removes them all, nobody can "
            "manage this enterprise until someone is added again."
        )
    return ""

"""
Who administers which enterprise, decided on every request. Nothing here writes; enterprise.roles.services
records each change.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet

from enterprise.directory.models import GroupMembership, Member
from enterprise.models import Enterprise


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

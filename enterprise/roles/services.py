"""
Who may do what in an enterprise. Today: the Enterprise admin role, set by hand or held by the active
members of admin groups. Who holds it is decided on each request (enterprise.roles.selectors); the services
here record each grant and revoke as it happens, so every directory write that can change someone's role
goes through here: the directory write itself, then what it did to roles.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from enterprise.activity.models import AuditEvent
from enterprise.activity.services import audit_record
from enterprise.directory import services as directory
from enterprise.directory.models import Group, GroupMembership, Member
from enterprise.models import Enterprise
from enterprise.roles import selectors

User = get_user_model()


def enterprise_admins_by_hand_recorded(
    *, enterprise: Enterprise, before: set[int], actor: AbstractBaseUser | None = None
) -> None:
    """Record who became or stopped being an admin by hand since the admins were `before` (user pks), e.g.
    after support staff edited them in the Django admin."""
    after = dict(enterprise.admins.values_list("pk", "username"))
    gone = dict(User.objects.filter(pk__in=before - set(after)).values_list("pk", "username"))
    changes = [(AuditEvent.Action.ADMIN_GRANTED, after[pk]) for pk in sorted(set(after) - before)]
    changes += [(AuditEvent.Action.ADMIN_REVOKED, gone[pk]) for pk in sorted(gone)]
    AuditEvent.objects.bulk_create(
        AuditEvent(enterprise=enterprise, actor=actor, action=action, detail=f"{name} by hand"[:255])
        for action, name in changes
    )


@transaction.atomic(savepoint=False)
def member_update(*, member: Member, profile: dict, manager: Member | None = None) -> None:
    """Update a member (directory.member_update); deactivating or reactivating them revokes or grants the
    admin role their groups give."""
    was_active = member.active
    directory.member_update(member=member, profile=profile, manager=manager)
    if member.active != was_active:
        why = "reactivated" if member.active else "deactivated"
        member_admin_role_recorded(member=member, granted=member.active, why=why)


def member_create(
    *, enterprise: Enterprise, profile: dict, manager: Member | None = None
) -> tuple[Member, bool]:
    """Create a member (directory.member_create: one INSERT, in autocommit). When that brings back a
    recently deleted member, the admin role their groups give is granted again."""
    member, revived = directory.member_create(enterprise=enterprise, profile=profile, manager=manager)
    if revived and member.active:
        member_admin_role_recorded(member=member, granted=True, why="created again")
    return member, revived


@transaction.atomic(savepoint=False)
def member_delete(*, member: Member, deleted_by: str = "") -> None:
    """Delete a member (directory.member_delete: kept as recently deleted), revoking the admin role their
    groups gave."""
    if member.active:
        member_admin_role_recorded(member=member, granted=False, why="deleted")
    directory.member_delete(member=member, deleted_by=deleted_by)


@transaction.atomic
def member_restore(*, member: Member, actor: AbstractBaseUser | None = None) -> None:
    """Restore a recently deleted member (directory.member_restore), granting again the admin role their
    groups give; audited. Raises ValidationError when another member has their userName now."""
    directory.member_restore(member=member)
    member_admin_role_recorded(member=member, granted=True, why="restored")
    audit_record(
        enterprise=member.enterprise,
        actor=actor,
        action=AuditEvent.Action.MEMBER_RESTORED,
        detail=member.user_name,
    )


def members_restore(*, members: list[Member], actor: AbstractBaseUser | None = None) -> tuple[int, list[str]]:
    """Restore each of these recently deleted members (member_restore, each audited); returns how many came
    back and why the others could not."""
    restored, refusals = 0, []
    for member in members:
        try:
            member_restore(member=member, actor=actor)
        except ValidationError as exc:
            refusals.append(exc.messages[0])
        else:
            restored += 1
    return restored, refusals


@transaction.atomic
def enterprise_members_deactivate(*, enterprise: Enterprise) -> int:
    """Deactivate every active member of the enterprise (directory.member_deactivate: signed out at once),
    revoking the admin role their groups gave; returns how many."""
    members = list(enterprise.members.filter(active=True).select_for_update())
    for member in members:
        member_admin_role_recorded(member=member, granted=False, why="provisioning turned off")
        directory.member_deactivate(member=member)
    return len(members)


def group_members_add(*, group: Group, member_ids: list[int]) -> None:
    """Add members to a group (directory.group_members_add). An admin group's new members are granted the
    admin role; only then are they loaded."""
    if group.grants_admin and member_ids:
        present = GroupMembership.objects.filter(group=group, member__in=member_ids).values("member")
        added = Member.objects.filter(pk__in=member_ids).exclude(pk__in=present)
        _admin_role_through_group(group=group, members=added, granted=True)
    directory.group_members_add(group=group, member_ids=member_ids)


def group_members_remove(*, group: Group, where: Q | None = None, keep: list[int] | None = None) -> int:
    """Remove members from a group (directory.group_members_remove), revoking the admin role an admin group
    gave them."""
    if group.grants_admin:
        memberships = directory.group_memberships(group=group, where=where, keep=keep)
        members = Member.objects.filter(pk__in=list(memberships.values_list("member", flat=True)))
        _admin_role_through_group(group=group, members=members, granted=False)
    return directory.group_members_remove(group=group, where=where, keep=keep)


@transaction.atomic(savepoint=False)
def group_delete(*, group: Group) -> None:
    """Delete a group (directory.group_delete), revoking the admin role it gave."""
    if group.grants_admin:
        _admin_role_through_group(
            group=group, members=group.members.all(), granted=False, why="group deleted"
        )
    directory.group_delete(group=group)


# The Enterprise admin role through admin groups. Who holds it is decided on each request
# (enterprise.roles.selectors.administered_enterprises); these record each grant and revoke as it happens.


def _owned(members, enterprise_id: int):
    """The active members whose login account the enterprise owns: the only ones a group makes admins."""
    return members.filter(active=True, user__login_account__enterprise=enterprise_id)


def _admin_role_recorded(
    *, enterprise_id: int, user_names: list[str], group: str, granted: bool, why: str = "", actor=None
) -> None:
    action = AuditEvent.Action.ADMIN_GRANTED if granted else AuditEvent.Action.ADMIN_REVOKED
    reason = f" ({why})" if why else ""
    AuditEvent.objects.bulk_create(
        AuditEvent(
            enterprise_id=enterprise_id,
            actor=actor,
            action=action,
            detail=f"{name} through group {group}{reason}"[:255],
        )
        for name in user_names
    )


def _admin_role_through_group(
    *, group: Group, members, granted: bool, why: str = "", actor: AbstractBaseUser | None = None
) -> None:
    names = list(_owned(members, group.enterprise_id).values_list("user_name", flat=True))
    _admin_role_recorded(
        enterprise_id=group.enterprise_id,
        user_names=names,
        group=group.display_name,
        granted=granted,
        why=why,
        actor=actor,
    )


def member_admin_role_recorded(*, member: Member, granted: bool, why: str) -> None:
    """A member of admin groups became active or stopped being, or got their login account: record the
    role's grant or revoke through each of those groups. Costs a query only for a member with a login
    account (one who signed in through single sign-on)."""
    if member.user_id is None:
        return
    groups = Group.objects.filter(
        memberships__member=member,
        grants_admin=True,
        enterprise__login_accounts__user=member.user_id,
    ).values_list("display_name", flat=True)
    for name in groups:
        _admin_role_recorded(
            enterprise_id=member.enterprise_id,
            user_names=[member.user_name],
            group=name,
            granted=granted,
            why=why,
        )


@transaction.atomic
def enterprise_admin_groups_set(
    *, enterprise: Enterprise, groups: list[Group], actor: AbstractBaseUser | None = None
) -> None:
    """
    Make exactly these of the enterprise's groups grant the Enterprise admin role to their active members
    (whose login accounts the enterprise owns). Records the change, and each member who gains or loses the
    role through it. Raises ValidationError, changing nothing, when no admin would remain.
    """
    Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
    chosen = {group.pk for group in groups if group.enterprise_id == enterprise.pk}
    current = set(enterprise.groups.filter(grants_admin=True).values_list("pk", flat=True))
    if chosen == current:
        return
    enterprise.groups.filter(pk__in=current - chosen).update(grants_admin=False)
    enterprise.groups.filter(pk__in=chosen - current).update(grants_admin=True)
    if not selectors.enterprise_admins(enterprise):
        raise ValidationError("This would leave the enterprise without an admin: keep at least one.")
    for pk, granted in [*((pk, True) for pk in chosen - current), *((pk, False) for pk in current - chosen)]:
        group = Group.objects.get(pk=pk)
        _admin_role_through_group(group=group, members=group.members.all(), granted=granted, actor=actor)
    names = (
        enterprise.groups.filter(grants_admin=True)
        .order_by("display_name")
        .values_list("display_name", flat=True)
    )
    audit_record(
        enterprise=enterprise,
        actor=actor,
        action=AuditEvent.Action.ADMIN_GROUPS_CHANGED,
        detail=(", ".join(names) or "none"),
    )

"""
Who may do what in an enterprise. Today: the Enterprise admin role, set by hand or held by the active
members of admin groups. Who holds it is decided on each request (enterprise.roles.selectors); the services
here record each grant and revoke as it happens, so every directory write that can change someone's role
goes through here: the directory write itself, then what it did to roles.
"""

import copy

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from enterprise.activity.models import AuditEvent
from enterprise.activity.services import audit_record
from enterprise.directory import services as directory
from enterprise.directory.models import Group, GroupMembership, Member
from enterprise.models import Enterprise, Role
from enterprise.roles import selectors
from enterprise.roles.selectors import MemberRole

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


class SeatsExhausted(Exception):
    """A change that would give more people a seat than the enterprise bought. The message is for Entra's
    provisioning log and for the page."""


def _seats_checked(*, enterprise_id: int, role: Role) -> None:
    """
    After a write that gave someone `role`, a seat-taking one: refuse it (raise SeatsExhausted, so the
    caller's transaction rolls back) when more active Admins and Editors are left than the enterprise bought.
    The enterprise's row is locked first, so of two workers or hosts racing for the last seat the second
    waits for the first to commit, then counts its member too: exactly one wins.
    """
    licensed = (
        Enterprise.objects.select_for_update()
        .filter(pk=enterprise_id)
        .values_list("seats", flat=True)
        .first()
    )
    if licensed is None:
        return
    taken = Member.objects.filter(selectors.at_least(Role.EDITOR), enterprise_id=enterprise_id, active=True)
    if taken.count() > licensed:
        raise SeatsExhausted(
            _(
                "Plandisc has no free {role} seat: {licensed} of {licensed} used. Ask your Plandisc admin "
                "for more seats, or make someone a Viewer."
            ).format(role=role.label, licensed=licensed)
        )


def _roles_recorded(
    *, before: dict[int, MemberRole], members: list[Member], actor: AbstractBaseUser | None = None
) -> list[str]:
    """
    Record, for members whose role changed since `before` (MemberRole by pk) while they stayed active, an
    audit event in words; check the seats when someone took one (a reactivation included). Returns the
    sentences ("bo@contoso.com is now Viewer (app role)").
    """
    after = selectors.member_roles(members)
    sentences, seated = [], None
    for member in members:
        old, new = before[member.pk], after[member.pk]
        if new.role is None:
            continue
        # A reactivation says so itself; its role only counts for the seats.
        if old.role is not None and old.role != new.role:
            sentences.append(f"{member.user_name} is now {new}")
        if new.role.takes_seat and not (old.role and old.role.takes_seat):
            seated = Role.highest([seated, new.role])
    if sentences:
        AuditEvent.objects.bulk_create(
            AuditEvent(
                enterprise_id=members[0].enterprise_id,
                actor=actor,
                action=AuditEvent.Action.ROLE_CHANGED,
                detail=s[:255],
            )
            for s in sentences
        )
    if seated:
        _seats_checked(enterprise_id=members[0].enterprise_id, role=seated)
    return sentences


@transaction.atomic(savepoint=False)
def member_update(*, member: Member, profile: dict, manager: Member | None = None) -> list[str]:
    """Update a member (directory.member_update). Deactivating or reactivating them revokes or grants the
    admin role their groups give; a new app role changes their role. Returns what happened to their role, in
    words. Raises SeatsExhausted when they would take a seat that is not free."""
    before = copy.copy(member)
    directory.member_update(member=member, profile=profile, manager=manager)
    if member.active != before.active:
        why = "reactivated" if member.active else "deactivated"
        member_admin_role_recorded(member=member, granted=member.active, why=why)
    if (member.active, member.app_role) == (before.active, before.app_role) or not member.active:
        return []
    return _roles_recorded(before=selectors.member_roles([before]), members=[member])


@transaction.atomic
def member_role_set(*, member: Member, role: str, actor: AbstractBaseUser | None = None) -> None:
    """Give a member a role by hand ("" takes it back). Raises SeatsExhausted when it would take a seat that
    is not free, ValidationError when it would leave the enterprise without an admin."""
    before = selectors.member_roles([member])
    member.role_by_hand = Role(role) if role else ""
    member.save(update_fields=["role_by_hand"])
    _roles_recorded(before=before, members=[member], actor=actor)
    _refuse_without_admin(member.enterprise)


def member_create(
    *, enterprise: Enterprise, profile: dict, manager: Member | None = None
) -> tuple[Member, bool]:
    """
    Create a member (directory.member_create), or bring back the recently deleted one with the same userName
    or externalId, whose groups then give them their admin role again; returns the member and whether it came
    back. When the enterprise has bought a number of seats and the member takes one, the seats are checked in
    the same transaction (raising SeatsExhausted); otherwise the INSERT stays one statement in autocommit, as
    SCIM's most frequent write.
    """
    if enterprise.seats is None:
        member, revived = directory.member_create(enterprise=enterprise, profile=profile, manager=manager)
    else:
        with transaction.atomic():
            member, revived = directory.member_create(enterprise=enterprise, profile=profile, manager=manager)
            # A new member is in no group and has no role by hand yet: their app role or the default decides.
            role = (
                selectors.member_roles([member])[member.pk]
                if revived
                else selectors.member_role(member, enterprise.default_role, groups=[])
            ).role
            if role and role.takes_seat:
                _seats_checked(enterprise_id=enterprise.pk, role=role)
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
    role = selectors.member_roles([member])[member.pk].role
    if role and role.takes_seat:
        _seats_checked(enterprise_id=member.enterprise_id, role=role)
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
        except SeatsExhausted as exc:
            refusals.append(f"{member.user_name}: {exc}")
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


def _changed_through(group: Group, member_ids, change) -> list[str]:
    """Apply `change` to the group's memberships of `member_ids`, recording what it did to their roles when
    the group gives one (only then are they loaded)."""
    if not group.role:
        return change()
    members = list(Member.objects.filter(pk__in=list(member_ids)).select_related("enterprise"))
    before = selectors.member_roles(members)
    result = change()
    _roles_recorded(before=before, members=members)
    return result


def group_members_add(*, group: Group, member_ids: list[int]) -> None:
    """Add members to a group (directory.group_members_add). An admin group's new members are granted the
    admin role; a group with a role changes the role of those it raises. Raises SeatsExhausted when that
    would take a seat that is not free."""
    if group.role and member_ids:
        present = GroupMembership.objects.filter(group=group, member__in=member_ids).values("member")
        added = Member.objects.filter(pk__in=member_ids).exclude(pk__in=present)
        if group.role == Role.ADMIN:
            _admin_role_through_group(group=group, members=added, granted=True)
        member_ids_added = list(added.values_list("pk", flat=True))
        _changed_through(
            group, member_ids_added, lambda: directory.group_members_add(group=group, member_ids=member_ids)
        )
        return
    directory.group_members_add(group=group, member_ids=member_ids)


def group_members_remove(*, group: Group, where: Q | None = None, keep: list[int] | None = None) -> int:
    """Remove members from a group (directory.group_members_remove), revoking the role the group gave them."""
    if not group.role:
        return directory.group_members_remove(group=group, where=where, keep=keep)
    memberships = directory.group_memberships(group=group, where=where, keep=keep)
    member_ids = list(memberships.values_list("member", flat=True))
    if group.role == Role.ADMIN:
        _admin_role_through_group(
            group=group, members=Member.objects.filter(pk__in=member_ids), granted=False
        )
    return _changed_through(
        group, member_ids, lambda: directory.group_members_remove(group=group, where=where, keep=keep)
    )


@transaction.atomic(savepoint=False)
def group_delete(*, group: Group) -> None:
    """Delete a group (directory.group_delete), revoking the role it gave."""
    if group.role == Role.ADMIN:
        _admin_role_through_group(
            group=group, members=group.members.all(), granted=False, why="group deleted"
        )
    member_ids = list(group.memberships.values_list("member", flat=True))
    _changed_through(group, member_ids, lambda: directory.group_delete(group=group))


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
        role=Role.ADMIN,
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


def _refuse_without_admin(enterprise: Enterprise) -> None:
    if not selectors.enterprise_admins(enterprise):
        raise ValidationError(_("This would leave the enterprise without an admin: keep at least one."))


@transaction.atomic
def group_role_set(*, group: Group, role: str, actor: AbstractBaseUser | None = None) -> None:
    """
    Make the group give `role` ("" for none) to its active members. Records the change, and each member whose
    role it changes. Raises ValidationError, changing nothing, when no admin would remain, SeatsExhausted
    when more seats would be taken than bought.
    """
    Enterprise.objects.select_for_update().filter(pk=group.enterprise_id).first()
    old, role = group.role, Role(role) if role else ""
    if old == role:
        return
    members = list(group.members.filter(active=True).select_related("enterprise"))
    before = selectors.member_roles(members)
    Group.objects.filter(pk=group.pk).update(role=role)
    group.role = role
    if Role.ADMIN in (old, role):
        _admin_role_through_group(
            group=group, members=group.members.all(), granted=role == Role.ADMIN, actor=actor
        )
    _roles_recorded(before=before, members=members, actor=actor)
    _refuse_without_admin(group.enterprise)
    # Audit details stay in English, whatever language the admin reads the page in.
    with translation.override("en"):
        gives = str(Role(role).label) if role else "no role"
    audit_record(
        enterprise=group.enterprise,
        actor=actor,
        action=AuditEvent.Action.GROUP_ROLE_CHANGED,
        detail=f"Group {group.display_name} gives {gives}",
    )


@transaction.atomic
def enterprise_admin_groups_set(
    *, enterprise: Enterprise, groups: list[Group], actor: AbstractBaseUser | None = None
) -> None:
    """
    Make exactly these of the enterprise's groups give the Admin role (the other admin groups give none).
    Raises ValidationError, changing nothing, when no admin would remain.
    """
    chosen = {group.pk for group in groups if group.enterprise_id == enterprise.pk}
    current = set(enterprise.groups.filter(role=Role.ADMIN).values_list("pk", flat=True))
    if chosen == current:
        return
    for group in enterprise.groups.filter(pk__in=chosen ^ current).order_by("pk"):
        group_role_set(group=group, role=Role.ADMIN if group.pk in chosen else "", actor=actor)
    names = (
        enterprise.groups.filter(role=Role.ADMIN)
        .order_by("display_name")
        .values_list("display_name", flat=True)
    )
    audit_record(
        enterprise=enterprise,
        actor=actor,
        action=AuditEvent.Action.ADMIN_GROUPS_CHANGED,
        detail=(", ".join(names) or "none"),
    )


@transaction.atomic
def enterprise_default_role_set(
    *, enterprise: Enterprise, role: str, actor: AbstractBaseUser | None = None
) -> None:
    """The role of members Entra gives no app role. Raises ValidationError when no admin would remain,
    SeatsExhausted when more seats would be taken than bought; either changes nothing."""
    role = Role(role)
    if enterprise.default_role == role:
        return
    enterprise.default_role = role
    enterprise.save(update_fields=["default_role", "updated_at"])
    if role.takes_seat:
        _seats_checked(enterprise_id=enterprise.pk, role=role)
    _refuse_without_admin(enterprise)
    audit_record(
        enterprise=enterprise,
        actor=actor,
        action=AuditEvent.Action.DEFAULT_ROLE_CHANGED,
        detail=role.name.title(),
    )

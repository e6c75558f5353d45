"""
Writes to an enterprise's directory: its members and groups as the identity provider describes them. SCIM
and single sign-on call these (through enterprise.roles where a write can change what someone may do);
they join the caller's transaction without a savepoint (`savepoint=False`), so an error anywhere rolls the
whole request back.
"""

from importlib import import_module

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from enterprise.directory.models import Group, GroupMembership, Member
from enterprise.models import Enterprise


def _touch(resource: Member | Group) -> None:
    resource.updated_at = timezone.now()
    if resource.pk is not None:
        resource.version += 1


def _check_lengths(resource: Member | Group, fields) -> None:
    """Refuse values longer than their column: PostgreSQL would refuse them, SQLite would keep them."""
    for field in fields:
        limit = resource._meta.get_field(field).max_length
        if len(getattr(resource, field) or "") > limit:
            raise ValidationError(f"'{field}' is longer than {limit} characters.")


def _member_store(member: Member, profile: dict, manager: Member | None) -> None:
    if manager is not None and (manager.enterprise_id != member.enterprise_id or manager.pk == member.pk):
        raise ValidationError(f"The manager '{manager.scim_id}' is not another member of this enterprise.")
    member.set_profile(profile)
    member.manager = manager
    _check_lengths(member, [c for c in Member.PROFILE_COLUMNS if c != "active"])
    _touch(member)
    if member.pk is None:
        Member.objects.insert(member)
    else:
        member.save()


def member_create(*, enterprise: Enterprise, profile: dict, manager: Member | None = None) -> Member:
    """
    Store a new member from their profile (Member.set_profile maps it onto the columns). Raises
    ValidationError for a value that does not fit or a manager who is not another member of the enterprise,
    IntegrityError when the userName is taken. It writes one row with one INSERT, a transaction of its own,
    so it opens none: SCIM creates users in autocommit, without BEGIN and COMMIT round trips.
    """
    member = Member(enterprise=enterprise)
    _member_store(member, profile, manager)
    return member


@transaction.atomic(savepoint=False)
def member_update(*, member: Member, profile: dict, manager: Member | None = None) -> None:
    """
    Replace a member's profile (what member_create raises, this raises). A profile that makes an active
    member inactive is a deactivation, and ends their sessions as member_deactivate does.
    """
    was_active = member.active
    _member_store(member, profile, manager)
    if was_active and not member.active:
        member_deactivate(member=member)


@transaction.atomic(savepoint=False)
def member_deactivate(*, member: Member) -> None:
    """Turn off a member's access at once: marked not active, and signed out of every session."""
    if member.active:
        member.set_profile({**member.profile, "active": False})
        _touch(member)
        member.save(update_fields=["profile", "active", "updated_at", "version"])
    member_sessions_end(member=member)


@transaction.atomic(savepoint=False)
def member_delete(*, member: Member) -> None:
    """Delete a provisioned member; their group memberships and sessions go with them."""
    member_sessions_end(member=member)
    member.delete()


@transaction.atomic(savepoint=False)
def member_sessions_end(*, member: Member) -> None:
    """
    Sign the member out everywhere: delete every session recorded as theirs (MemberSession), whatever the
    session backend. Deprovisioning calls this; the same person's sessions through other enterprises belong to
    other members and login accounts, and stay.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(member.sessions.values_list("session_key", flat=True))
    for session_key in keys:
        store(session_key=session_key).delete()
    if keys:
        member.sessions.all().delete()


@transaction.atomic(savepoint=False)
def group_save(*, group: Group, display_name: str, external_id: str | None) -> None:
    """
    Create a group (no pk yet) or rename it, and mark it changed either way (its members may have changed).
    Raises ValidationError for a name that does not fit, IntegrityError when the name is taken.
    """
    renamed = group.pk is None or (group.display_name, group.external_id) != (display_name, external_id)
    group.display_name, group.external_id = display_name, external_id
    _check_lengths(group, ["display_name", "external_id"])
    _touch(group)
    if renamed:
        group.save()
    else:
        group.save(update_fields=["updated_at", "version"])


def group_members_add(*, group: Group, member_ids: list[int]) -> None:
    """Add members by primary key (they must be the group's enterprise's); ones already in stay as they are.
    One INSERT whatever the group's size: its members are never loaded."""
    GroupMembership.objects.bulk_create(
        [GroupMembership(group=group, member_id=pk) for pk in member_ids],
        ignore_conflicts=True,
        batch_size=1000,
    )


def group_memberships(*, group: Group, where: Q | None = None, keep: list[int] | None = None):
    """The group's memberships matching `where` (all without it), except those of the members in `keep`."""
    memberships = GroupMembership.objects.filter(group=group)
    if where is not None:
        memberships = memberships.filter(where)
    if keep is not None:
        memberships = memberships.exclude(member__in=keep)
    return memberships


def group_members_remove(*, group: Group, where: Q | None = None, keep: list[int] | None = None) -> int:
    """Remove the memberships matching `where` (all without it), except those of the members in `keep`;
    returns how many went."""
    removed, _ = group_memberships(group=group, where=where, keep=keep).delete()
    return removed


@transaction.atomic(savepoint=False)
def group_delete(*, group: Group) -> None:
    group.delete()

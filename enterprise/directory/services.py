"""
Writes to an enterprise's directory: its members and groups as the identity provider describes them. SCIM
and single sign-on call these (through enterprise.roles where a write can change what someone may do);
they join the caller's transaction without a savepoint (`savepoint=False`), so an error anywhere rolls the
whole request back.
"""

from datetime import timedelta
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


def _member_set(member: Member, profile: dict, manager: Member | None) -> None:
    if manager is not None and (manager.enterprise_id != member.enterprise_id or manager.pk == member.pk):
        raise ValidationError(f"The manager '{manager.scim_id}' is not another member of this enterprise.")
    member.set_profile(profile)
    member.manager = manager
    _check_lengths(member, [c for c in Member.PROFILE_COLUMNS if c != "active"])
    _touch(member)


def member_create(
    *, enterprise: Enterprise, profile: dict, manager: Member | None = None
) -> tuple[Member, bool]:
    """
    Store a new member from their profile (Member.set_profile maps it onto the columns), or bring back the
    recently deleted member with the same userName or externalId: the same record, SCIM id, groups, login
    account and history, with this profile. Returns the member and whether it came back. Raises
    ValidationError for a value that does not fit or a manager who is not another member of the enterprise,
    IntegrityError when the userName is taken. A new member is one INSERT, a transaction of its own, so it
    opens none: SCIM creates users in autocommit, without BEGIN and COMMIT round trips.
    """
    member = Member(enterprise=enterprise)
    _member_set(member, profile, manager)
    if Member.objects.insert_unless_recently_deleted(
        member, user_name=member.user_name, external_id=member.external_id
    ):
        return member, False
    return _member_revive(member=member, profile=profile, manager=manager)


@transaction.atomic(savepoint=False)
def _member_revive(*, member: Member, profile: dict, manager: Member | None) -> tuple[Member, bool]:
    """The recently deleted member `member` (unsaved) matched, brought back with its profile."""
    same = Q(user_name__iexact=member.user_name)
    if member.external_id:
        same |= Q(external_id=member.external_id)
    found = (
        Member.recently_deleted.select_for_update()
        .filter(same, enterprise_id=member.enterprise_id)
        .order_by("-deleted_at", "-pk")
        .first()
    )
    if found is None:
        # Restored or purged since the INSERT looked: a new member after all.
        Member.objects.insert(member)
        return member, False
    found.deleted_at, found.deleted_by = None, ""
    _member_set(found, profile, manager)
    found.save()
    return found, True


@transaction.atomic(savepoint=False)
def member_update(*, member: Member, profile: dict, manager: Member | None = None) -> None:
    """
    Replace a member's profile (what member_create raises, this raises). A profile that makes an active
    member inactive is a deactivation, and ends their sessions as member_deactivate does.
    """
    was_active = member.active
    _member_set(member, profile, manager)
    Member.objects.update_row(member)
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
def member_delete(*, member: Member, deleted_by: str = "") -> None:
    """
    Delete a member as the identity provider sees it: their access ends at once (not active, signed out of
    every session) and they leave every list and lookup, but the record stays, with their groups, as
    recently deleted until members_purge removes it (MEMBER_RETENTION_DAYS), so member_restore or a new
    member_create of the same person brings it back. `deleted_by` says who, in words.
    """
    member_sessions_end(member=member)
    member.set_profile({**member.profile, "active": False})
    member.deleted_at, member.deleted_by = timezone.now(), deleted_by[:100]
    _touch(member)
    member.save(update_fields=["profile", "active", "deleted_at", "deleted_by", "updated_at", "version"])


@transaction.atomic(savepoint=False)
def member_restore(*, member: Member) -> None:
    """
    Bring back a recently deleted member: active again, with the same SCIM id, profile, groups and login
    account. Raises ValidationError when another member has taken their userName meanwhile.
    """
    taken = Member.objects.filter(enterprise_id=member.enterprise_id, user_name__iexact=member.user_name)
    if taken.exists():
        raise ValidationError(f"{member.user_name} cannot be restored: another member has that userName now.")
    member.set_profile({**member.profile, "active": True})
    member.deleted_at, member.deleted_by = None, ""
    _touch(member)
    member.save(update_fields=["profile", "active", "deleted_at", "deleted_by", "updated_at", "version"])


def members_purge(*, older_than: timedelta) -> int:
    """Remove for good the members deleted longer than `older_than` ago, with their group memberships;
    returns how many went."""
    gone = Member.recently_deleted.filter(deleted_at__lt=timezone.now() - older_than)
    count = 0
    # In chunks, so a large purge holds no long lock.
    while ids := list(gone.values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            Member.recently_deleted.filter(pk__in=ids).delete()
        count += len(ids)
    return count


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
    if group.pk is None:
        group.save()
    else:
        Group.objects.update_row(group, None if renamed else ["updated_at", "version"])


def group_members_add(*, group: Group, member_ids: list[int]) -> None:
    """Add members by primary key (they must be the group's enterprise's); ones already in stay as they are.
    One INSERT whatever the group's size: its members are never loaded."""
    Group.objects.add_members(group, member_ids)


def group_memberships(*, group: Group, where: Q | None = None, keep: list[int] | None = None):
    """The group's memberships matching `where` (all without it), except those of the members in `keep`.
    Recently deleted members' memberships are never among them: the identity provider no longer lists those
    members, and a restore brings them back into their groups."""
    memberships = GroupMembership.objects.filter(group=group, member__deleted_at__isnull=True)
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

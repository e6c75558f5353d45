"""What the Enterprise page reads of an enterprise's directory: its members and groups."""

from django.db.models import Count, Prefetch, Q, QuerySet

from enterprise.directory.models import Group, GroupMembership, Member
from enterprise.models import Enterprise

# The members page's sort orders, each served by an index (Member.Meta.indexes) so that a page costs the same
# at 100 members as at 100,000.
MEMBER_ORDERS = {
    "name": ("display_name", "user_name", "pk"),
    "state": ("-active", "display_name", "user_name", "pk"),
    "changed": ("-updated_at", "-pk"),
}


def provisioned_members(
    enterprise: Enterprise, *, search: str = "", state: str = "", order: str = "name"
) -> QuerySet[Member]:
    """Members in `order` (a MEMBER_ORDERS key), with their groups; `search` matches name, userName or email,
    `state` is "active", "deactivated" or "" for both."""
    members = enterprise.members.order_by(*MEMBER_ORDERS.get(order, MEMBER_ORDERS["name"])).prefetch_related(
        Prefetch("groups", queryset=Group.objects.order_by("display_name").only("display_name"))
    )
    if search:
        members = members.filter(
            Q(user_name__icontains=search) | Q(display_name__icontains=search) | Q(email__icontains=search)
        )
    if state:
        members = members.filter(active=(state == "active"))
    return members


def group_listing(enterprise: Enterprise) -> list[Group]:
    """The enterprise's groups by name, with their member counts (recently deleted members not counted).
    The memberships are counted off their (group, member) index; the few of recently deleted members are
    subtracted, rather than every membership joined to its member."""
    counted = enterprise.groups.order_by("display_name", "pk").annotate(member_count=Count("memberships"))
    groups = list(counted)
    gone = (
        GroupMembership.objects.filter(member__in=Member.recently_deleted.filter(enterprise=enterprise))
        .values("group_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    deleted = {row["group_id"]: row["n"] for row in gone}
    for group in groups:
        group.member_count -= deleted.get(group.pk, 0)
    return groups


def recently_deleted_members(enterprise: Enterprise) -> QuerySet[Member]:
    """The members the identity provider deleted and that are kept for a restore, most recent first."""
    return (
        Member.recently_deleted.filter(enterprise=enterprise)
        .order_by("-deleted_at", "-pk")
        .prefetch_related(
            Prefetch("groups", queryset=Group.objects.order_by("display_name").only("display_name"))
        )
    )

"""The members view: provisioned members with their state, last change and groups; searchable and paged."""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import GroupFactory, GroupMembershipFactory, MemberFactory
from tests.scim import entra

pytestmark = pytest.mark.django_db

MEMBERS = "/enterprise/contoso/members/"


def _rows(text: str) -> list[str]:
    tbody = re.search(r'<table class="members stacking">.*?<tbody>(.*?)</tbody>', text, re.S)
    return re.findall(r"<tr[^>]*>(.*?)</tr>", tbody[1], re.S) if tbody else []


def test_members_show_their_state_last_change_and_groups(admin_session, enterprise, other_enterprise):
    alex = MemberFactory(
        enterprise=enterprise,
        user_name="alex@contoso.com",
        display_name="Alex Wu",
        updated_at=datetime(2026, 3, 10, 9, 30, tzinfo=UTC),
    )
    MemberFactory(enterprise=enterprise, user_name="bo@contoso.com", display_name="Bo Ek", active=False)
    MemberFactory(enterprise=other_enterprise, user_name="chris@fabrikam.com")
    for name in ("Sales", "Berlin"):
        GroupMembershipFactory(group=GroupFactory(enterprise=enterprise, display_name=name), member=alex)

    text = admin_session.get(MEMBERS).text
    rows = _rows(text)

    assert "2 members" in text
    assert len(rows) == 2
    assert '<td data-label="Name">Alex Wu</td>' in rows[0]
    assert '<td data-label="Username" class="user-name">alex@contoso.com</td>' in rows[0]
    assert '<span class="pill pill-ok">Active</span>' in rows[0]
    # No change in the activity kept: when it last changed, exact on hover, localised by static/js/times.js.
    assert (
        '<span class="said">Changed</span> <small><time datetime="2026-03-10T09:30:00Z" '
        'title="10 Mar 2026, 09:30 UTC" data-local="relative">'
    ) in rows[0]
    assert '<td data-label="Groups">Berlin, Sales</td>' in rows[0]
    assert '<span class="pill pill-off">Deactivated</span>' in rows[1]
    assert "fabrikam" not in text


def test_search_matches_name_user_name_or_email(admin_session, enterprise):
    MemberFactory(enterprise=enterprise, user_name="alex@contoso.com", display_name="Alex Wu")
    MemberFactory(enterprise=enterprise, user_name="bo@contoso.com", display_name="Bo Ek")

    by_name = _rows(admin_session.get(MEMBERS, {"q": "wu"}).text)
    by_user_name = _rows(admin_session.get(MEMBERS, {"q": "BO@"}).text)
    nothing = admin_session.get(MEMBERS, {"q": "zed"}).text

    assert len(by_name) == 1 and "alex@contoso.com" in by_name[0]
    assert len(by_user_name) == 1 and "bo@contoso.com" in by_user_name[0]
    assert "No members match." in nothing


def test_the_state_filter_keeps_active_or_deactivated_members(admin_session, enterprise):
    MemberFactory(enterprise=enterprise, user_name="alex@contoso.com")
    MemberFactory(enterprise=enterprise, user_name="bo@contoso.com", active=False)

    active = _rows(admin_session.get(MEMBERS, {"state": "active"}).text)
    deactivated = _rows(admin_session.get(MEMBERS, {"state": "deactivated"}).text)

    assert len(active) == 1 and "alex@contoso.com" in active[0]
    assert len(deactivated) == 1 and "bo@contoso.com" in deactivated[0]


def test_members_are_paged_by_fifty_and_pages_keep_the_search(admin_session, enterprise):
    for i in range(55):
        MemberFactory(enterprise=enterprise, user_name=f"user{i:02}@contoso.com", display_name=f"User {i:02}")

    first = admin_session.get(MEMBERS, {"q": "contoso"}).text
    second = admin_session.get(MEMBERS, {"q": "contoso", "page": "2"}).text

    assert "55 members" in first and "Page 1 of 2" in first
    assert len(_rows(first)) == 50 and "user00@contoso.com" in _rows(first)[0]
    assert 'href="/enterprise/contoso/members/?q=contoso&amp;page=2" rel="next">' in first
    assert len(_rows(second)) == 5 and "user54@contoso.com" in _rows(second)[-1]


def test_without_members_the_page_says_where_they_come_from(admin_session):
    assert (
        "No members yet: they appear here once your identity provider provisions them."
        in admin_session.get(MEMBERS).text
    )


def test_members_sort_by_name_state_or_last_change(admin_session, enterprise):
    MemberFactory(enterprise=enterprise, user_name="c@contoso.com", display_name="Cleo", active=False)
    MemberFactory(
        enterprise=enterprise,
        user_name="a@contoso.com",
        display_name="Ann",
        updated_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    MemberFactory(
        enterprise=enterprise,
        user_name="b@contoso.com",
        display_name="Bo",
        updated_at=datetime(2026, 3, 5, tzinfo=UTC),
    )

    def names(sort: str | None) -> list[str]:
        text = admin_session.get(MEMBERS, {"sort": sort} if sort else {}).text
        return [re.search(r'<td data-label="Name">([^<]*)', row)[1] for row in _rows(text)]

    assert names(None) == ["Ann", "Bo", "Cleo"]
    assert names("state") == ["Ann", "Bo", "Cleo"]
    assert names("changed") == ["Cleo", "Bo", "Ann"]
    assert names("nonsense") == ["Ann", "Bo", "Cleo"]
    assert 'option value="changed" selected' in admin_session.get(MEMBERS, {"sort": "changed"}).text


def test_a_page_of_members_takes_the_same_queries_at_any_size(admin_session, enterprise, scim):
    """However many members and groups, and however much activity, a page reads a bounded number of rows
    sets: the count, the page, their groups, their last changes, their roles, the group list, the recently
    deleted, and the session's own."""
    sales = scim.post("/Groups", entra.create_group("Sales")).json()

    def grow(n: int) -> None:
        for i in range(n):
            user = scim.post("/Users", entra.create_user(f"p{i}-{n}@contoso.com")).json()
            scim.patch(f"/Users/{user['id']}", entra.patch({"op": "Replace", "path": "title", "value": "X"}))
            add = entra.patch({"op": "Add", "path": "members", "value": [{"value": user["id"]}]})
            scim.patch(f"/Groups/{sales['id']}", add)

    grow(3)
    with CaptureQueriesContext(connection) as small:
        assert admin_session.get(MEMBERS).status_code == 200
    grow(60)
    with CaptureQueriesContext(connection) as large:
        assert admin_session.get(MEMBERS).status_code == 200

    assert len(large) == len(small)
    assert len(large) <= 20


def test_group_counts_leave_out_recently_deleted_members(admin_session, enterprise, other_enterprise):
    sales = GroupFactory(enterprise=enterprise, display_name="Sales")
    GroupFactory(enterprise=enterprise, display_name="Empty")
    for name in ("a", "b", "c"):
        GroupMembershipFactory(
            group=sales, member=MemberFactory(enterprise=enterprise, user_name=f"{name}@c.com")
        )
    gone = MemberFactory(
        enterprise=enterprise, user_name="gone@c.com", deleted_at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    GroupMembershipFactory(group=sales, member=gone)
    GroupMembershipFactory(
        group=GroupFactory(enterprise=other_enterprise), member=MemberFactory(enterprise=other_enterprise)
    )

    text = admin_session.get(MEMBERS).text
    counts = re.findall(
        r'<td data-label="Group">(.*?)</td>\s*<td data-label="Members" class="num">(\d+)</td>', text
    )

    assert counts == [("Empty", "0"), ("Sales", "3")]

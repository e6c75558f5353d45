"""Seats: active Admins and Editors take one; a SCIM write that would take more than were bought is 403."""

from collections import Counter
from http import HTTPStatus

import pytest

from enterprise.credentials.services import enterprise_credentials_changed
from enterprise.directory.models import GroupMembership, Member
from enterprise.roles.selectors import seats
from tests.factories import GroupFactory, MemberFactory
from tests.parallel import in_parallel
from tests.scim import entra

ROLE_TYPE = "WindowsAzureActiveDirectoryRole"
FULL = (
    "Plandisc has no free {role} seat: {n} of {n} used. Ask your Plandisc admin for more seats, or make "
    "someone a Viewer."
)


def _license(enterprise, count: int | None) -> None:
    """What support does in the Django admin: set the seats, and let SCIM workers read them at once."""
    enterprise.seats = count
    enterprise.save()
    enterprise_credentials_changed(enterprise=enterprise)


def _role(value: str) -> list[dict]:
    return [{"primary": True, "type": ROLE_TYPE, "value": value}]


def _assert_refused(response, role: str, n: int) -> None:
    assert response.status_code == HTTPStatus.FORBIDDEN, response.content
    assert response.json() == {
        "schemas": [entra.ERROR],
        "status": "403",
        "detail": FULL.format(role=role, n=n),
    }


@pytest.mark.django_db
def test_a_create_beyond_the_seats_is_refused_in_words_and_nothing_is_written(scim, enterprise):
    _license(enterprise, 1)
    assert scim.post("/Users", entra.create_user("ann@contoso.com")).status_code == HTTPStatus.CREATED

    response = scim.post("/Users", entra.create_user("bo@contoso.com", roles=_role("Admin")))

    _assert_refused(response, "Admin", 1)
    assert list(Member.objects.values_list("user_name", flat=True)) == ["ann@contoso.com"]
    event = enterprise.provisioning_events.filter(method="POST", status=403).get()
    assert event.detail == FULL.format(role="Admin", n=1)


@pytest.mark.django_db
def test_viewers_take_no_seat(scim, enterprise):
    _license(enterprise, 1)
    scim.post("/Users", entra.create_user("ann@contoso.com"))

    response = scim.post("/Users", entra.create_user("vic@contoso.com", roles=_role("Viewer")))

    assert response.status_code == HTTPStatus.CREATED
    assert seats(enterprise) == seats(enterprise).__class__(licensed=1, admins=0, editors=1, viewers=1)


@pytest.mark.django_db
def test_a_reactivation_beyond_the_seats_is_refused_and_the_member_stays_deactivated(scim, enterprise):
    ann = scim.post("/Users", entra.create_user("ann@contoso.com")).json()
    scim.patch(f"/Users/{ann['id']}", entra.DISABLE_DEFAULT)
    scim.post("/Users", entra.create_user("bo@contoso.com"))
    _license(enterprise, 1)

    response = scim.patch(f"/Users/{ann['id']}", entra.ENABLE_DEFAULT)

    _assert_refused(response, "Editor", 1)
    assert not Member.objects.get(user_name="ann@contoso.com").active


@pytest.mark.django_db
def test_an_app_role_change_beyond_the_seats_is_refused(scim, enterprise):
    scim.post("/Users", entra.create_user("ann@contoso.com"))
    vic = scim.post("/Users", entra.create_user("vic@contoso.com", roles=_role("Viewer"))).json()
    _license(enterprise, 1)

    replace = {"op": "replace", "path": "roles", "value": _role("Editor")}
    response = scim.patch(f"/Users/{vic['id']}", entra.patch(replace))

    _assert_refused(response, "Editor", 1)
    assert Member.objects.get(user_name="vic@contoso.com").app_role == "viewer"


@pytest.mark.django_db
def test_a_group_that_would_raise_a_viewer_beyond_the_seats_is_refused(scim, enterprise):
    scim.post("/Users", entra.create_user("ann@contoso.com"))
    vic = scim.post("/Users", entra.create_user("vic@contoso.com", roles=_role("Viewer"))).json()
    group = scim.post("/Groups", entra.create_group()).json()
    GroupFactory._meta.model.objects.filter(scim_id=group["id"]).update(role="editor")
    _license(enterprise, 1)

    add = {"op": "Add", "path": "members", "value": [{"value": vic["id"]}]}
    response = scim.patch(f"/Groups/{group['id']}", entra.patch(add))

    _assert_refused(response, "Editor", 1)
    assert not GroupMembership.objects.exists()


@pytest.mark.django_db
def test_unlimited_seats_refuse_nothing_and_the_page_counts_by_role(scim, enterprise, admin_session):
    for n in range(3):
        scim.post(
            "/Users", entra.create_user(f"u{n}@contoso.com", roles=_role(["Admin", "Editor", "Viewer"][n]))
        )

    assert seats(enterprise) == seats(enterprise).__class__(licensed=None, admins=1, editors=1, viewers=1)
    page = admin_session.get(f"/enterprise/{enterprise.slug}/").text
    assert "2 (unlimited)" in page and 'id="seats-warning"' not in page


@pytest.mark.django_db
def test_the_page_warns_at_ninety_percent_of_the_seats(admin_session, enterprise):
    for n in range(9):
        MemberFactory(enterprise=enterprise, user_name=f"u{n}@contoso.com")
    _license(enterprise, 10)

    page = admin_session.get(f"/enterprise/{enterprise.slug}/").text

    assert "9 of 10, 1 free" in page
    assert "9 of 10 seats are taken." in page


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_the_last_seat_exactly_one_wins(scim, enterprise):
    _license(enterprise, 1)

    statuses = in_parallel(
        lambda i: scim.post("/Users", entra.create_user(f"u{i}@contoso.com", externalId=f"u{i}")).status_code,
        6,
    )

    assert Counter(statuses) == {HTTPStatus.CREATED: 1, HTTPStatus.FORBIDDEN: 5}
    assert Member.objects.filter(enterprise=enterprise).count() == 1

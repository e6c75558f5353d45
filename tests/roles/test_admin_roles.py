"""Entra groups grant the Enterprise admin role: mapped on the page, granted and revoked by SCIM at once,
never reaching an account another enterprise owns, never leaving the enterprise without an admin from the
page, every grant and revoke audited."""

from dataclasses import dataclass
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from enterprise.activity.models import AuditEvent
from enterprise.directory.models import Group, Member
from enterprise.roles.selectors import admin_warning, enterprise_admins
from enterprise.roles.services import enterprise_admin_groups_set
from enterprise.sso.services import enterprise_admin_ensure, login_account_create
from tests.factories import MemberFactory, UserFactory
from tests.scim import entra

pytestmark = pytest.mark.django_db

PAGE = "/enterprise/contoso/"
MAP = "/enterprise/contoso/admins/groups/"
API = "/enterprise/contoso/api/admins/"


@dataclass
class Person:
    id: str  # SCIM id
    client: Client  # signed in as their login account


def _person(scim, enterprise, user_name: str, owner=None) -> Person:
    """A provisioned member who signed in once through single sign-on (a login account `owner` owns)."""
    scim_id = scim.post("/Users", entra.create_user(user_name)).json()["id"]
    user = login_account_create(enterprise=owner or enterprise, name=user_name, email=user_name)
    Member.objects.filter(scim_id=scim_id).update(user=user)
    client = Client()
    client.force_login(user)
    return Person(scim_id, client)


def _add(scim, group_id: str, *people: Person) -> None:
    body = entra.patch({"op": "Add", "path": "members", "value": [{"value": p.id} for p in people]})
    assert scim.patch(f"/Groups/{group_id}", body).status_code == HTTPStatus.NO_CONTENT


@pytest.fixture
def alex(scim, enterprise) -> Person:
    return _person(scim, enterprise, "alex@contoso.com")


@pytest.fixture
def admins_group(scim, alex) -> str:
    """The Entra group "Plandisc Admins" with alex in it, not yet mapped."""
    group_id = scim.post("/Groups", entra.create_group("Plandisc Admins")).json()["id"]
    _add(scim, group_id, alex)
    return group_id


def _map(admin_session, *group_ids: str):
    pks = [Group.objects.get(scim_id=i).pk for i in group_ids]
    return admin_session.post(MAP, {"groups": pks})


def _audit(enterprise) -> list[tuple]:
    events = enterprise.audit_events.filter(action__startswith="admin_").order_by("id")
    return [(e.action, e.detail, e.done_by) for e in events]


def test_a_mapped_group_makes_its_member_an_admin_and_the_page_says_why(
    admin_session, enterprise, alex, admins_group
):
    assert alex.client.get(PAGE).status_code == HTTPStatus.FORBIDDEN

    response = _map(admin_session, admins_group)

    assert response.status_code == HTTPStatus.FOUND and response["Location"] == PAGE + "#admins"
    assert alex.client.get(PAGE).status_code == HTTPStatus.OK
    assert alex.client.get("/enterprise/").url == PAGE
    text = admin_session.get(PAGE).text
    assert "<td>admin@contoso.example</td>\n            <td>By hand</td>" in text
    assert "<td>alex@contoso.com</td>\n            <td>Through group Plandisc Admins</td>" in text
    assert _audit(enterprise) == [
        ("admin_granted", "alex@contoso.com through group Plandisc Admins", "admin@contoso.example"),
        ("admin_groups_changed", "Plandisc Admins", "admin@contoso.example"),
    ]
    assert "alex@contoso.com through group Plandisc Admins" in text.split('id="changes"')[1]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda scim, g, p: entra.patch({"op": "Remove", "path": "members", "value": [{"value": p}]}),
            id="remove-default-dialect",
        ),
        pytest.param(
            lambda scim, g, p: entra.patch({"op": "remove", "path": f'members[value eq "{p}"]'}),
            id="remove-flag-dialect",
        ),
        pytest.param(
            lambda scim, g, p: entra.patch({"op": "replace", "path": "members", "value": []}), id="replace"
        ),
    ],
)
def test_a_removal_from_the_group_revokes_the_role_at_the_next_request(
    admin_session, enterprise, scim, alex, admins_group, change
):
    _map(admin_session, admins_group)
    assert alex.client.get(PAGE).status_code == HTTPStatus.OK

    response = scim.patch(f"/Groups/{admins_group}", change(scim, admins_group, alex.id))

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert alex.client.get(PAGE).status_code == HTTPStatus.FORBIDDEN
    assert _audit(enterprise)[-1] == (
        "admin_revoked",
        "alex@contoso.com through group Plandisc Admins",
        "your identity provider (SCIM)",
    )


def test_deactivation_revokes_and_reactivation_grants_again(
    admin_session, enterprise, scim, alex, admins_group
):
    _map(admin_session, admins_group)

    scim.patch(f"/Users/{alex.id}", entra.DISABLE_DEFAULT)
    assert alex.client.get(PAGE).status_code == HTTPStatus.FORBIDDEN
    scim.patch(f"/Users/{alex.id}", entra.ENABLE_DEFAULT)
    assert alex.client.get(PAGE).status_code == HTTPStatus.OK

    assert [a[:2] for a in _audit(enterprise)[-2:]] == [
        ("admin_revoked", "alex@contoso.com through group Plandisc Admins (deactivated)"),
        ("admin_granted", "alex@contoso.com through group Plandisc Admins (reactivated)"),
    ]


def test_deleting_the_group_or_the_person_revokes(admin_session, enterprise, scim, alex, admins_group):
    bo = _person(scim, enterprise, "bo@contoso.com")
    other = scim.post("/Groups", entra.create_group("Plandisc Owners")).json()["id"]
    _add(scim, other, bo)
    _map(admin_session, admins_group, other)
    assert bo.client.get(PAGE).status_code == HTTPStatus.OK

    assert scim.delete(f"/Groups/{admins_group}").status_code == HTTPStatus.NO_CONTENT
    assert alex.client.get(PAGE).status_code == HTTPStatus.FORBIDDEN
    assert scim.delete(f"/Users/{bo.id}").status_code == HTTPStatus.NO_CONTENT
    assert bo.client.get(PAGE).status_code == HTTPStatus.FORBIDDEN

    assert [a[:2] for a in _audit(enterprise)[-2:]] == [
        ("admin_revoked", "alex@contoso.com through group Plandisc Admins (group deleted)"),
        ("admin_revoked", "bo@contoso.com through group Plandisc Owners (deleted)"),
    ]


def test_an_addition_grants_at_once_and_is_recorded(admin_session, enterprise, scim, alex, admins_group):
    _map(admin_session, admins_group)
    bo = _person(scim, enterprise, "bo@contoso.com")
    assert bo.client.get(PAGE).status_code == HTTPStatus.FORBIDDEN

    _add(scim, admins_group, bo, alex)

    assert bo.client.get(PAGE).status_code == HTTPStatus.OK
    assert _audit(enterprise)[-1] == (
        "admin_granted",
        "bo@contoso.com through group Plandisc Admins",
        "your identity provider (SCIM)",
    )
    assert len([a for a in _audit(enterprise) if a[0] == "admin_granted"]) == 2


def test_a_role_never_reaches_an_account_another_enterprise_owns(
    admin_session, enterprise, other_enterprise, scim, admins_group
):
    mallory = _person(scim, enterprise, "mallory@fabrikam.com", owner=other_enterprise)
    _add(scim, admins_group, mallory)
    _map(admin_session, admins_group)

    assert mallory.client.get(PAGE).status_code == HTTPStatus.FORBIDDEN
    assert [a.user.get_username() for a in enterprise_admins(enterprise)] == [
        "admin@contoso.example",
        "alex@contoso.com",
    ]
    assert "mallory" not in " ".join(a[1] for a in _audit(enterprise))


def test_the_page_cannot_leave_the_enterprise_without_an_admin(
    admin_session, enterprise, scim, alex, admins_group
):
    _map(admin_session, admins_group)
    enterprise.admins.clear()
    text = alex.client.get(PAGE).text
    assert "Every admin comes from an Entra group" in text

    response = alex.client.post(MAP, {"groups": []}, follow=True)

    assert "This would leave the enterprise without an admin: keep at least one." in response.text
    assert Group.objects.get(scim_id=admins_group).role == "admin"
    api = alex.client.post(API + "groups/", {"groups": []}, content_type="application/json")
    assert api.status_code == HTTPStatus.BAD_REQUEST
    assert api.json() == {"__all__": ["This would leave the enterprise without an admin: keep at least one."]}


def test_entra_removing_the_last_admin_is_applied_and_warned_about(enterprise, scim, alex, admins_group):
    enterprise_admin_groups_set(enterprise=enterprise, groups=list(Group.objects.all()))
    enterprise.admins.clear()

    scim.patch(f"/Users/{alex.id}", entra.DISABLE_FLAG)

    admins = enterprise_admins(enterprise)
    assert admins == []
    assert admin_warning(admins).startswith("No admin remains: nobody can manage this enterprise.")


def test_the_api_lists_admins_and_sets_admin_groups(admin_session, enterprise, alex, admins_group):
    response = admin_session.post(
        API + "groups/", {"groups": [admins_group]}, content_type="application/json"
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "admins": [
            {"username": "admin@contoso.example", "by_hand": True, "groups": []},
            {"username": "alex@contoso.com", "by_hand": False, "groups": ["Plandisc Admins"]},
        ],
        "admin_groups": [{"id": admins_group, "display_name": "Plandisc Admins"}],
        "warning": "",
    }
    assert alex.client.get(API).json()["admins"][1]["username"] == "alex@contoso.com"
    unknown = admin_session.post(
        API + "groups/", {"groups": ["2f1d9c2e-0000-4000-8000-000000000000"]}, content_type="application/json"
    )
    assert unknown.status_code == HTTPStatus.BAD_REQUEST


def test_grants_and_revokes_are_in_the_django_admin(client, enterprise, scim, alex, admins_group):
    enterprise_admin_groups_set(enterprise=enterprise, groups=list(Group.objects.all()))
    scim.delete(f"/Users/{alex.id}")
    client.force_login(UserFactory(username="support@plandisc.example", is_staff=True, is_superuser=True))

    text = client.get(reverse("admin:activity_auditevent_changelist"), {"action": "admin_revoked"}).text

    assert "alex@contoso.com through group Plandisc Admins (deleted)" in text
    assert AuditEvent.objects.filter(action="admin_granted").count() == 1


def test_admins_set_by_hand_in_the_django_admin_are_audited(client, enterprise, admin_user):
    support = UserFactory(username="support@plandisc.example", is_staff=True, is_superuser=True)
    ada = UserFactory(username="ada@contoso.example")
    client.force_login(support)
    url = reverse("admin:enterprise_enterprise_change", args=[enterprise.pk])
    form = {
        "name": "Contoso",
        "slug": "contoso",
        "scim_enabled": "on",
        "access_token_lifetime": "3600",
        "default_role": "editor",
        "admins": [str(ada.pk)],
        "scim_tokens-TOTAL_FORMS": "0",
        "scim_tokens-INITIAL_FORMS": "0",
    }

    response = client.post(url, form)

    assert response.status_code == HTTPStatus.FOUND, response.text[:2000]
    assert _audit(enterprise) == [
        ("admin_granted", "ada@contoso.example by hand", "support@plandisc.example"),
        ("admin_revoked", "admin@contoso.example by hand", "support@plandisc.example"),
    ]


def test_the_command_records_an_admin_it_makes(enterprise):
    enterprise_admin_ensure(enterprise=enterprise, email="bo@contoso.example", password=None)

    assert _audit(enterprise) == [("admin_granted", "bo@contoso.example by hand", "Plandisc support")]


def test_support_gives_a_member_a_role_by_hand_in_the_django_admin(client, enterprise):
    support = UserFactory(username="support@plandisc.example", is_staff=True, is_superuser=True)
    member = MemberFactory(enterprise=enterprise, user_name="bo@contoso.example")
    client.force_login(support)

    response = client.post(
        reverse("admin:directory_member_changelist"),
        {"action": "role_by_hand_admin", "_selected_action": [member.pk]},
    )

    assert response.status_code == HTTPStatus.FOUND
    member.refresh_from_db()
    assert member.role_by_hand == "admin"
    audit = enterprise.audit_events.get(action="role_changed")
    assert (audit.detail, audit.done_by) == (
        "bo@contoso.example is now Admin (by hand)",
        "support@plandisc.example",
    )

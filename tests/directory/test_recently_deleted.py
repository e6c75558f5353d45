"""
Deletions that can be undone: Entra's DELETE ends access and SCIM answers 404 from then on, but the member is
kept as recently deleted for MEMBER_RETENTION_DAYS: an admin restores them (same SCIM id), Entra's creating
the same person again brings the record back, and the worker purges it after the window.
"""

from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.test import Client

from enterprise.activity.batch import batch
from enterprise.activity.models import AuditEvent
from enterprise.directory.models import Group, Member
from enterprise.directory.tasks import deleted_members_purge
from enterprise.roles.services import enterprise_admin_groups_set
from enterprise.sso.services import login_account_create
from tests.scim import entra

pytestmark = pytest.mark.django_db

USER_NAME = "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"


def _created(scim, body=None) -> dict:
    response = scim.post("/Users", body or entra.create_user())
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def _in_group(scim, user_id: str) -> str:
    group = scim.post("/Groups", entra.create_group("Sales")).json()
    patched = scim.patch(
        f"/Groups/{group['id']}",
        entra.patch({"op": "Add", "path": "members", "value": [{"value": user_id}]}),
    )
    assert patched.status_code == HTTPStatus.NO_CONTENT
    return group["id"]


def _restore(admin_session, user_id: str):
    return admin_session.post(f"/enterprise/contoso/members/{user_id}/restore/", follow=True)


def test_a_deleted_member_is_404_for_every_method_and_left_out_of_filters_and_lists(scim):
    user = _created(scim)
    group_id = _in_group(scim, user["id"])

    assert scim.delete(f"/Users/{user['id']}").status_code == HTTPStatus.NO_CONTENT

    path = f"/Users/{user['id']}"
    assert scim.get(path).status_code == HTTPStatus.NOT_FOUND
    assert scim.patch(path, entra.DISABLE_DEFAULT).status_code == HTTPStatus.NOT_FOUND
    assert scim.put(path, entra.create_user()).status_code == HTTPStatus.NOT_FOUND
    assert scim.delete(path).status_code == HTTPStatus.NOT_FOUND
    by_name = scim.get(f"/Users?filter=userName+eq+%22{USER_NAME}%22").json()
    by_external_id = scim.get('/Users?filter=externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"').json()
    assert by_name["totalResults"] == by_external_id["totalResults"] == 0
    assert scim.get("/Users").json()["totalResults"] == 0
    assert scim.get(f"/Groups/{group_id}").json()["members"] == []


def test_a_deleted_member_is_kept_inactive_with_their_groups_and_who_deleted_them(scim, enterprise):
    user = _created(scim)
    _in_group(scim, user["id"])

    scim.delete(f"/Users/{user['id']}")

    member = Member.recently_deleted.get(scim_id=user["id"])
    assert member.active is False
    assert member.deleted_at is not None
    assert member.deleted_by.startswith("SCIM token pdscim_…")
    assert list(member.groups.values_list("display_name", flat=True)) == ["Sales"]
    assert not Member.objects.filter(enterprise=enterprise).exists()


def test_delete_then_404_then_restore_then_200_with_the_same_id_and_groups(scim, admin_session):
    user = _created(scim)
    group_id = _in_group(scim, user["id"])
    scim.delete(f"/Users/{user['id']}")
    assert scim.get(f"/Users/{user['id']}").status_code == HTTPStatus.NOT_FOUND

    response = _restore(admin_session, user["id"])

    assert f"{USER_NAME} is restored: active again, with their groups." in response.text
    restored = scim.get(f"/Users/{user['id']}")
    assert restored.status_code == HTTPStatus.OK
    assert restored.json()["id"] == user["id"]
    assert restored.json()["active"] is True
    assert restored.json()["groups"][0]["value"] == group_id
    assert scim.get(f"/Groups/{group_id}").json()["members"][0]["value"] == user["id"]


def test_a_restore_is_audited_with_the_admin_who_did_it(scim, admin_session):
    user = _created(scim)
    scim.delete(f"/Users/{user['id']}")

    _restore(admin_session, user["id"])

    event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBER_RESTORED)
    assert (event.detail, event.actor.username) == (USER_NAME, "admin@contoso.example")


def test_a_member_cannot_be_restored_over_someone_who_has_their_username_now(scim, admin_session):
    first = _created(scim)
    scim.delete(f"/Users/{first['id']}")
    other = _created(scim, entra.create_user("someone.else@contoso.com", externalId="other"))
    scim.patch(
        f"/Users/{other['id']}", entra.patch({"op": "Replace", "path": "userName", "value": USER_NAME})
    )

    response = _restore(admin_session, first["id"])

    assert f"{USER_NAME} cannot be restored: another member has that userName now." in response.text
    assert Member.recently_deleted.filter(scim_id=first["id"]).exists()


def test_a_deleted_member_does_not_block_another_member_taking_the_username(scim):
    first = _created(scim)
    scim.delete(f"/Users/{first['id']}")
    other = _created(scim, entra.create_user("someone.else@contoso.com", externalId="other"))

    renamed = scim.patch(
        f"/Users/{other['id']}", entra.patch({"op": "Replace", "path": "userName", "value": USER_NAME})
    )

    assert renamed.status_code == HTTPStatus.OK
    assert renamed.json()["userName"] == USER_NAME


def test_entra_creating_the_same_person_again_brings_back_the_record_with_groups_and_history(
    scim, enterprise
):
    user = _created(scim)
    group_id = _in_group(scim, user["id"])
    scim.delete(f"/Users/{user['id']}")

    again = scim.post("/Users", entra.create_user())

    assert again.status_code == HTTPStatus.CREATED
    body = again.json()
    assert body["id"] == user["id"]
    assert body["active"] is True
    assert body["groups"][0]["value"] == group_id
    assert body["meta"]["created"] == user["meta"]["created"]
    assert again["Location"].endswith(f"/Users/{user['id']}")
    member = Member.objects.get(enterprise=enterprise)
    assert member.deleted_at is None and member.deleted_by == ""
    summaries = list(
        enterprise.provisioning_events.filter(target_id=user["id"])
        .order_by("pk")
        .values_list("summary", flat=True)
    )
    assert summaries[-1] == f"Created member {USER_NAME} again: brought back the deleted record"
    assert f"Created member {USER_NAME}" in summaries


def test_the_same_external_id_under_a_new_username_brings_back_the_record(scim):
    user = _created(scim)
    scim.delete(f"/Users/{user['id']}")

    again = scim.post("/Users", entra.create_user("renamed@contoso.com"))

    assert again.status_code == HTTPStatus.CREATED
    assert again.json()["id"] == user["id"]
    assert again.json()["userName"] == "renamed@contoso.com"


def test_the_same_username_under_another_external_id_brings_back_the_record(scim):
    user = _created(scim)
    scim.delete(f"/Users/{user['id']}")

    again = scim.post("/Users", entra.create_user(externalId="a-new-object-id"))

    assert again.json()["id"] == user["id"]
    assert again.json()["externalId"] == "a-new-object-id"


def test_someone_else_is_a_new_member_while_a_deletion_is_kept(scim):
    user = _created(scim)
    scim.delete(f"/Users/{user['id']}")

    other = scim.post("/Users", entra.create_user("new.person@contoso.com", externalId="new-object-id"))

    assert other.status_code == HTTPStatus.CREATED
    assert other.json()["id"] != user["id"]
    assert Member.recently_deleted.filter(scim_id=user["id"]).exists()


def test_the_worker_purges_a_deleted_member_after_the_window_and_not_before(scim, settings):
    user = _created(scim)
    _in_group(scim, user["id"])
    scim.delete(f"/Users/{user['id']}")
    deleted_at = Member.recently_deleted.get(scim_id=user["id"]).deleted_at

    with time_machine.travel(
        deleted_at + timedelta(days=settings.MEMBER_RETENTION_DAYS) - timedelta(hours=1)
    ):
        deleted_members_purge()
    kept = Member.recently_deleted.filter(scim_id=user["id"]).exists()
    with time_machine.travel(deleted_at + timedelta(days=settings.MEMBER_RETENTION_DAYS, hours=2)):
        deleted_members_purge()

    assert kept
    assert not Member._base_manager.filter(scim_id=user["id"]).exists()
    assert Group.objects.get().memberships.count() == 0
    assert scim.post("/Users", entra.create_user()).json()["id"] != user["id"]


def test_the_members_view_lists_who_was_deleted_when_and_by_what(scim, admin_session):
    user = _created(scim)
    scim.delete(f"/Users/{user['id']}")
    deleted_at = Member.recently_deleted.get().deleted_at

    text = admin_session.get("/enterprise/contoso/members/").text

    row = text[text.index(f'id="deleted-{user["id"]}"') :].split("</tr>")[0]
    assert f'<td data-label="Username" class="user-name">{USER_NAME}</td>' in row
    stamp = f'<time datetime="{deleted_at:%Y-%m-%dT%H:%M:%S}Z" title="{deleted_at:%-d %b %Y, %H:%M} UTC"'
    assert stamp in row
    assert "just now</time> by your identity provider" in row
    # Which credential deleted them is there on demand, folded.
    assert '<details class="request"><summary>Request details</summary>With SCIM token pdscim_…' in row
    assert f'action="/enterprise/contoso/members/{user["id"]}/restore/"' in row
    assert "0 members" in text


def test_only_an_admin_of_the_enterprise_restores(scim, member_session):
    user = _created(scim)
    scim.delete(f"/Users/{user['id']}")

    response = member_session.post(f"/enterprise/contoso/members/{user['id']}/restore/")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Member.recently_deleted.filter(scim_id=user["id"]).exists()


@pytest.mark.django_db(transaction=True)
def test_creating_a_member_is_still_one_insert_and_finding_one_still_two_selects(
    scim, settings, django_assert_num_queries
):
    # Activity rows are written later, in batches, as in production: the request's own statements are counted.
    settings.SCIM_ACTIVITY_BATCH, settings.SCIM_ACTIVITY_MAX_DELAY = 1000, 60
    try:
        scim.get(entra.TEST_CONNECTION)  # authenticates; the credential is cached for the next requests
        with django_assert_num_queries(1):
            created = scim.post("/Users", entra.create_user())
        # The member, and their groups.
        with django_assert_num_queries(2):
            found = scim.get(f"/Users?filter=userName+eq+%22{USER_NAME}%22")
    finally:
        batch.flush()

    assert created.status_code == HTTPStatus.CREATED
    assert found.json()["totalResults"] == 1


@pytest.mark.parametrize("comes_back", ["restored by an admin", "created again by Entra"])
def test_the_admin_role_a_group_gave_goes_with_the_deletion_and_comes_back_with_the_member(
    comes_back, scim, enterprise, admin_session
):
    alex = scim.post("/Users", entra.create_user("alex@contoso.com", externalId="alex")).json()["id"]
    account = login_account_create(enterprise=enterprise, name="alex@contoso.com", email="alex@contoso.com")
    Member.objects.filter(scim_id=alex).update(user=account)
    group_id = _in_group(scim, alex)
    enterprise_admin_groups_set(enterprise=enterprise, groups=[Group.objects.get(scim_id=group_id)])
    browser = Client()
    browser.force_login(account)
    assert browser.get("/enterprise/contoso/").status_code == HTTPStatus.OK

    scim.delete(f"/Users/{alex}")
    while_deleted = browser.get("/enterprise/contoso/").status_code
    if comes_back == "restored by an admin":
        _restore(admin_session, alex)
    else:
        assert (
            scim.post("/Users", entra.create_user("alex@contoso.com", externalId="alex")).json()["id"] == alex
        )

    assert while_deleted == HTTPStatus.FORBIDDEN
    assert browser.get("/enterprise/contoso/").status_code == HTTPStatus.OK
    why = "restored" if comes_back == "restored by an admin" else "created again"
    assert list(
        enterprise.audit_events.filter(action__in=["admin_granted", "admin_revoked"])
        .order_by("pk")
        .values_list("action", "detail")
    )[-2:] == [
        ("admin_revoked", "alex@contoso.com through group Sales (deleted)"),
        ("admin_granted", f"alex@contoso.com through group Sales ({why})"),
    ]

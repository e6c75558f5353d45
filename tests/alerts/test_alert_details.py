"""What each kind of alert says and when, who gets it, and the undo that mass deprovisioning links to."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from enterprise.activity.models import AuditEvent
from enterprise.alerts.models import Alert
from enterprise.alerts.services import alerts_check
from enterprise.credentials.models import ClientSecret, ScimToken
from enterprise.credentials.services import client_secret_create, federation_trust_save, scim_token_revoke
from enterprise.directory.models import Member
from enterprise.services import enterprise_scim_toggle
from tests.factories import ProvisioningEventFactory, UserFactory
from tests.scim import entra

pytestmark = pytest.mark.django_db

ADMIN = "admin@contoso.example"


def _expiring_secret(enterprise, days: float) -> ClientSecret:
    secret, _ = client_secret_create(enterprise=enterprise, years=1)
    ClientSecret.objects.filter(pk=secret.pk).update(expires_at=timezone.now() + timedelta(days=days))
    return secret


def test_a_new_episode_within_the_hour_of_the_last_email_waits_for_the_hour(enterprise, mailbox, clock):
    secret = _expiring_secret(enterprise, 20)
    alerts_check()  # the first email
    clock.shift(timedelta(minutes=5))
    newer, _ = client_secret_create(enterprise=enterprise, years=1)
    alerts_check()  # resolved
    clock.shift(timedelta(minutes=5))
    ClientSecret.objects.filter(pk=newer.pk).update(revoked_at=timezone.now())
    alerts_check()  # a new episode, 10 minutes after the first email: held back
    held = len(mailbox.received)
    clock.shift(timedelta(minutes=51))
    alerts_check()

    assert ClientSecret.objects.get(pk=secret.pk).revoked_at is None
    assert held == 2
    assert mailbox.subjects[1] == "Resolved: Credential expiring or gone for Contoso"
    assert (
        mailbox.subjects[2]
        == "Credential expiring or gone for Contoso: Your OAuth client secret expires soon"
    )
    assert Alert.objects.filter(kind="credential_expiring", resolved_at__isnull=True).count() == 1


def test_a_client_secret_is_announced_at_30_then_7_then_1_days(enterprise, mailbox, clock):
    _expiring_secret(enterprise, 31)
    alerts_check()  # 31 days left: nothing yet
    for days in (2, 1, 22, 1, 4.5):  # 29 days left, 28, 6, 5, 12 hours
        clock.shift(timedelta(days=days))
        alerts_check()

    texts = [mailbox.text(i) for i in range(len(mailbox.received))]
    assert len(texts) == 3
    assert "in 4 weeks, 1 day. Create a new one" in texts[0]
    assert "in 6 days. Create a new one" in texts[1]
    assert "in 12 hours. Create a new one" in texts[2]


def test_the_saml_certificate_is_announced_at_30_and_7_days(enterprise, mailbox, clock):
    from enterprise.sso.models import SsoConnection

    SsoConnection.objects.create(
        enterprise=enterprise,
        idp_metadata="<xml/>",
        idp_entity_id="https://sts.windows.net/t/",
        idp_sso_url="https://login.microsoftonline.com/t/saml2",
        certificate_expires_at=timezone.now() + timedelta(days=29),
    )
    alerts_check()
    clock.shift(timedelta(days=23))
    alerts_check()
    clock.shift(timedelta(days=1))
    alerts_check()

    assert [m["Subject"] for _, m in mailbox.received] == [
        "Credential expiring or gone for Contoso: Entra's SAML signing certificate expires soon"
    ] * 2
    assert "then nobody can sign in with single sign-on" in mailbox.text()


def test_revoking_the_last_live_credential_is_an_alert(enterprise, scim, mailbox):
    scim_token_revoke(token=ScimToken.objects.get())

    alerts_check()

    assert mailbox.subjects == [
        "Credential expiring or gone for Contoso: No live credential: provisioning requests fail"
    ]
    assert (
        "the last SCIM token, client secret or federation trust has expired or been revoked" in mailbox.text()
    )


def test_a_federation_trust_whose_keys_cannot_be_fetched_is_an_alert(enterprise, mailbox, settings):
    settings.SCIM_JWKS_ALLOW_LOOPBACK = True
    with __import__("socket").socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    federation_trust_save(
        enterprise=enterprise,
        issuer="https://login.microsoftonline.com/tenant/v2.0",
        jwks_url=f"http://127.0.0.1:{port}/keys",
        subject="subject",
        audience="api://plandisc",
    )

    alerts_check()

    assert mailbox.subjects == ["Credential expiring or gone for Contoso: Federation keys cannot be fetched"]
    assert f"The signing keys at http://127.0.0.1:{port}/keys could not be read" in mailbox.text()


def test_failures_name_the_top_reasons_in_words_and_what_to_do(enterprise, mailbox):
    now = timezone.now()
    ProvisioningEventFactory.create_batch(20, enterprise=enterprise, created_at=now)
    ProvisioningEventFactory.create_batch(
        8, enterprise=enterprise, created_at=now, status=401, detail="The bearer token is missing."
    )
    ProvisioningEventFactory.create_batch(
        3,
        enterprise=enterprise,
        created_at=now,
        method="POST",
        status=409,
        detail="A user with userName 'x'.",
    )

    alerts_check()

    text = mailbox.text()
    assert "11 of the last hour's 31 SCIM requests failed (35 %)" in text
    assert (
        "8 × 401 Unauthorized: The bearer token is missing.\n3 × 409 Conflict: A user with userName 'x'."
        in text
    )
    assert "Compare Entra's Admin Credentials with the Enterprise page" in text
    assert "Check the attribute mappings and the matching attribute in Entra" in text
    assert "quarantine" in text


def test_entras_reads_of_people_it_deleted_are_not_failures(enterprise, mailbox):
    now = timezone.now()
    ProvisioningEventFactory.create_batch(10, enterprise=enterprise, created_at=now)
    ProvisioningEventFactory.create_batch(
        15, enterprise=enterprise, created_at=now, status=404, resource_id="5171a35d", detail="User not found"
    )

    alerts_check()

    assert mailbox.received == []


def test_silence_is_not_an_alert_while_provisioning_is_off_or_before_the_first_call(
    enterprise, mailbox, clock
):
    clock.shift(timedelta(days=1))
    alerts_check()
    ProvisioningEventFactory(enterprise=enterprise, created_at=timezone.now())
    enterprise_scim_toggle(enterprise=enterprise, enabled=False)
    clock.shift(timedelta(hours=5))
    alerts_check()

    assert mailbox.received == []


def test_turning_provisioning_off_ends_a_silence_alert(enterprise, mailbox, clock):
    ProvisioningEventFactory(enterprise=enterprise, created_at=timezone.now())
    clock.shift(timedelta(hours=3))
    alerts_check()
    enterprise_scim_toggle(enterprise=enterprise, enabled=False)
    alerts_check()

    assert mailbox.subjects[1] == "Resolved: Provisioning silent for Contoso"
    assert not Alert.objects.filter(resolved_at__isnull=True).exists()


def _mass_deletion(scim) -> list[str]:
    ids = [
        scim.post("/Users", entra.create_user(f"person{n:02}@contoso.com", externalId=f"object-{n}")).json()[
            "id"
        ]
        for n in range(30)
    ]
    for scim_id in ids[:12]:
        scim.delete(f"/Users/{scim_id}")
    for scim_id in ids[12:15]:
        scim.patch(f"/Users/{scim_id}", entra.DISABLE_DEFAULT)
    return ids


def test_mass_deprovisioning_says_who_by_which_requests_and_links_to_undo(scim, mailbox, clock):
    _mass_deletion(scim)

    alerts_check()

    text = mailbox.text()
    assert mailbox.subjects == [
        "Mass deprovisioning for Contoso: 15 people deactivated or deleted within an hour"
    ]
    assert "15 of the 30 people who were active an hour ago were deactivated or deleted (50 %)." in text
    deleted = ", ".join(f"person{n:02}@contoso.com" for n in range(12))
    assert f"Deleted (12): {deleted}." in text
    assert "Deactivated (3): person12@contoso.com, person13@contoso.com, person14@contoso.com." in text
    assert "By 15 SCIM requests from your identity provider through SCIM token pdscim_…" in text
    assert "one action restores every deletion of this episode" in text
    assert "/enterprise/contoso/members/#recently-deleted" in text


def test_fewer_than_ten_people_or_a_tenth_is_no_alert(scim, mailbox):
    for n in range(9):
        created = scim.post("/Users", entra.create_user(f"p{n}@contoso.com", externalId=f"o{n}")).json()
        scim.delete(f"/Users/{created['id']}")

    alerts_check()

    assert mailbox.received == []


def test_one_action_restores_every_deletion_of_the_episode_with_the_same_ids(scim, mailbox, admin_session):
    ids = _mass_deletion(scim)
    alerts_check()
    episode = Alert.objects.get(kind="mass_deprovisioning")
    page = admin_session.get("/enterprise/contoso/members/").text
    assert f'action="/enterprise/contoso/members/episodes/{episode.pk}/restore/"' in page

    response = admin_session.post(f"/enterprise/contoso/members/episodes/{episode.pk}/restore/", follow=True)

    assert "12 members restored: active again, with their groups." in response.text
    for scim_id in ids[:12]:
        restored = scim.get(f"/Users/{scim_id}")
        assert restored.status_code == HTTPStatus.OK
        assert restored.json()["active"] is True
    assert not Member.recently_deleted.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MEMBER_RESTORED).count() == 12


def test_an_admin_who_opts_out_of_a_kind_gets_none_of_it_and_the_notification_address_gets_all(
    enterprise, admin_session, mailbox, clock
):
    other = UserFactory(username="ops@contoso.example")
    enterprise.admins.add(other)
    admin_session.post(
        "/enterprise/contoso/alerts/address/", {"notification_email": "it-team@contoso.example"}
    )
    kinds = ["failures_rising", "credential_expiring", "mass_deprovisioning"]  # not provisioning_silent
    admin_session.post("/enterprise/contoso/alerts/kinds/", {"kinds": kinds})
    ProvisioningEventFactory(enterprise=enterprise, created_at=timezone.now())
    clock.shift(timedelta(hours=3))

    alerts_check()

    assert sorted(to for [to] in mailbox.recipients) == ["it-team@contoso.example", "ops@contoso.example"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.ALERT_SETTINGS_CHANGED)
    assert (event.detail, event.actor.username) == ("it-team@contoso.example", ADMIN)
    page = admin_session.get("/enterprise/contoso/").text
    assert '<input type="checkbox" name="kinds" value="provisioning_silent" id="id_kinds_0">' in page
    assert '<input type="checkbox" name="kinds" value="failures_rising" id="id_kinds_1" checked>' in page


def test_no_email_ever_carries_a_secret(enterprise, mailbox, clock):
    _, token = __import__("enterprise.credentials.services", fromlist=["x"]).scim_token_rotate(
        enterprise=enterprise
    )
    secret, raw = client_secret_create(enterprise=enterprise, years=1)
    ClientSecret.objects.filter(pk=secret.pk).update(expires_at=timezone.now() + timedelta(days=3))
    ProvisioningEventFactory(enterprise=enterprise, created_at=timezone.now(), credential=secret.label)
    clock.shift(timedelta(hours=3))

    alerts_check()

    assert len(mailbox.received) == 2
    for index in range(2):
        for part in (mailbox.text(index), mailbox.html(index)):
            for value in (token, raw, ScimToken.digest_of(token), ClientSecret.digest_of(raw)):
                assert value not in part

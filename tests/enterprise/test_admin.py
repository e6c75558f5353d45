"""Support staff browse enterprises, members, groups, tokens and activity; no secret is ever on a page."""

import pytest
from django.urls import reverse

from enterprise.credentials.models import ScimToken
from enterprise.credentials.services import client_secret_create, federation_trust_save, scim_token_rotate
from tests.factories import GroupFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="support@plandisc.example", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def token(enterprise):
    return scim_token_rotate(enterprise=enterprise)


@pytest.mark.parametrize(
    "model",
    [
        "enterprise_enterprise",
        "credentials_scimtoken",
        "directory_member",
        "directory_group",
        "activity_provisioningevent",
        "activity_auditevent",
    ],
)
def test_every_admin_list_loads_and_searches(staff_client, enterprise, token, model):
    MemberFactory(enterprise=enterprise, user_name="alex@contoso.com")
    GroupFactory(enterprise=enterprise, display_name="Sales")
    url = reverse(f"admin:{model}_changelist")
    assert staff_client.get(url).status_code == 200
    assert staff_client.get(url, {"q": "contoso"}).status_code == 200


def test_no_token_secret_appears_in_any_admin_page(staff_client, enterprise, token):
    stored, plaintext = token
    pages = [
        reverse("admin:credentials_scimtoken_changelist"),
        reverse("admin:credentials_scimtoken_change", args=[stored.pk]),
        reverse("admin:enterprise_enterprise_change", args=[enterprise.pk]),
        reverse("admin:activity_auditevent_changelist"),
    ]
    for url in pages:
        html = staff_client.get(url).content.decode()
        assert plaintext not in html
        assert stored.digest not in html
        assert stored.hint in html


def test_tokens_cannot_be_edited_or_added(staff_client, token):
    stored, _ = token
    response = staff_client.post(
        reverse("admin:credentials_scimtoken_change", args=[stored.pk]), {"hint": "x"}
    )
    assert response.status_code == 403
    assert staff_client.get(reverse("admin:credentials_scimtoken_add")).status_code == 403


def test_the_revoke_action_ends_a_token_and_is_audited(staff_client, enterprise, token, scim):
    stored, plaintext = token
    response = staff_client.post(
        reverse("admin:credentials_scimtoken_changelist"),
        {"action": "revoke", "_selected_action": [stored.pk]},
        follow=True,
    )
    assert response.status_code == 200
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert stored.revoked_by.username == "support@plandisc.example"
    assert enterprise.audit_events.filter(action="token_revoked", detail=stored.hint).exists()
    scim.token = plaintext
    assert scim.get("/Users").status_code == 401


def test_members_can_be_found_by_username(staff_client, enterprise):
    MemberFactory(enterprise=enterprise, user_name="alex@contoso.com")
    MemberFactory(enterprise=enterprise, user_name="megan@contoso.com")
    html = staff_client.get(reverse("admin:directory_member_changelist"), {"q": "megan"}).content.decode()
    assert "megan@contoso.com" in html and "alex@contoso.com" not in html


def test_stored_digests_are_never_the_token(token):
    stored, plaintext = token
    assert ScimToken.objects.filter(digest=plaintext).count() == 0
    assert len(stored.digest) == 64


def _trust(enterprise):
    return federation_trust_save(
        enterprise=enterprise,
        issuer="https://i.example",
        jwks_url="http://127.0.0.1:9/k",
        subject="s",
        audience="a",
    )


def test_support_sees_client_secrets_and_federation_but_never_a_secret(staff_client, enterprise, settings):
    settings.SCIM_JWKS_ALLOW_LOOPBACK = True
    secret, raw = client_secret_create(enterprise=enterprise)
    trust = _trust(enterprise)
    pages = [
        reverse("admin:credentials_clientsecret_changelist"),
        reverse("admin:credentials_clientsecret_changelist") + "?q=contoso",
        reverse("admin:credentials_clientsecret_change", args=[secret.pk]),
        reverse("admin:credentials_federationtrust_changelist"),
        reverse("admin:credentials_federationtrust_change", args=[trust.pk]),
        reverse("admin:enterprise_enterprise_change", args=[enterprise.pk]),
    ]
    for url in pages:
        response = staff_client.get(url)
        assert response.status_code == 200
        assert raw not in response.text and secret.digest not in response.text
    assert secret.hint in staff_client.get(pages[0]).text


def test_support_revokes_client_secrets_and_federation_from_the_admin(staff_client, enterprise, settings):
    settings.SCIM_JWKS_ALLOW_LOOPBACK = True
    secret, _ = client_secret_create(enterprise=enterprise)
    trust = _trust(enterprise)
    staff_client.post(
        reverse("admin:credentials_clientsecret_changelist"),
        {"action": "revoke", "_selected_action": [secret.pk]},
    )
    staff_client.post(
        reverse("admin:credentials_federationtrust_changelist"),
        {"action": "revoke", "_selected_action": [trust.pk]},
    )
    secret.refresh_from_db()
    trust.refresh_from_db()
    assert secret.revoked_by.username == trust.revoked_by.username == "support@plandisc.example"


def test_switching_provisioning_off_in_the_admin_stops_scim_at_once_and_is_audited(
    staff_client, enterprise, scim, admin_user
):
    assert scim.get("/Users").status_code == 200
    token = enterprise.scim_tokens.get()
    response = staff_client.post(
        reverse("admin:enterprise_enterprise_change", args=[enterprise.pk]),
        {
            "name": enterprise.name,
            "slug": enterprise.slug,
            "access_token_lifetime": enterprise.access_token_lifetime,
            "default_role": enterprise.default_role,
            "admins": [admin_user.pk],
            "scim_tokens-TOTAL_FORMS": "1",
            "scim_tokens-INITIAL_FORMS": "1",
            "scim_tokens-MIN_NUM_FORMS": "0",
            "scim_tokens-MAX_NUM_FORMS": "1000",
            "scim_tokens-0-id": token.pk,
            "scim_tokens-0-enterprise": enterprise.pk,
        },
    )
    assert response.status_code == 302
    assert scim.get("/Users").status_code == 403
    enterprise.refresh_from_db()
    assert not enterprise.scim_enabled
    assert enterprise.audit_events.filter(action="scim_disabled").count() == 1


def test_deleting_an_enterprise_in_the_admin_ends_its_cached_tokens(staff_client, enterprise, scim):
    assert scim.get("/Users").status_code == 200
    staff_client.post(reverse("admin:enterprise_enterprise_delete", args=[enterprise.pk]), {"post": "yes"})
    assert scim.get("/Users").status_code == 401

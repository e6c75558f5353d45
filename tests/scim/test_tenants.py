"""
Many enterprises calling one worker: each request makes the statements it makes for one enterprise alone,
and the worker's credential cache stays within SCIM_CREDENTIAL_CACHE_SIZE, dropping the least recently used.
"""

import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enterprise.credentials.services import scim_token_rotate
from enterprise.services import enterprise_create
from scim import auth
from tests.conftest import ScimClient
from tests.scim import entra

pytestmark = pytest.mark.django_db


def _tenant(n: int) -> ScimClient:
    enterprise = enterprise_create(slug=f"tenant-{n}", name=f"Tenant {n}")
    _, token = scim_token_rotate(enterprise=enterprise)
    client = ScimClient(Client(), enterprise, token)
    # The first request resolves the token and writes its first use; what is measured comes after.
    assert client.get("/ServiceProviderConfig").status_code == HTTPStatus.OK
    return client


KINDS = ["user filter", "user create", "user PATCH", "group PATCH"]


def _statements(tenants: list[ScimClient], tag: str) -> list[dict[str, int]]:
    """Statements of each kind of request a provisioning cycle is made of, per tenant, the kinds taking turns
    across the tenants as requests from many tenants reach a worker."""
    groups = [scim.post("/Groups", entra.create_group(f"Group {tag}")).json()["id"] for scim in tenants]
    users: list[str] = []
    counts = [{} for _ in tenants]
    for kind in KINDS:
        for n, scim in enumerate(tenants):
            user_name = f"{tag}-{n}@contoso.com"
            with CaptureQueriesContext(connection) as captured:
                if kind == "user filter":
                    response = scim.get(f"/Users?filter=userName+eq+%22{user_name}%22")
                elif kind == "user create":
                    response = scim.post("/Users", entra.create_user(user_name, externalId=user_name))
                elif kind == "user PATCH":
                    body = entra.patch({"op": "Replace", "path": "displayName", "value": tag})
                    response = scim.patch(f"/Users/{users[n]}", body)
                else:
                    body = entra.patch({"op": "Add", "path": "members", "value": [{"value": users[n]}]})
                    response = scim.patch(f"/Groups/{groups[n]}", body)
            assert 200 <= response.status_code < 300, (kind, response.content)
            if kind == "user create":
                users.append(response.json()["id"])
            counts[n][kind] = len(captured)
    return counts


def test_no_request_makes_more_statements_when_50_enterprises_call():
    alone = _tenant(0)
    [baseline] = _statements([alone], "alone")

    tenants = [alone, *(_tenant(n) for n in range(1, 50))]
    measured = _statements(tenants, "many")

    assert list(baseline) == KINDS
    assert [counts for counts in measured if counts != baseline] == []


def test_the_credential_cache_keeps_the_most_recently_used_within_its_size(settings):
    settings.SCIM_CREDENTIAL_CACHE_SIZE = 2
    auth.credentials.entries.clear()
    a, b, c = (_tenant(n) for n in range(3))  # each resolved once: c and b are cached, a was pushed out

    def resolved(scim: ScimClient) -> bool:
        """Whether the request looked the token up in the database (it was not in this worker's cache)."""
        with CaptureQueriesContext(connection) as captured:
            assert scim.get("/Users?count=0").status_code == HTTPStatus.OK
        return any("enterprise_scimtoken" in q["sql"] for q in captured.captured_queries)

    assert [resolved(b), resolved(c)] == [False, False]
    assert resolved(a)  # a back in; b, the least recently used, out
    assert [resolved(c), resolved(a)] == [False, False]
    assert resolved(b)  # b back in; c out, as a was used after it
    assert not resolved(a)
    assert len(auth.credentials.entries) == 2


def test_a_cached_token_keeps_its_last_used_mark_fresh_without_being_looked_up_again(monkeypatch):
    scim = _tenant(0)
    token = scim.enterprise.scim_tokens.get()
    hour_ago = token.last_used_at - timedelta(hours=1)
    token.__class__.objects.filter(pk=token.pk).update(last_used_at=hour_ago)
    cache.delete(f"scim-token-used:{token.pk}")
    later = time.monotonic() + 61
    monkeypatch.setattr(auth.time, "monotonic", lambda: later)

    with CaptureQueriesContext(connection) as captured:
        assert scim.get("/Users?count=0").status_code == HTTPStatus.OK
        assert scim.get("/Users?count=0").status_code == HTTPStatus.OK

    touching = [q["sql"] for q in captured.captured_queries if "enterprise_scimtoken" in q["sql"]]
    assert len(touching) == 1 and touching[0].startswith("UPDATE")  # marked once, never looked up again
    token.refresh_from_db()
    assert token.last_used_at > hour_ago + timedelta(minutes=59)


def test_a_default_role_changed_on_the_page_reaches_every_worker_at_once(scim, admin_session):
    """Workers cache the enterprise with its credential for SCIM_CREDENTIAL_CACHE_SECONDS; what a user's
    creation reads of it (the default role, whether it takes a seat) must not wait for that."""
    assert scim.get("/Users?count=0").status_code == HTTPStatus.OK  # cached now

    response = admin_session.post(
        reverse("enterprise:default-role", args=[scim.enterprise.slug]), {"role": "viewer"}
    )
    with CaptureQueriesContext(connection) as captured:
        assert scim.get("/Users?count=0").status_code == HTTPStatus.OK

    assert response.status_code == HTTPStatus.FOUND
    resolved = [q["sql"] for q in captured.captured_queries if "enterprise_scimtoken" in q["sql"]]
    assert resolved and resolved[0].startswith("SELECT")

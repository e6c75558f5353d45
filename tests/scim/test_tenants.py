"""
Many enterprises calling one worker: each request makes the statements it makes for one enterprise alone,
and the worker's credential cache stays within SCIM_CREDENTIAL_CACHE_SIZE, dropping the least recently used.
"""

from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

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

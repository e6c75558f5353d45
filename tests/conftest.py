"""The cast: an enterprise with its admin and SCIM token, a SCIM client for it, a signed-in admin and a plain
member of it, and another enterprise."""

import json
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client

from enterprise.credentials.services import scim_token_rotate
from enterprise.models import Enterprise
from enterprise.services import enterprise_create
from tests.factories import EnterpriseFactory, MemberFactory, UserFactory

SCIM = "application/scim+json"


@dataclass
class ScimClient:
    """Drives an enterprise's SCIM endpoint through the Django test client, as Entra or Okta would."""

    client: Client
    enterprise: Enterprise
    token: str

    @property
    def base(self) -> str:
        return f"/scim/v2/{self.enterprise.public_id}"

    def _headers(self, headers: dict | None) -> dict:
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get(self.base + path, params, headers=self._headers(headers))

    def delete(self, path: str, headers: dict | None = None):
        return self.client.delete(self.base + path, headers=self._headers(headers))

    def send(self, method: str, path: str, body, headers: dict | None = None):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return getattr(self.client, method)(
            self.base + path, data, content_type=SCIM, headers=self._headers(headers)
        )

    def post(self, path: str, body, headers: dict | None = None):
        return self.send("post", path, body, headers)

    def put(self, path: str, body, headers: dict | None = None):
        return self.send("put", path, body, headers)

    def patch(self, path: str, body, headers: dict | None = None):
        return self.send("patch", path, body, headers)


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters live in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin@contoso.example")


@pytest.fixture
def enterprise(db, admin_user):
    return enterprise_create(slug="contoso", name="Contoso", admin=admin_user)


@pytest.fixture
def scim(enterprise) -> ScimClient:
    _, token = scim_token_rotate(enterprise=enterprise)
    return ScimClient(Client(), enterprise, token)


@pytest.fixture
def other_enterprise(db):
    return EnterpriseFactory(slug="fabrikam", name="Fabrikam")


@pytest.fixture
def other_scim(other_enterprise) -> ScimClient:
    _, token = scim_token_rotate(enterprise=other_enterprise)
    return ScimClient(Client(), other_enterprise, token)


@pytest.fixture
def admin_session(enterprise, admin_user) -> Client:
    """A browser session signed in as the enterprise's admin."""
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def member_session(enterprise) -> Client:
    """A browser session signed in as a provisioned member of the enterprise who is not its admin."""
    user = UserFactory(username="member@contoso.example")
    MemberFactory(enterprise=enterprise, user=user, user_name=user.username)
    client = Client()
    client.force_login(user)
    return client

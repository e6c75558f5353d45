"""Every edge of the SCIM pipeline answers a SCIM error body: failures, unknown paths, refused requests."""

import re
from contextlib import contextmanager
from http import HTTPStatus

import pytest
from django.db import OperationalError, connection
from django.test import Client

from enterprise.activity.models import ProvisioningEvent
from enterprise.credentials.services import scim_token_revoke
from enterprise.services import enterprise_scim_toggle
from tests.scim import entra
from tests.scim.test_auth import error_body

pytestmark = pytest.mark.django_db


@contextmanager
def _database_fails_on(table: str):
    """The database connection drops on the first statement that touches `table`."""

    def fail(execute, sql, params, many, context):
        if table in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield


def test_a_database_error_during_the_token_lookup_is_503_with_retry_after(scim):
    with _database_fails_on("enterprise_scimtoken"):
        response = scim.get(entra.TEST_CONNECTION)
    body = error_body(response, HTTPStatus.SERVICE_UNAVAILABLE)
    assert body["detail"] == "The service is busy; please retry."
    assert response["Retry-After"] == "5"


def test_a_database_error_in_the_middle_of_a_write_is_503_and_stores_nothing(scim, enterprise):
    with _database_fails_on('INSERT INTO "enterprise_member"'):
        response = scim.post("/Users", entra.create_user())
    error_body(response, HTTPStatus.SERVICE_UNAVAILABLE)
    assert response["Retry-After"] == "5"
    assert not enterprise.members.exists()


def test_a_cache_that_is_down_is_503_with_retry_after(scim, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = scim.get(entra.TEST_CONNECTION)
    error_body(response, HTTPStatus.SERVICE_UNAVAILABLE)
    assert response["Retry-After"] == "5"


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options", "head"])
@pytest.mark.parametrize(
    "path", ["/Users/2f1d9c2e-0000-4000-8000-000000000000/..", "/Nothing", "/Users/a/b", "/Schemas/a/b"]
)
def test_every_method_on_an_unknown_path_is_a_scim_404(scim, method, path):
    response = getattr(scim.client, method)(
        scim.base + path, headers={"Authorization": f"Bearer {scim.token}"}
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/scim+json"
    if method != "head":
        assert response.json() == {
            "schemas": [entra.ERROR],
            "status": "404",
            "detail": f"There is no SCIM endpoint at '{path}'.",
        }


def test_an_unknown_path_without_a_token_is_401_not_404(scim):
    error_body(Client().put(f"{scim.base}/Users/x/..", "{}"), HTTPStatus.UNAUTHORIZED)


@pytest.mark.parametrize("method", ["options", "trace"])
def test_a_method_an_endpoint_does_not_have_is_a_scim_405(scim, method):
    response = getattr(scim.client, method)(
        f"{scim.base}/Users", headers={"Authorization": f"Bearer {scim.token}"}
    )
    error_body(response, HTTPStatus.METHOD_NOT_ALLOWED)


def test_a_content_length_that_is_not_a_number_is_400(scim):
    response = scim.client.get(
        f"{scim.base}/Users", headers={"Authorization": f"Bearer {scim.token}"}, CONTENT_LENGTH="ten"
    )
    assert error_body(response, HTTPStatus.BAD_REQUEST)["scimType"] == "invalidSyntax"


@pytest.mark.parametrize(
    "path",
    ["/users", "/GROUPS", "/schemas", "/resourcetypes/user", "/serviceproviderconfig", "/Users?filter="],
)
def test_endpoint_names_match_in_any_case(scim, path):
    assert scim.get(path).status_code == HTTPStatus.OK


def test_search_endpoints_match_in_any_case(scim):
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
    assert scim.post("/users/.SEARCH", body).status_code == HTTPStatus.OK
    assert scim.post("/.Search", body).status_code == HTTPStatus.OK


def test_microsofts_lower_case_user_lookup_finds_the_user(scim):
    user = scim.post("/Users", entra.create_user()).json()
    response = scim.get("/users", {"filter": f'userName eq "{user["userName"]}"'})
    assert [r["id"] for r in response.json()["Resources"]] == [user["id"]]


@pytest.mark.parametrize("schema", [entra.USER_SCHEMA, "urn:ietf:params:scim:schemas:core:2.0:Group"])
def test_schemas_list_external_id_for_users_and_groups(scim, schema):
    attributes = scim.get(f"/Schemas/{schema}").json()["attributes"]
    external_id = next(a for a in attributes if a["name"] == "externalId")
    assert (external_id["type"], external_id["caseExact"], external_id["mutability"]) == (
        "string",
        True,
        "readWrite",
    )


def test_a_token_revoked_after_use_stops_on_the_next_request(scim, enterprise):
    assert scim.get("/Users").status_code == HTTPStatus.OK
    scim_token_revoke(token=enterprise.scim_tokens.get())
    error_body(scim.get("/Users"), HTTPStatus.UNAUTHORIZED)


def test_provisioning_turned_off_after_use_refuses_the_next_request(scim, enterprise):
    assert scim.get("/Users").status_code == HTTPStatus.OK
    enterprise_scim_toggle(enterprise=enterprise, enabled=False)
    error_body(scim.get("/Users"), HTTPStatus.FORBIDDEN)


def test_activity_names_the_credential_used(scim, enterprise):
    scim.get("/Users")
    hint = enterprise.scim_tokens.get().hint
    assert enterprise.provisioning_events.get().credential == f"SCIM token {hint}"


def test_wrong_tokens_beyond_the_address_budget_get_429_and_one_aggregate_row(scim, enterprise, settings):
    settings.SCIM_REFUSED_PER_ADDRESS_PER_MINUTE = 3
    wrong = Client(headers={"Authorization": "Bearer pdscim_wrong"})
    statuses = [wrong.get(f"{scim.base}/Users").status_code for _ in range(10)]

    assert statuses == [401] * 3 + [429] * 7
    events = list(enterprise.provisioning_events.order_by("id"))
    assert [e.status for e in events] == [401, 401, 401, 429]
    assert re.fullmatch(
        r"\d+ requests with an invalid token from 127\.0\.0\.1 in the last minute", events[3].detail
    )
    # The identity provider's own token is not held back by someone else's wrong ones.
    assert scim.get("/Users").status_code == HTTPStatus.OK


def test_the_refused_budget_is_also_per_enterprise_across_addresses(scim, enterprise, settings):
    settings.SCIM_REFUSED_PER_MINUTE = 2
    statuses = [
        Client(REMOTE_ADDR=f"203.0.113.{i}").get(f"{scim.base}/Users").status_code for i in range(1, 5)
    ]
    assert statuses == [401, 401, 429, 429]
    assert ProvisioningEvent.objects.filter(status=401).count() == 2


def test_the_429_for_wrong_tokens_is_a_scim_error_with_retry_after(scim, settings):
    settings.SCIM_REFUSED_PER_ADDRESS_PER_MINUTE = 0
    response = Client().get(f"{scim.base}/Users")
    error_body(response, HTTPStatus.TOO_MANY_REQUESTS)
    assert response["Retry-After"] == "60"


def test_answers_carry_their_content_length(scim):
    response = scim.get("/Users")
    assert response["Content-Length"] == str(len(response.content))


def test_where_pages_redirect_to_https_scim_over_plain_http_is_refused_not_redirected(scim, settings):
    settings.SECURE_SSL_REDIRECT = True

    plain = scim.get(entra.TEST_CONNECTION)
    secure = scim.client.get(scim.base + entra.TEST_CONNECTION, headers=scim._headers(None), secure=True)

    body = error_body(plain, HTTPStatus.FORBIDDEN)
    assert body["detail"] == "SCIM is served over https only; use the https Tenant URL."
    assert secure.status_code == HTTPStatus.OK

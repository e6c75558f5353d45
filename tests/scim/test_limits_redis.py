"""The shared cache on Redis, as in production: the rate limit and the credentials version in one script call
on the worker's own connection, which survives Redis forgetting the script or dropping the connection."""

from http import HTTPStatus

import pytest
import redis

from scim import limits
from tests.scim import entra

pytestmark = pytest.mark.django_db

REDIS = "redis://127.0.0.1:6379/11"


@pytest.fixture
def on_redis(settings):
    try:
        redis.Redis.from_url(REDIS).ping()
    except redis.ConnectionError:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS}
    }
    redis.Redis.from_url(REDIS).flushdb()
    yield redis.Redis.from_url(REDIS)
    redis.Redis.from_url(REDIS).flushdb()


def test_the_rate_limit_counts_every_request_in_redis(scim, on_redis, settings):
    settings.SCIM_RATE_LIMIT_PER_MINUTE = 3

    statuses = [scim.get(entra.TEST_CONNECTION).status_code for _ in range(4)]

    assert statuses == [HTTPStatus.OK] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]


def test_a_script_redis_forgot_is_loaded_again(scim, on_redis):
    assert scim.get(entra.TEST_CONNECTION).status_code == HTTPStatus.OK
    on_redis.script_flush()

    assert scim.get(entra.TEST_CONNECTION).status_code == HTTPStatus.OK
    assert on_redis.script_exists(limits.SHA) == [True]


def test_a_connection_redis_dropped_is_opened_again(scim, on_redis):
    assert scim.get(entra.TEST_CONNECTION).status_code == HTTPStatus.OK
    connection = limits._lane.connection
    connection.send_command("CLIENT", "ID")
    on_redis.client_kill_filter(_id=connection.read_response())

    assert scim.get(entra.TEST_CONNECTION).status_code == HTTPStatus.OK


def test_a_revoked_token_stops_at_once_with_the_version_in_redis(scim, enterprise, on_redis):
    from enterprise.credentials.services import scim_token_revoke

    assert scim.get(entra.TEST_CONNECTION).status_code == HTTPStatus.OK
    scim_token_revoke(token=enterprise.scim_tokens.get())

    assert scim.get(entra.TEST_CONNECTION).status_code == HTTPStatus.UNAUTHORIZED

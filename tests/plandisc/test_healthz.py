"""GET /healthz as a load balancer calls it: by the instance's address, over http, with no credentials."""

from http import HTTPStatus

import pytest
from django.db import DatabaseError
from django.test import Client

pytestmark = pytest.mark.django_db

# A probe from the load balancer: the Host is the instance's own address, not one of ALLOWED_HOSTS.
PROBE = {"HTTP_HOST": "10.0.3.17:8000"}


def test_it_answers_ok_when_the_database_and_the_cache_answer(settings):
    settings.SECURE_SSL_REDIRECT = True

    response = Client().get("/healthz", **PROBE)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response


def test_it_names_the_database_when_it_does_not_answer(monkeypatch):
    def refuse(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("django.db.backends.base.base.BaseDatabaseWrapper.cursor", refuse)

    response = Client().get("/healthz", **PROBE)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"status": "unavailable", "down": ["database"]}


def test_it_names_the_cache_when_it_does_not_answer(settings):
    # Nothing listens on port 1: the Redis client's connection is refused.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    response = Client().get("/healthz", **PROBE)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"status": "unavailable", "down": ["cache"]}


def test_other_methods_are_not_answered():
    assert Client().post("/healthz").status_code == HTTPStatus.NOT_FOUND

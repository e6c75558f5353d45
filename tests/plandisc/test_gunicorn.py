"""
gunicorn.conf.py: gunicorn's settings follow the environment, and gunicorn takes X-Forwarded-Proto for https
only where the app believes it too, behind a declared proxy (PLANDISC_BEHIND_PROXY).
"""

import json
import os
import runpy
import subprocess
import urllib.error
import urllib.request
from http import HTTPStatus

import pytest
from gunicorn.config import Config

from bench.server import free_port
from tests.production import DIRECT, GUNICORN, ROOT, gunicorn, production_env

SETTINGS = Config().settings


def _config(monkeypatch, **env: str) -> dict:
    """gunicorn.conf.py's gunicorn settings with `env`, and none of the variables it reads from here."""
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "PORT", "PLANDISC_BEHIND_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return {k: v for k, v in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items() if k in SETTINGS}


def test_by_default_it_serves_loopback_with_sync_workers_and_believes_no_forwarded_header(monkeypatch):
    assert _config(monkeypatch) == {
        "workers": min(2 * os.cpu_count() + 1, 8),
        "threads": 1,
        "worker_class": "sync",
        "bind": "127.0.0.1:8000",
        "forwarded_allow_ips": "",
        "secure_scheme_headers": {},
        "forwarder_headers": "",
        "timeout": 30,
        "graceful_timeout": 40,
    }


def test_workers_threads_port_and_the_proxy_come_from_the_environment(monkeypatch):
    env = {"WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "4", "PORT": "5000", "PLANDISC_BEHIND_PROXY": "yes"}
    assert _config(monkeypatch, **env) == {
        "workers": 3,
        "threads": 4,
        "worker_class": "gthread",
        "bind": "0.0.0.0:5000",
        "forwarded_allow_ips": "*",
        "secure_scheme_headers": {"X-FORWARDED-PROTO": "https"},
        "forwarder_headers": "",
        "timeout": 30,
        "graceful_timeout": 40,
    }


def test_it_refuses_a_proxy_setting_it_cannot_read():
    command = [GUNICORN, "-c", "gunicorn.conf.py", "--check-config", "plandisc.wsgi:application"]
    env = os.environ | {"PLANDISC_BEHIND_PROXY": "maybe"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode != 0
    assert "Unexpected value PLANDISC_BEHIND_PROXY=maybe, use one of 1/0, true/false" in result.stderr


def _plain_http_match(scim, **env: str) -> tuple[int, dict]:
    """
    Entra's first request, sent over plain http from 127.0.0.1 with `X-Forwarded-Proto: https`, to gunicorn
    started as production starts it (gunicorn.conf.py, DEBUG off, an https base URL) with `env` on top: the
    status and the body.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    request = urllib.request.Request(
        f"{url}{scim.base}/Users?filter=userName+eq+%22x%22",
        headers={"Authorization": f"Bearer {scim.token}", "X-Forwarded-Proto": "https"},
    )
    with gunicorn(url, production_env(f"https://127.0.0.1:{port}") | env, "--workers", "1"):
        try:
            with DIRECT.open(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


@pytest.mark.django_db(transaction=True)
def test_without_a_proxy_a_forged_forwarded_proto_does_not_make_plain_http_https(scim):
    status, body = _plain_http_match(scim)

    assert status == HTTPStatus.FORBIDDEN
    assert body == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "403",
        "detail": "SCIM is served over https only; use the https Tenant URL.",
    }


@pytest.mark.django_db(transaction=True)
def test_behind_a_proxy_its_forwarded_proto_makes_the_request_https(scim):
    status, body = _plain_http_match(scim, PLANDISC_BEHIND_PROXY="true")

    assert status == HTTPStatus.OK
    assert body["totalResults"] == 0

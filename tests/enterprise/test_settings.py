import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from plandisc.checks import base_url_check, secret_key_check

ROOT = Path(__file__).resolve().parents[2]


@override_settings(DEBUG=False, SECRET_KEY="")
def test_production_without_a_secret_key_fails_the_system_check():
    assert [error.id for error in secret_key_check(None)] == ["plandisc.E001"]


@override_settings(DEBUG=False, SECRET_KEY="k" * 50)
def test_production_with_a_secret_key_passes():
    assert secret_key_check(None) == []


# What a deployment following the README sets, with a throwaway key.
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "plandisc.settings",
    "DJANGO_DEBUG": "False",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "plandisc.example.com",
    "PLANDISC_BASE_URL": "https://plandisc.example.com",
}


def _start(env: dict, *command: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PLANDISC_"))} | env
    return subprocess.run(
        [sys.executable, *(command or ["-c", "import plandisc.wsgi"])],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_the_wsgi_application_refuses_to_start_in_production_without_a_secret_key():
    result = _start({"DJANGO_SETTINGS_MODULE": "plandisc.settings", "DJANGO_DEBUG": "False"})
    assert result.returncode != 0
    assert "plandisc.E001" in result.stderr


def test_the_wsgi_application_starts_with_a_secret_key_and_an_https_base_url():
    result = _start(
        {
            "DJANGO_SETTINGS_MODULE": "plandisc.settings",
            "DJANGO_SECRET_KEY": "s" * 50,
            "PLANDISC_BASE_URL": "https://plandisc.example.com",
        }
    )
    assert result.returncode == 0, result.stderr


@override_settings(DEBUG=False, PLANDISC_BASE_URL="http://plandisc.example.com")
def test_production_with_an_http_base_url_fails_the_system_check():
    assert [error.id for error in base_url_check(None)] == ["plandisc.E002"]


@override_settings(DEBUG=True, PLANDISC_BASE_URL="http://127.0.0.1:8000")
def test_development_may_use_an_http_base_url():
    assert base_url_check(None) == []


@pytest.mark.parametrize("base_url", [None, "http://plandisc.example.com"])
def test_the_wsgi_application_refuses_to_start_in_production_without_an_https_base_url(base_url):
    env = {k: v for k, v in PRODUCTION.items() if k != "PLANDISC_BASE_URL"}
    result = _start(env | ({"PLANDISC_BASE_URL": base_url} if base_url else {}))
    assert result.returncode != 0
    assert "plandisc.E002" in result.stderr


def test_create_enterprise_refuses_to_print_an_http_endpoint_in_production():
    env = PRODUCTION | {"PLANDISC_BASE_URL": "http://127.0.0.1:8000"}
    result = _start(env, "manage.py", "create_enterprise", "contoso", "--name", "Contoso")
    assert result.returncode != 0
    assert "plandisc.E002" in result.stderr and "scim" not in result.stdout


def test_the_deployment_check_reports_nothing_in_production():
    result = _start(PRODUCTION, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"


def _setting(env: dict, expression: str) -> str:
    """repr() of an expression over the real settings module `s`, loaded with `env`."""
    result = _start(env, "-c", f"import plandisc.settings as s; print(repr({expression}))")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_is_https_only():
    assert (
        _setting(
            PRODUCTION,
            "(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
            "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)",
        )
        == "(True, 31536000, True, True, True)"
    )


def test_forwarded_proto_is_believed_only_behind_a_declared_proxy():
    assert _setting(PRODUCTION, "vars(s).get('SECURE_PROXY_SSL_HEADER')") == "None"
    behind = PRODUCTION | {"PLANDISC_BEHIND_PROXY": "true"}
    assert _setting(behind, "s.SECURE_PROXY_SSL_HEADER") == "('HTTP_X_FORWARDED_PROTO', 'https')"


@pytest.mark.parametrize(
    "spelling, debug",
    [
        ("1", True),
        ("True", True),
        ("yes", True),
        ("ON", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
        ("", False),
    ],
)
def test_django_debug_takes_the_usual_spellings(spelling, debug):
    assert _setting(PRODUCTION | {"DJANGO_DEBUG": spelling}, "s.DEBUG") == repr(debug)


def test_django_debug_refuses_anything_else():
    result = _start(PRODUCTION | {"DJANGO_DEBUG": "maybe"}, "-c", "import plandisc.settings")
    assert result.returncode != 0
    assert "Unexpected value DJANGO_DEBUG=maybe, use one of 1/0, true/false, yes/no, on/off" in result.stderr

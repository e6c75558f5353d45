import os
import subprocess
import sys
from pathlib import Path

from django.test import override_settings

from plandisc.checks import secret_key_check

ROOT = Path(__file__).resolve().parents[2]


@override_settings(DEBUG=False, SECRET_KEY="")
def test_production_without_a_secret_key_fails_the_system_check():
    assert [error.id for error in secret_key_check(None)] == ["plandisc.E001"]


@override_settings(DEBUG=False, SECRET_KEY="k" * 50)
def test_production_with_a_secret_key_passes():
    assert secret_key_check(None) == []


def _start(env: dict) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | env
    return subprocess.run(
        [sys.executable, "-c", "import plandisc.wsgi"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_the_wsgi_application_refuses_to_start_in_production_without_a_secret_key():
    result = _start({"DJANGO_SETTINGS_MODULE": "plandisc.settings", "DJANGO_DEBUG": "False"})
    assert result.returncode != 0
    assert "plandisc.E001" in result.stderr


def test_the_wsgi_application_starts_with_a_secret_key():
    result = _start({"DJANGO_SETTINGS_MODULE": "plandisc.settings", "DJANGO_SECRET_KEY": "s" * 50})
    assert result.returncode == 0, result.stderr

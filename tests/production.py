"""
The app as the README deploys it, for tests that start it on the test database: the production environment
(the real settings module, DEBUG off) and gunicorn started with gunicorn.conf.py, as the Procfile does.
"""

import contextlib
import os
import secrets
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
# A server's certificate here is a throwaway, self-signed one; and no proxy of the environment stands between
# the tests and the server.
UNVERIFIED = ssl.create_default_context()
UNVERIFIED.check_hostname = False
UNVERIFIED.verify_mode = ssl.CERT_NONE
DIRECT = urllib.request.build_opener(
    urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=UNVERIFIED)
)


def database_url() -> str:
    """The test database, for the server's processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def production_env(base_url: str) -> dict:
    """The variables production sets, with `base_url` as PLANDISC_BASE_URL; none of this process's own."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PLANDISC_"))}
    return inherited | {
        "DJANGO_SETTINGS_MODULE": "plandisc.settings",
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "PLANDISC_BASE_URL": base_url,
        "DATABASE_URL": database_url(),
    }


def _healthy(url: str) -> bool:
    try:
        with DIRECT.open(f"{url}/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def gunicorn(url: str, env: dict, *options: str) -> Iterator[None]:
    """
    gunicorn with gunicorn.conf.py, `env` and the command-line `options`, listening on `url`'s port: from when
    it answers /healthz there until the block ends, when it is stopped the way a deploy stops it (SIGTERM).
    """
    command = [GUNICORN, "-c", "gunicorn.conf.py", "plandisc.wsgi:application"]
    command += ["--bind", f"127.0.0.1:{urlsplit(url).port}", *options]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not _healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"gunicorn did not start: {process.communicate()[1].decode()}")
        time.sleep(0.2)
    try:
        yield
    finally:
        process.terminate()
        process.communicate(timeout=60)

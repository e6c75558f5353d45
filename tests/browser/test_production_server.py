"""
The app as the README deploys it: `collectstatic`, then gunicorn with gunicorn.conf.py, the real settings
module and DEBUG off, over https (gunicorn terminates TLS itself here, with a throwaway certificate). Its
styles and scripts must load from WhiteNoise, the copy buttons must copy under the Content-Security-Policy,
and single sign-on must still leave for Entra.
"""

import re
import subprocess
import sys

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import Page, expect

from bench.server import free_port
from tests.production import ROOT, gunicorn, production_env
from tests.sso.conftest import Entra, connect, make_signing_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def server(db, tmp_path) -> str:
    url = f"https://127.0.0.1:{free_port()}"
    env = production_env(url)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
    )
    tls = make_signing_key(tmp_path / "tls")
    with gunicorn(url, env, "--workers", "2", "--keyfile", tls.key_file, "--certfile", tls.cert_file):
        yield url


@pytest.fixture
def browser_page(chromium, server) -> Page:
    context = chromium.new_context(
        base_url=server,
        ignore_https_errors=True,
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_styles_and_scripts_load_and_copy_buttons_copy(browser_page, server, enterprise, admin_user):
    page = browser_page
    # The real settings hash passwords with PBKDF2; the tests' own hasher is unknown to them.
    hasher = PBKDF2PasswordHasher()
    admin_user.password = hasher.encode(PASSWORD, hasher.salt())
    admin_user.save(update_fields=["password"])
    loaded, problems = {}, []
    page.on("response", lambda response: loaded.setdefault(response.url, response))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))

    sign_in = page.goto("/enterprise/").headers
    assert sign_in["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert "default-src 'self'" in sign_in["content-security-policy"]
    page.get_by_label("Email", exact=True).fill("admin@contoso.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server}/enterprise/contoso/")
    expect(page.get_by_role("heading", name="Manage users with SCIM")).to_be_visible()

    assets = page.evaluate(
        "[...document.querySelectorAll('link[rel=stylesheet], script[src]')].map(e => e.href || e.src)"
    )
    assert [re.sub(r"\.[0-9a-f]{12}\.", ".<hash>.", url.removeprefix(server)) for url in assets] == [
        "/static/css/base.<hash>.css",
        "/static/js/base.<hash>.js",
        "/static/js/times.<hash>.js",
    ]
    for url in assets:
        response = loaded.get(url)
        assert response is not None and response.status == 200, url
        assert response.headers["cache-control"] == "max-age=315360000, public, immutable"
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "flex"

    copy = page.get_by_role("button", name="Copy the SCIM endpoint")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate(
        "navigator.clipboard.readText()"
    ) == f"https://127.0.0.1:{server.rpartition(':')[2]}" + (f"/scim/v2/{enterprise.public_id}")
    assert problems == []


def test_single_sign_on_leaves_for_entra_under_the_content_security_policy(
    browser_page, server, enterprise, tmp_path
):
    page = browser_page
    entra = Entra("72f988bf-86f1-41af-91ab-2d7cd011db47", make_signing_key(tmp_path))
    connect(enterprise, entra, "contoso.example")
    page.route(
        f"{entra.sso_url}**", lambda route: route.fulfill(body="Entra sign-in", content_type="text/plain")
    )

    page.goto("/accounts/login/")
    page.get_by_label("Work email").fill("megan@contoso.example")
    page.get_by_role("button", name="Continue with single sign-on").click()

    expect(page).to_have_url(re.compile(re.escape(entra.sso_url) + r"\?SAMLRequest="))
    expect(page.get_by_text("Entra sign-in")).to_be_visible()

"""Debian's headless Chromium, driven through Playwright against pytest-django's live server."""

import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

# Playwright's sync API runs an event loop in the test's thread; the tests still read the database there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

# Debian's package (`.ci/run` installs it); elsewhere point CHROMIUM at a Chromium or Chrome binary.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots land here (gitignored) for a person to look at after a run.
OUTPUT = Path(__file__).resolve().parent.parent / "output"


@pytest.fixture(scope="session")
def chromium() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(live_server, settings) -> str:
    """The live server's address, which the Enterprise page also shows as the SCIM endpoint's base."""
    settings.PLANDISC_BASE_URL = live_server.url
    return live_server.url


def _page(chromium: Browser, site: str, **options) -> Page:
    context = chromium.new_context(base_url=site, viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def page(chromium, site) -> Page:
    page = _page(chromium, site, permissions=["clipboard-read", "clipboard-write"])
    yield page
    page.context.close()


@pytest.fixture
def page_without_js(chromium, site) -> Page:
    page = _page(chromium, site, java_script_enabled=False)
    yield page
    page.context.close()


def scim_lookup(site: str, enterprise, token: str) -> int:
    """The status of Entra's first request, a userName match, sent with `token` to the live server."""
    request = urllib.request.Request(
        f"{site}/scim/v2/{enterprise.public_id}/Users?filter=userName+eq+%22x%22",
        headers={"Authorization": f"Bearer {token}"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code

"""
After a provisioning cycle of 120 people driven through the SCIM endpoint as Entra drives it, the Enterprise
page and the members page read as sentences in the viewer's time zone, fit the screen at 1280, 768 and
375 px, and keep the protocol detail folded away.
"""

import json
import re
import urllib.error
import urllib.request
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from enterprise.credentials.services import scim_token_rotate
from tests.browser.conftest import OUTPUT
from tests.factories import MemberFactory, ProvisioningEventFactory
from tests.scim import entra

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
PEOPLE = 120
ENTRA = "Azure-AD-SCIM-Client"  # the User-Agent Entra's provisioning service sends

# Everything that is wider than it may be: the document, and every card, table and table wrapper in it.
OVERFLOWING = """() => {
  const wide = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) wide.push(`document ${root.scrollWidth} > ${root.clientWidth}`);
  for (const element of document.querySelectorAll(".card, .subsection, table, .table-wrap, .stats")) {
    if (element.scrollWidth > element.clientWidth + 1) {
      const name = `${element.tagName}.${element.className}#${element.id}`;
      wide.push(`${name} ${element.scrollWidth} > ${element.clientWidth}`);
    }
  }
  return wide;
}"""
# The page's text without the request details an admin opens on demand.
TEXT_OUTSIDE_DETAILS = """() => {
  const body = document.body.cloneNode(true);
  for (const details of body.querySelectorAll("details.request")) details.remove();
  return body.textContent;
}"""


class Entra:
    """Sends SCIM requests to the live server as Microsoft Entra ID does: its User-Agent, its bodies."""

    def __init__(self, site: str, enterprise):
        _, self.token = scim_token_rotate(enterprise=enterprise)
        self.base = f"{site}/scim/v2/{enterprise.public_id}"
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def send(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/scim+json",
                "User-Agent": ENTRA,
            },
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else {}
        except urllib.error.HTTPError as error:
            return error.code, {}


def _user_name(n: int) -> str:
    # Long, as real addresses can be: they must wrap inside their cell, never widen the page.
    return f"firstname.lastname.number{n:03}@contoso-international-holdings.example.com"


@pytest.fixture
def cycle(site, enterprise) -> dict:
    """Entra's first cycle for 120 people: Test Connection, a match query then a create for each, a group
    with all of them, new titles, deactivations, a deletion it then looks up, and a create of someone who
    exists (a 409 it resolves by matching)."""
    entra_client = Entra(site, enterprise)
    assert entra_client.send("GET", entra.TEST_CONNECTION)[0] == 200
    ids = []
    for n in range(PEOPLE):
        name = _user_name(n)
        status, _ = entra_client.send("GET", f"/Users?filter=userName+eq+%22{name}%22")
        assert status == 200
        status, user = entra_client.send(
            "POST", "/Users", entra.create_user(name, displayName=f"Person {n:03} Withaverylongfamilyname")
        )
        assert status == 201
        ids.append(user["id"])
    status, group = entra_client.send("POST", "/Groups", entra.create_group("Everyone at Contoso"))
    assert status == 201
    members = entra.patch({"op": "Add", "path": "members", "value": [{"value": i} for i in ids[:50]]})
    assert entra_client.send("PATCH", f"/Groups/{group['id']}", members)[0] == 204
    for user_id in ids[:10]:
        title = entra.patch({"op": "Replace", "path": "title", "value": "Head of Field Operations"})
        assert entra_client.send("PATCH", f"/Users/{user_id}", title)[0] == 200
    for user_id in ids[10:15]:
        assert entra_client.send("PATCH", f"/Users/{user_id}", entra.DISABLE_DEFAULT)[0] == 200
    assert entra_client.send("DELETE", f"/Users/{ids[-1]}")[0] == 204
    assert entra_client.send("GET", f"/Users/{ids[-1]}")[0] == 404
    assert entra_client.send("POST", "/Users", entra.create_user(_user_name(0)))[0] == 409
    return {"ids": ids, "group": group["id"]}


def _sign_in(page: Page) -> None:
    page.goto("/enterprise/")
    page.get_by_label("Email", exact=True).fill("admin@contoso.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url("/enterprise/contoso/")


@pytest.mark.parametrize("width", [1280, 768, 375])
def test_after_a_cycle_the_pages_fit_and_speak_in_sentences(
    chromium: Browser, site, cycle, admin_user, width
):
    admin_user.set_password(PASSWORD)
    admin_user.save()
    context = chromium.new_context(base_url=site, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        _sign_in(page)

        # The answers that are normal in a cycle do not read as failures; they are there, folded.
        expect(page.locator("#health")).to_contain_text("Healthy")
        expect(page.locator("#normal-answers summary")).to_have_text(
            "Normal during a provisioning cycle: 2 answers in the last 24 hours"
        )
        # The last request was the create of someone who exists: its reason, who sent it, when.
        expect(page.locator("#last-request .said")).to_contain_text("already exists")
        expect(page.locator("#last-request small")).to_contain_text("by Entra")
        rows = page.locator("table.activity tbody tr")
        expect(rows.first).to_contain_text("A user with userName")
        activity = page.locator("table.activity")
        expect(activity).to_contain_text(f"Deactivated {_user_name(14)}")
        expect(activity).to_contain_text(f"Updated {_user_name(9)}: title")
        expect(activity).to_contain_text("Added 50 members to Everyone at Contoso")
        wide = page.evaluate(OVERFLOWING)
        assert wide == [], "\n".join(wide)
        outside = page.evaluate(TEXT_OUTSIDE_DETAILS)
        assert "/Users/" not in outside and "PATCH" not in outside
        OUTPUT.mkdir(exist_ok=True)
        page.locator("#scim-status").screenshot(path=OUTPUT / f"status-{width}.png")
        page.locator("table.activity").screenshot(path=OUTPUT / f"activity-{width}.png")

        page.goto("/enterprise/contoso/members/?sort=changed")
        expect(page.locator("p.count")).to_have_text(f"{PEOPLE - 1} members")
        first = page.locator("table.members tbody tr").first
        expect(first.locator(".last-change .said")).to_have_text("Deactivated")
        expect(first.locator(".last-change small")).to_contain_text("by Entra")
        titled = page.locator(f"#member-{cycle['ids'][0]}")
        page.goto(f"/enterprise/contoso/members/?q={_user_name(0)}")
        expect(titled.locator(".last-change .said")).to_have_text("Updated title")
        expect(titled).to_contain_text("Everyone at Contoso")
        # The request is there on demand.
        titled.get_by_text("Request details").click()
        expect(titled.locator("details.request code").first).to_have_text(f"PATCH /Users/{cycle['ids'][0]}")

        page.goto("/enterprise/contoso/members/")
        expect(page.locator("table.members:not(.deleted) > tbody > tr")).to_have_count(50)
        wide = page.evaluate(OVERFLOWING)
        assert wide == [], "\n".join(wide)
        outside = page.evaluate(TEXT_OUTSIDE_DETAILS)
        assert "/Users/" not in outside and "pdscim_" not in outside
        page.screenshot(path=OUTPUT / f"members-page-{width}.png")
    finally:
        context.close()


# How Chromium (en-US) names each zone in a time's title, by its offset from UTC in hours.
ZONE_NAMES = {"Europe/Copenhagen": {1: "GMT+1", 2: "GMT+2"}, "America/New_York": {-5: "EST", -4: "EDT"}}


@pytest.mark.parametrize("zone", ZONE_NAMES)
def test_times_show_in_the_viewers_time_zone(chromium: Browser, site, enterprise, admin_user, zone):
    admin_user.set_password(PASSWORD)
    admin_user.save()
    # A recent half hour, inside the activity's default period (the last 7 days).
    moment = (timezone.now() - timedelta(hours=3)).replace(minute=30, second=0, microsecond=0)
    there = moment.astimezone(ZoneInfo(zone))
    local = f"{there:%I:%M %p}"
    exact = ZONE_NAMES[zone][int(there.utcoffset().total_seconds()) // 3600]
    ProvisioningEventFactory(enterprise=enterprise, created_at=moment)
    MemberFactory(enterprise=enterprise, user_name="alex@contoso.com", updated_at=moment)
    context = chromium.new_context(base_url=site, timezone_id=zone, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        _sign_in(page)
        stamp = page.locator("table.activity tbody tr time").first
        expect(stamp).to_have_attribute("datetime", f"{moment:%Y-%m-%dT%H:%M:%S}Z")
        expect(stamp).to_contain_text(local)
        expect(stamp).to_contain_text(f"{there:%b} {there.day}, {there.year}")
        expect(stamp).to_have_attribute("title", _contains(exact))

        page.goto("/enterprise/contoso/members/")
        changed = page.locator("table.members .last-change time")
        expect(changed).to_contain_text("ago")
        expect(changed).to_have_attribute("title", _contains(local))
    finally:
        context.close()


def _contains(text: str) -> re.Pattern:
    return re.compile(re.escape(text))

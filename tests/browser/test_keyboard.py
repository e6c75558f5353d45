"""
The Enterprise page from the keyboard alone: Tab, Enter and Space, no clicks and no focus() calls. An admin
rotates the SCIM token, copies the new one and revokes it, and every element Tab lands on on the way shows
where the focus is.
"""

from http import HTTPStatus

import pytest
from playwright.sync_api import Page, expect

from enterprise.credentials.models import ScimToken
from tests.browser.conftest import scim_lookup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
# Far more Tab presses than the page has stops before its SCIM token section.
MOST_TABS = 200

FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return {
    tag: element.tagName.toLowerCase(),
    text: (element.innerText || element.value || "").trim(),
    label: element.getAttribute("aria-label") || "",
    id: element.id,
    visible: element.matches(":focus-visible"),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
  };
}"""


def tab_to(page: Page, wanted, seen: list[dict]) -> dict:
    """Press Tab until the focused element is the `wanted` one (a predicate on FOCUSED's answer); every stop
    on the way goes into `seen`."""
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        seen.append(focused)
        if wanted(focused):
            return focused
    raise AssertionError(f"Tab never reached it; the last stops were {seen[-5:]}")


def press(page: Page, key: str) -> None:
    """Press a key that submits a form, and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_load_state("load")


def test_an_admin_rotates_copies_and_revokes_the_token_with_the_keyboard_only(page, site, enterprise, scim):
    old = ScimToken.objects.get()
    seen: list[dict] = []
    page.goto("/accounts/login/")
    # The sign-in form's email field has autofocus.
    page.keyboard.type("admin@contoso.example")
    tab_to(page, lambda f: f["id"] == "id_password", seen)
    page.keyboard.type(PASSWORD)
    press(page, "Enter")
    expect(page).to_have_url(f"{site}/enterprise/contoso/")

    # Rotate.
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Rotate token", seen)
    press(page, "Enter")
    tokens = list(enterprise.scim_tokens.live().order_by("-created_at"))
    assert len(tokens) == 2 and tokens[1] == old
    new = tokens[0]
    shown = page.locator("#new-scim-token").input_value()
    assert ScimToken.digest_of(shown) == new.digest

    # Copy: the new token's field has the focus, and its Copy button is the next stop.
    tab_to(page, lambda f: f["label"] == "Copy the new SCIM token", seen)
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Copy the new SCIM token")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == shown
    assert scim_lookup(site, enterprise, shown) == HTTPStatus.OK

    # Revoke the new token, behind its confirmation.
    tab_to(page, lambda f: f["tag"] == "summary" and f["text"] == "Revoke now…", seen)
    page.keyboard.press("Enter")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == f"Revoke {new.hint}", seen)
    press(page, "Enter")
    expect(page.get_by_role("status")).to_contain_text(f"Token {new.hint} is revoked")
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.revoked_at is not None
    assert old.revoked_at is None
    assert scim_lookup(site, enterprise, shown) == HTTPStatus.UNAUTHORIZED

    hidden = [stop for stop in seen if not (stop["visible"] and stop["outline"])]
    assert not hidden, f"Tab landed where no focus outline shows: {hidden}"

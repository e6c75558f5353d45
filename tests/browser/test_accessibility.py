"""
axe-core (axe-playwright-python bundles it) on every page people and admins see, filled as in real use, in
English and in Danish: no violation whose impact is serious or critical. A failure lists each violation's
rule id, impact, help and the elements it found.

Danish is asked for as a Danish browser does (Accept-Language and locale da-DK) and with Django's language
cookie. Where the project serves Danish (it offers "da" in LANGUAGES and picks each request's language), each
page must say so in <html lang>; until then, "en".
"""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from enterprise.activity.models import ProvisioningEvent
from enterprise.alerts.models import Alert
from enterprise.credentials.services import client_secret_create
from enterprise.sso import services as sso_services
from tests.browser.conftest import OUTPUT, _page
from tests.browser.test_sso import answer_as_entra
from tests.factories import GroupFactory, GroupMembershipFactory, ProvisioningEventFactory, UserFactory
from tests.sso.conftest import CONTOSO_TENANT, Entra, connect, make_signing_key, provision
from tests.sso.test_domains import dns  # noqa: F401  (the loopback DNS server fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
SERIOUS = ("serious", "critical")
AXE = Axe()


def _violations(page: Page) -> list[str]:
    """axe's serious and critical violations on the page as it is now, one readable line per element."""
    results = AXE.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in SERIOUS:
            continue
        for node in violation["nodes"]:
            found.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} at {node['target']}: "
                f"{node.get('failureSummary', '')} {node['html'][:200]}"
            )
    return found


class Audit:
    """Runs axe on each page visited and keeps what it finds, so one run reports every page's violations."""

    def __init__(self, language: str):
        self.language = language
        self.found: dict[str, list[str]] = {}
        self.lang = "da" if language == "da" and _serves_danish() else "en"

    def __call__(self, page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        lang = page.locator("html").get_attribute("lang") or ""
        if lang.split("-")[0] != self.lang:
            self.found.setdefault(name, []).append(f'<html lang="{lang}">, expected "{self.lang}"')
        violations = _violations(page)
        if violations:
            self.found.setdefault(name, []).extend(violations)

    def assert_clean(self) -> None:
        report = "\n".join(
            f"[{self.language}] {name}:\n  " + "\n  ".join(lines) for name, lines in self.found.items()
        )
        assert not self.found, "axe found serious or critical violations:\n" + report


def _serves_danish() -> bool:
    """Whether the project offers Danish and picks each request's language (LocaleMiddleware or its own)."""
    picks = any("locale" in middleware.lower() for middleware in settings.MIDDLEWARE)
    return picks and "da" in dict(settings.LANGUAGES)


def _browser(chromium: Browser, site: str, language: str) -> Page:
    options = {"permissions": ["clipboard-read", "clipboard-write"]}
    if language == "da":
        options |= {"locale": "da-DK", "extra_http_headers": {"Accept-Language": "da"}}
    page = _page(chromium, site, **options)
    if language == "da":
        page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "da", "url": site}])
    return page


def _sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    page.wait_for_load_state("load")


def _single_sign_on(page: Page, entra: Entra, enterprise, email: str) -> None:
    """From the sign-in page through Entra (which signs `email` in) and back."""
    answer_as_entra(page, entra, enterprise.sso_connection, email)
    page.goto("/accounts/login/")
    page.locator("input[name=email]").fill(email)
    page.locator("form[action$='/sso/'] button[type=submit]").click()
    page.wait_for_load_state("load")


def _fill(enterprise, other_enterprise, admin_user, scim, dns, tmp_path) -> Entra:  # noqa: F811
    """Every section of the Enterprise page and of the members page with something in it."""
    now = timezone.now()
    entra = Entra(CONTOSO_TENANT, make_signing_key(tmp_path))
    connection = connect(enterprise, entra, "contoso.example")
    dns.txt["contoso.example"] = [connection.domains.get().txt_record]
    sso_services.sso_domain_add(connection=connection, domain="contoso.co.example", actor=admin_user)
    sso_services.sso_refusal_record(enterprise=enterprise, detail="No member of Contoso has that userName.")
    client_secret_create(enterprise=enterprise, years=1, actor=admin_user)
    ada = provision(scim, "ada@contoso.example")
    provision(scim, "grace@contoso.example")
    gone = provision(scim, "alan@contoso.example")
    assert scim.delete(f"/Users/{gone}").status_code == 204
    group = GroupFactory(enterprise=enterprise, display_name="Plandisc admins")
    GroupMembershipFactory(group=group, member=enterprise.members.get(scim_id=ada))
    for minutes, status in ((5, 200), (50, 409), (300, 500)):
        ProvisioningEventFactory(
            enterprise=enterprise,
            created_at=now - timedelta(minutes=minutes),
            status=status,
            action=ProvisioningEvent.Action.UPDATED if status == 200 else "",
        )
    Alert.objects.create(
        enterprise=enterprise,
        kind="failures_rising",
        headline="2 of the last hour's 5 requests failed",
        lines=["409 Conflict: userName ada@contoso.example is taken"],
    )
    # Admin of two enterprises: the Enterprise link offers a choice, and the page a switcher.
    other_enterprise.admins.add(admin_user)
    return entra


@pytest.mark.parametrize("language", ["en", "da"])
def test_every_page_has_no_serious_accessibility_violation(
    chromium,
    site,
    enterprise,
    other_enterprise,
    admin_user,
    scim,
    dns,  # noqa: F811
    tmp_path,
    language,
):
    entra = _fill(enterprise, other_enterprise, admin_user, scim, dns, tmp_path)
    audit = Audit(language)

    # Someone signed out: the sign-in page, then single sign-on refused and signed in.
    person = _browser(chromium, site, language)
    person.goto("/accounts/login/")
    audit(person, "sign-in")
    _single_sign_on(person, entra, enterprise, "mallory@contoso.example")
    expect(person.locator("main code").first).to_be_visible()
    audit(person, "single sign-on refused")
    person.unroute_all()
    _single_sign_on(person, entra, enterprise, "ada@contoso.example")
    expect(person).to_have_url(f"{site}/sso/signed-in/")
    audit(person, "single sign-on signed in")
    person.context.close()

    # Someone signed in who administers nothing.
    UserFactory(username="visitor@contoso.example")
    visitor = _browser(chromium, site, language)
    _sign_in(visitor, "visitor@contoso.example")
    response = visitor.goto("/enterprise/")
    assert response.status == 403
    audit(visitor, "403")
    visitor.context.close()

    # The admin.
    admin = _browser(chromium, site, language)
    _sign_in(admin, admin_user.username)
    admin.goto("/enterprise/")
    audit(admin, "choose an enterprise")
    admin.goto("/enterprise/contoso/")
    admin.locator("#setup-check button[type=submit]").click()
    expect(admin.locator("#setup-check .check").first).to_be_visible()
    admin.locator("#scim-token-method > summary").click()
    admin.locator("#scim-token .confirm > summary").first.click()
    admin.locator("#setup-check").screenshot(path=OUTPUT / f"setup-check-{language}.png")
    audit(admin, "Enterprise page")
    admin.locator("form[action$='/scim/token/#scim-token'] button[type=submit]").click()
    expect(admin.locator("#new-scim-token")).to_be_visible()
    audit(admin, "Enterprise page with a new SCIM token")
    admin.goto("/enterprise/contoso/members/")
    audit(admin, "members")
    admin.goto("/enterprise/contoso/#sso")
    admin.locator("#sso textarea").fill("this is not metadata")
    admin.locator("form[action$='/sso/settings/contoso/'] button[type=submit]").click()
    expect(admin.locator(".notice-error")).to_be_visible()
    audit(admin, "single sign-on settings refused")
    admin.goto("/enterprise/contoso/#sso-domains")
    admin.locator("#sso-domains input[name=domain]").fill("contoso")
    admin.locator("#sso-domains form[action$='/domains/'] button[type=submit]").click()
    expect(admin.locator(".notice-error")).to_be_visible()
    audit(admin, "email domain refused")
    admin.context.close()

    audit.assert_clean()

"""Sign-in throttling on both password forms: per account from one address, and per address."""

from http import HTTPStatus

import pytest
from django.contrib.auth.backends import ModelBackend
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
REFUSED = "Too many failed sign-in attempts. Sign-in from here is paused for 15 minutes"
ATTACKER = "203.0.113.9"
FORMS = ["/accounts/login/", "/admin/login/"]


@pytest.fixture
def alice(db):
    return UserFactory(username="alice@contoso.example", is_staff=True, is_superuser=True)


@pytest.fixture
def password_checks(monkeypatch) -> list[str]:
    """The usernames whose password Django's ModelBackend checked (hashing it), in order."""
    checked = []
    authenticate = ModelBackend.authenticate

    def spy(self, request, username=None, password=None, **kwargs):
        checked.append(username)
        return authenticate(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", spy)
    return checked


def _sign_in(url: str, username: str, password: str, address: str = ATTACKER, **headers):
    client = Client(REMOTE_ADDR=address)
    return client.post(url, {"username": username, "password": password}, headers=headers)


def _signed_in(response) -> bool:
    return response.status_code == HTTPStatus.FOUND and "sessionid" in response.cookies


@pytest.mark.parametrize("url", FORMS)
def test_after_five_failures_even_the_right_password_is_refused_without_being_checked(
    url, alice, password_checks
):
    for _ in range(5):
        assert _sign_in(url, "alice@contoso.example", "guess").status_code == HTTPStatus.OK

    response = _sign_in(url, "alice@contoso.example", PASSWORD)

    assert response.status_code == HTTPStatus.OK
    assert REFUSED in response.text
    assert not _signed_in(response)
    assert password_checks == ["alice@contoso.example"] * 5


@pytest.mark.parametrize("url", FORMS)
def test_the_account_still_signs_in_from_another_address(url, alice):
    for _ in range(10):
        _sign_in(url, "alice@contoso.example", "guess")

    assert _signed_in(_sign_in(url, "alice@contoso.example", PASSWORD, address="198.51.100.4"))


def test_one_address_trying_many_accounts_is_refused_after_thirty_failures(alice, password_checks):
    for n in range(30):
        _sign_in("/accounts/login/", f"person{n}@contoso.example", "guess")

    response = _sign_in("/accounts/login/", "alice@contoso.example", PASSWORD)

    assert REFUSED in response.text and not _signed_in(response)
    assert len(password_checks) == 30


def test_the_refusal_ends_after_the_lockout(alice, time_machine):
    time_machine.move_to("2026-03-10 14:00:00Z", tick=False)
    for _ in range(5):
        _sign_in("/accounts/login/", "alice@contoso.example", "guess")
    assert REFUSED in _sign_in("/accounts/login/", "alice@contoso.example", PASSWORD).text

    time_machine.move_to("2026-03-10 14:15:01Z", tick=False)

    assert _signed_in(_sign_in("/accounts/login/", "alice@contoso.example", PASSWORD))


def test_a_success_forgets_the_accounts_failures_from_that_address(alice):
    for _ in range(4):
        _sign_in("/accounts/login/", "alice@contoso.example", "guess")
    assert _signed_in(_sign_in("/accounts/login/", "alice@contoso.example", PASSWORD))

    for _ in range(4):
        _sign_in("/accounts/login/", "alice@contoso.example", "guess")

    assert _signed_in(_sign_in("/accounts/login/", "alice@contoso.example", PASSWORD))


def test_the_account_is_counted_whatever_its_case_and_spaces(alice):
    for _ in range(4):
        _sign_in("/accounts/login/", "alice@contoso.example", "guess")
    _sign_in("/accounts/login/", " Alice@Contoso.EXAMPLE", "guess")

    assert REFUSED in _sign_in("/accounts/login/", "alice@contoso.example", PASSWORD).text


def test_forwarded_for_is_believed_only_behind_a_declared_proxy(alice, settings):
    for n in range(5):
        _sign_in("/accounts/login/", "alice@contoso.example", "guess", X_Forwarded_For=f"192.0.2.{n}")
    # Not behind a proxy: the forged header changed nothing, the five failures came from one address.
    assert REFUSED in _sign_in("/accounts/login/", "alice@contoso.example", PASSWORD).text

    settings.PLANDISC_BEHIND_PROXY = True
    # Behind the proxy, the address is the one it appended last, whatever the client put before it.
    proxied = {"address": "10.0.0.2", "X_Forwarded_For": f"{ATTACKER}, 198.51.100.4"}
    assert _signed_in(_sign_in("/accounts/login/", "alice@contoso.example", PASSWORD, **proxied))
    for _ in range(5):
        _sign_in("/accounts/login/", "alice@contoso.example", "guess", **proxied)
    assert REFUSED in _sign_in("/accounts/login/", "alice@contoso.example", PASSWORD, **proxied).text

"""
Sign-in throttling for the two password forms, /accounts/login/ and /admin/login/.

Failures are counted in Django's cache (Redis in production), so every worker and host sees the same numbers:
per account from one client address, and per client address whatever the account. Once either count reaches
its limit (SIGN_IN_FAILURES_PER_ACCOUNT, SIGN_IN_FAILURES_PER_ADDRESS), that address is refused before the
password is even hashed, until SIGN_IN_LOCKOUT_SECONDS pass without a new failure. Counting by account only
from the address that failed means nobody can lock a person out of their own account from elsewhere.
"""

import hashlib
import math

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from plandisc.counters import cache_count
from plandisc.http import client_address


class SignInThrottle:
    def __init__(self, request: HttpRequest, username: str):
        address = client_address(request)
        pair = hashlib.sha256(f"{username.strip().lower()}\n{address}".encode()).hexdigest()
        self.account_key = f"sign-in:account:{pair}"
        self.limits = {
            self.account_key: settings.SIGN_IN_FAILURES_PER_ACCOUNT,
            f"sign-in:address:{address}": settings.SIGN_IN_FAILURES_PER_ADDRESS,
        }

    def refused(self) -> bool:
        counts = cache.get_many(list(self.limits))
        return any(counts.get(key, 0) >= limit for key, limit in self.limits.items())

    def failed(self) -> None:
        """Count a failure; the lockout runs from the latest one."""
        for key in self.limits:
            cache_count(key, settings.SIGN_IN_LOCKOUT_SECONDS, extend=True)

    def succeeded(self) -> None:
        """Forget this account's failures from this address; the address's own count stays."""
        cache.delete(self.account_key)


def refusal_message() -> str:
    minutes = math.ceil(settings.SIGN_IN_LOCKOUT_SECONDS / 60)
    return ngettext(
        "Too many failed sign-in attempts. Sign-in from here is paused for %(minutes)d minute; please try "
        "again later.",
        "Too many failed sign-in attempts. Sign-in from here is paused for %(minutes)d minutes; please try "
        "again later.",
        minutes,
    ) % {"minutes": minutes}


class ThrottledSignInMixin:
    """An AuthenticationForm that refuses throttled clients before authenticate() hashes the password."""

    def clean(self) -> dict:
        throttle = SignInThrottle(self.request, self.cleaned_data.get("username") or "")
        if throttle.refused():
            raise ValidationError(refusal_message(), code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError as error:
            if error.code == "invalid_login":
                throttle.failed()
            raise
        throttle.succeeded()
        return cleaned


class SignInForm(ThrottledSignInMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Your email and password didn't match. Please try again."),
    }


class AdminSignInForm(ThrottledSignInMixin, AdminAuthenticationForm):
    pass

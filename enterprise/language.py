"""
The language a person sees Plandisc in. Anonymous visitors: the language cookie the switcher sets, else
their browser's Accept-Language, else English (Django's LocaleMiddleware). A signed-in person: the language
they chose with the switcher, kept on their Profile so it follows them to every device; else, signed in
through single sign-on, the one Entra's preferredLanguage gives (Member.language); else the same as
anonymous visitors.

The language is looked up once per session and kept in it, so pages cost no query for it.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from enterprise.models import Profile

# The session's language: a code of settings.LANGUAGES, or "" when the person has none of their own.
LANGUAGE_SESSION_KEY = "plandisc_language"


def chosen_language(user: AbstractBaseUser) -> str:
    """The language the person chose with the switcher, or ""."""
    return Profile.objects.filter(user=user).values_list("language", flat=True).first() or ""


def session_language_set(request: HttpRequest, language: str) -> None:
    """Make `language` (or, when "", the cookie's and browser's) the signed-in person's for this session."""
    request.session[LANGUAGE_SESSION_KEY] = language


class AccountLanguageMiddleware:
    """After authentication: a signed-in person's own language, when they have one, for this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            language = request.session.get(LANGUAGE_SESSION_KEY)
            if language is None:
                language = chosen_language(request.user)
                session_language_set(request, language)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The switcher: Django's set_language (the cookie, then back to `next`), and for a signed-in person the
    choice kept on their Profile and in their session."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        Profile.objects.update_or_create(user=request.user, defaults={"language": language})
        session_language_set(request, language)
    return response

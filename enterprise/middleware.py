from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from enterprise.models import Member
from enterprise.services import SSO_MEMBER_SESSION_KEY


class SsoSessionMiddleware:
    """
    Signs out a single sign-on session whose member is no longer active (or no longer exists).

    Deactivating or deleting a member already deletes their sessions server-side (services.member_deactivate
    and member_delete). This check, one primary-key query on requests of single sign-on sessions only, also
    covers a sign-in that raced with the deactivation and session backends that cannot delete by key.
    Password sessions carry no mark and are left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        member_id = request.session.get(SSO_MEMBER_SESSION_KEY)
        if member_id is not None and not Member.objects.filter(pk=member_id, active=True).exists():
            logout(request)
        return self.get_response(request)

from collections.abc import Callable

from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse

from enterprise.directory.models import Member

# The session key that marks a session signed in through single sign-on: the member it signed in as.
SSO_MEMBER_SESSION_KEY = "_sso_member_id"


class SsoSessionMiddleware:
    """
    Signs out a single sign-on session whose member is no longer active, no longer exists, or no longer signs
    in with the session's login account.

    Deprovisioning a member already deletes their sessions server-side
    (enterprise.directory.services.member_sessions_end). This
    check, one primary-key query on requests of single sign-on sessions only, also covers a sign-in that raced
    with the deactivation, session backends that cannot delete by key, and sessions of a login account a
    member no longer uses. Password sessions carry no mark and are left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        member_id = request.session.get(SSO_MEMBER_SESSION_KEY)
        if member_id is not None:
            user_id = request.session.get(SESSION_KEY)
            if not Member.objects.filter(pk=member_id, user_id=user_id, active=True).exists():
                logout(request)
        return self.get_response(request)

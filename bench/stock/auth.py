from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.crypto import constant_time_compare
from django_scim.middleware import SCIMAuthCheckMiddleware


class TokenHolder(AnonymousUser):
    """Whoever presents the static token: the library's predicate asks only `user.is_authenticated`."""

    is_authenticated = True


class StaticBearerToken(SCIMAuthCheckMiddleware):
    """The library's auth check (a 401 unless `request.user` is authenticated), with `request.user` set from
    a static bearer token instead of a session."""

    def process_request(self, request):
        presented = request.headers.get("Authorization", "")
        expected = f"Bearer {settings.STOCK_SCIM_TOKEN}"
        request.user = TokenHolder() if constant_time_compare(presented, expected) else AnonymousUser()
        return super().process_request(request)

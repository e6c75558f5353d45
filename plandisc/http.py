"""HTTP helpers that more than one app needs."""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address; behind our proxy, the last X-Forwarded-For entry, which the proxy appended."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rpartition(",")[2].strip()
    if settings.PLANDISC_BEHIND_PROXY and forwarded:
        return forwarded
    return request.META.get("REMOTE_ADDR", "")

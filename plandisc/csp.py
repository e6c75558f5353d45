from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase

# Pages with the "Sign in with single sign-on" form. Its POST is redirected on to the identity provider's
# sign-in page, and Chromium checks every redirect after a form submission against the form page's
# form-action.
SIGN_IN_PAGES = {"login", "sso:discover"}


def identity_provider_origins() -> list[str]:
    """The origins of the sign-in pages of every configured identity provider (for Entra ID, one or two)."""
    from enterprise.sso.models import SsoConnection

    urls = SsoConnection.objects.values_list("idp_sso_url", flat=True)
    return sorted({f"{part.scheme}://{part.netloc}" for part in map(urlsplit, urls)})


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy; on the sign-in page, form-action also allows identity providers."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        match = request.resolver_match
        page = response.get("Content-Type", "").startswith("text/html")
        if not report_only and page and match is not None and match.view_name in SIGN_IN_PAGES:
            parts.update = {**(parts.update or {}), "form-action": identity_provider_origins()}
        return parts

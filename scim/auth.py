from django_scim.middleware import SCIMAuthCheckMiddleware

from scim.errors import ScimError, error_response


class ScimAuthCheck(SCIMAuthCheckMiddleware):
    """
    django-scim2's per-view auth check. The bearer token is verified earlier, by scim.tenancy, which also
    picks the enterprise; this refuses any SCIM view reached without that having happened. It logs nothing:
    the stock class logs whole request bodies.
    """

    def process_request(self, request):
        if getattr(request, "scim_enterprise", None) is None:
            return error_response(
                ScimError(401, "Authentication required.", headers={"WWW-Authenticate": "Bearer"})
            )
        return None

    def process_response(self, request, response):
        return response

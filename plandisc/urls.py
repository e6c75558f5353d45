from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

# SCIM endpoints (/scim/v2/<enterprise id>/…) are routed by scim.tenancy.ScimTenantMiddleware to scim.urls.
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="enterprise:home", permanent=False)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("enterprise/", include("enterprise.urls")),
    path("sso/", include("enterprise.sso.urls")),
    path("admin/", admin.site.urls),
]

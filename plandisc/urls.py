from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

# SCIM endpoints (/scim/v2/<enterprise id>/…) are answered by scim.pipeline.ScimMiddleware, before these.
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="enterprise:home", permanent=False)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("enterprise/", include("enterprise.urls")),
    path("sso/", include("enterprise.sso_urls")),
    path("admin/", admin.site.urls),
]

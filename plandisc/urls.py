from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path
from django.views.generic import RedirectView

from enterprise.language import language_set
from plandisc.signin import AdminSignInForm, SignInForm

admin.site.login_form = AdminSignInForm

# SCIM endpoints (/scim/v2/<enterprise id>/…) are answered by scim.pipeline.ScimMiddleware and /healthz by
# plandisc.health.HealthCheckMiddleware, before these.
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="enterprise:home", permanent=False)),
    path("language/", language_set, name="set_language"),
    path("accounts/login/", LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("enterprise/", include("enterprise.urls")),
    path("sso/", include("enterprise.sso.urls")),
    path("admin/", admin.site.urls),
    path("oauth/", include("enterprise.credentials.urls")),
]

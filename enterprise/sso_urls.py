from django.urls import path

from enterprise import sso

app_name = "sso"

urlpatterns = [
    path("", sso.discover, name="discover"),
    path("settings/<slug:slug>/", sso.configure, name="configure"),
    path("<uuid:public_id>/login/", sso.login, name="login"),
    path("<uuid:public_id>/acs/", sso.acs, name="acs"),
    path("<uuid:public_id>/metadata/", sso.metadata, name="metadata"),
]

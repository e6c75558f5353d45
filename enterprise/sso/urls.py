from django.urls import path

from enterprise.sso import views

app_name = "sso"

urlpatterns = [
    path("", views.discover, name="discover"),
    path("signed-in/", views.signed_in, name="signed-in"),
    path("settings/<slug:slug>/", views.configure, name="configure"),
    path("settings/<slug:slug>/domains/", views.domain_add, name="domain-add"),
    path("settings/<slug:slug>/domains/<int:domain_id>/verify/", views.domain_verify, name="domain-verify"),
    path("settings/<slug:slug>/domains/<int:domain_id>/remove/", views.domain_remove, name="domain-remove"),
    path("<uuid:public_id>/login/", views.login, name="login"),
    path("<uuid:public_id>/acs/", views.acs, name="acs"),
    path("<uuid:public_id>/metadata/", views.metadata, name="metadata"),
]

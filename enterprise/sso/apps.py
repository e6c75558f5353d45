from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "enterprise.sso"
    label = "sso"
    verbose_name = "Single sign-on"

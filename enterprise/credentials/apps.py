from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "enterprise.credentials"
    label = "credentials"
    verbose_name = "SCIM credentials"

from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "enterprise.roles"
    label = "roles"
    verbose_name = "Roles"

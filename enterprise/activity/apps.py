from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "enterprise.activity"
    label = "activity"
    verbose_name = "Activity"

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "enterprise.alerts"
    label = "alerts"
    verbose_name = "Alerts"

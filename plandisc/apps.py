from django.apps import AppConfig


class PlandiscConfig(AppConfig):
    name = "plandisc"

    def ready(self) -> None:
        from plandisc import checks  # noqa: F401  (registers the system checks)

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from enterprise.activity.services import provisioning_events_prune


class Command(BaseCommand):
    help = (
        "Delete recorded SCIM provisioning activity older than --days (default SCIM_ACTIVITY_RETENTION_DAYS, "
        "90). Run it daily, e.g. from cron or a scheduled job."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=settings.SCIM_ACTIVITY_RETENTION_DAYS)

    def handle(self, *args, days: int, **options) -> None:
        if days < 1:
            raise CommandError("--days must be at least 1.")
        deleted = provisioning_events_prune(older_than=timedelta(days=days))
        self.stdout.write(f"Deleted {deleted} provisioning events older than {days} days.")

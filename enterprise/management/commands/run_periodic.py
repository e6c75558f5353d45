import time
from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Run the periodic jobs (PERIODIC_JOBS: alerts, pruning activity and single sign-on records, making "
        "activity's partitions on PostgreSQL, purging deleted members) in this process, each once per "
        "period, for a machine without Redis or a Celery worker: `make run` starts it beside the development "
        "server. Production runs them on Celery beat "
        "and workers instead. --once runs every job once and stops."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Run each job once, then stop.")
        parser.add_argument("--tick", type=int, default=30, help="Seconds between looks for due jobs.")

    def handle(self, *args, once: bool, tick: int, **options) -> None:
        if tick < 1:
            raise CommandError("--tick must be at least 1 second.")
        jobs = {name: _task(name) for name in settings.PERIODIC_JOBS}
        if not once:
            every = ", ".join(
                f"{name.rsplit('.', 1)[1]} every {_period(s)}" for name, s in settings.PERIODIC_JOBS.items()
            )
            self.stdout.write(
                f"Periodic jobs run in this process, without Redis or a Celery worker: {every}. "
                f"Emails are printed here unless EMAIL_HOST is set."
            )
        while True:
            for name, task in jobs.items():
                # A task called directly runs here; within its period it finds its claim taken and skips.
                try:
                    result = task()
                except Exception as exc:  # one failing job must not stop the others
                    self.stderr.write(f"{name} failed: {exc!r}")
                    continue
                if result is not None and once:
                    self.stdout.write(f"{name}: {result}")
            if once:
                return
            time.sleep(tick)


def _task(name: str):
    module, function = name.rsplit(".", 1)
    return getattr(import_module(module), function)


def _period(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hours" if hours > 1 else "hour"
    return f"{seconds // 60} minutes"

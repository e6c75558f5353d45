"""
The Celery app that runs background and periodic work (README, "Production"): `celery -A plandisc worker`
and `celery -A plandisc beat`. Configured from the settings' CELERY_* names; the broker is Redis
(CELERY_BROKER_URL, else REDIS_URL). Tasks live in the rooms that own the work (enterprise/<room>/tasks.py),
and beat's schedule is PERIODIC_JOBS in the settings. Without a broker (`make run`, the tests) tasks run
eagerly in the calling process, and `manage.py run_periodic` stands in for beat and the worker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plandisc.settings")

app = Celery("plandisc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

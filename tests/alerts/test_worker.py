"""
A real `celery worker` process, on Redis, runs the alerts' periodic job against this test's database and
sends the alert through the SMTP server the test started.
"""

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.db import connection
from django.utils import timezone

from enterprise.alerts.models import Alert
from tests.factories import ProvisioningEventFactory

ROOT = Path(__file__).resolve().parents[2]
# A database of Redis's own for these tests, so they never meet other users of the same server.
REDIS = "redis://127.0.0.1:6379/5"
JOB = "enterprise.alerts.tasks.alerts_check"

pytestmark = pytest.mark.django_db(transaction=True)


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(smtp_server):
    """A worker process on its own queue, configured as production configures one (environment only)."""
    queue = f"tests-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": REDIS,
        "CELERY_RESULT_BACKEND": REDIS,
        "EMAIL_HOST": smtp_server.hostname,
        "EMAIL_PORT": str(smtp_server.port),
        "EMAIL_USE_TLS": "false",
        "DEFAULT_FROM_EMAIL": "Plandisc <alerts@plandisc.test>",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "plandisc", "worker", "--pool", "solo", "-Q", queue]
        + ["--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT,
        env=env,
    )
    # This job's claim on its period, left by an earlier run, would make the worker skip it.
    redis.Redis.from_url(REDIS).delete(f":1:periodic:{JOB}")
    yield queue
    process.terminate()
    process.wait(timeout=30)
    redis.Redis.from_url(REDIS).delete(f":1:periodic:{JOB}")


def test_a_worker_process_runs_the_alerts_job_and_the_email_arrives(worker, enterprise, mailbox):
    ProvisioningEventFactory(enterprise=enterprise, created_at=timezone.now() - timedelta(hours=3))
    client = Celery(broker=REDIS, backend=REDIS)

    result = client.send_task(JOB, queue=worker)

    assert result.get(timeout=90) == 1
    alert = Alert.objects.get(enterprise=enterprise)
    assert (alert.kind, alert.sent_at is not None) == ("provisioning_silent", True)
    assert mailbox.recipients == [["admin@contoso.example"]]
    assert mailbox.subjects == ["Provisioning silent for Contoso: Provisioning has been silent for 3 hours"]

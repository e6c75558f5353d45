"""Periodic jobs run once per period however many schedulers and workers start them; `run_periodic` runs them
in one process where there is no worker (`make run`)."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from enterprise.activity.tasks import provisioning_activity_prune
from enterprise.sso.models import SsoRefusal
from enterprise.sso.tasks import sso_records_prune
from plandisc.periodic import claim_period
from tests.factories import ProvisioningEventFactory

pytestmark = pytest.mark.django_db

JOB = "enterprise.activity.tasks.provisioning_activity_prune"


def test_a_period_is_claimed_once_however_many_runs_start_in_it():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        first, second = claim_period(JOB), claim_period(JOB)
        traveller.shift(timedelta(hours=20))
        third = claim_period(JOB)
        traveller.shift(timedelta(hours=2))
        fourth = claim_period(JOB)

    assert (first, second, third, fourth) == (True, False, False, True)


def test_a_second_run_in_the_same_period_does_nothing(enterprise, settings):
    old = timezone.now() - timedelta(days=settings.SCIM_ACTIVITY_RETENTION_DAYS + 1)
    ProvisioningEventFactory(enterprise=enterprise, created_at=old)

    first = provisioning_activity_prune()
    ProvisioningEventFactory(enterprise=enterprise, created_at=old)
    second = provisioning_activity_prune()

    assert (first, second) == (1, None)
    assert enterprise.provisioning_events.count() == 1


def test_the_worker_prunes_single_sign_on_refusals_after_their_retention(enterprise):
    now = timezone.now()
    SsoRefusal.objects.create(
        enterprise=enterprise, reference="AAAA-0001", created_at=now - timedelta(days=31)
    )
    SsoRefusal.objects.create(
        enterprise=enterprise, reference="AAAA-0002", created_at=now - timedelta(days=1)
    )

    result = sso_records_prune()

    assert result == {"requests": 0, "assertions": 0, "refusals": 1}
    assert list(SsoRefusal.objects.values_list("reference", flat=True)) == ["AAAA-0002"]


def test_run_periodic_once_runs_every_job_in_this_process(enterprise, settings):
    old = timezone.now() - timedelta(days=settings.SCIM_ACTIVITY_RETENTION_DAYS + 1)
    ProvisioningEventFactory(enterprise=enterprise, created_at=old)
    out = StringIO()

    call_command("run_periodic", "--once", stdout=out)

    assert f"{JOB}: 1" in out.getvalue().splitlines()
    assert not enterprise.provisioning_events.exists()

"""Provisioning activity is kept for SCIM_ACTIVITY_RETENTION_DAYS, then pruned."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from enterprise.activity.models import ProvisioningEvent
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def test_prune_deletes_only_old_activity():
    enterprise = EnterpriseFactory()
    now = timezone.now()
    for age in (1, 89, 91, 400):
        ProvisioningEvent.objects.create(
            enterprise=enterprise,
            created_at=now - timedelta(days=age),
            method="GET",
            path="/Users",
            status=200,
        )
    out = StringIO()
    call_command("prune_provisioning_activity", stdout=out)

    assert out.getvalue().strip() == "Deleted 2 provisioning events older than 90 days."
    assert ProvisioningEvent.objects.count() == 2
    call_command("prune_provisioning_activity", "--days", "30", stdout=StringIO())
    assert ProvisioningEvent.objects.count() == 1

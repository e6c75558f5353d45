"""Provisioning activity's periodic chore, on the worker (schedule: PERIODIC_JOBS in the settings)."""

from datetime import timedelta

from django.conf import settings

from enterprise.activity.services import provisioning_events_prune
from plandisc.periodic import periodic


@periodic
def provisioning_activity_prune() -> int:
    """Delete provisioning activity older than SCIM_ACTIVITY_RETENTION_DAYS (as prune_provisioning_activity
    does by hand)."""
    return provisioning_events_prune(older_than=timedelta(days=settings.SCIM_ACTIVITY_RETENTION_DAYS))

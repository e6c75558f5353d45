"""Provisioning activity's periodic chores, on the worker (schedule: PERIODIC_JOBS in the settings)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from enterprise.activity.services import provisioning_events_prune, provisioning_partitions_make
from plandisc.periodic import periodic


@periodic
def provisioning_activity_prune() -> int:
    """Delete provisioning activity older than SCIM_ACTIVITY_RETENTION_DAYS (as prune_provisioning_activity
    does by hand)."""
    return provisioning_events_prune(older_than=timedelta(days=settings.SCIM_ACTIVITY_RETENTION_DAYS))


@periodic
def provisioning_partitions_create() -> int:
    """On PostgreSQL, make the days ahead of provisioning activity (see enterprise.activity.partitions);
    returns how many partitions were made."""
    retained = timedelta(days=settings.SCIM_ACTIVITY_RETENTION_DAYS)
    return len(provisioning_partitions_make(now=timezone.now(), retained=retained))

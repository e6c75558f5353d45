"""The directory's periodic chore, on the worker (schedule: PERIODIC_JOBS in the settings)."""

from datetime import timedelta

from django.conf import settings

from enterprise.directory.services import members_purge
from plandisc.periodic import periodic


@periodic
def deleted_members_purge() -> int:
    """Remove for good the members deleted more than MEMBER_RETENTION_DAYS ago."""
    return members_purge(older_than=timedelta(days=settings.MEMBER_RETENTION_DAYS))

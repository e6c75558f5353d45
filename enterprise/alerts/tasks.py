"""The alerts' periodic job, on the worker (schedule: PERIODIC_JOBS in the settings)."""

from enterprise.alerts.services import alerts_check as check
from plandisc.periodic import periodic


@periodic
def alerts_check() -> int:
    """Check every enterprise's alerts; returns how many emails went out."""
    return check()

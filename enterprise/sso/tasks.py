"""Single sign-on's periodic chore, on the worker (schedule: PERIODIC_JOBS in the settings)."""

from enterprise.sso.services import sso_records_prune as prune
from plandisc.periodic import periodic


@periodic
def sso_records_prune() -> dict[str, int]:
    """Remove expired sign-in requests and used assertion ids, and old refusals."""
    return prune()

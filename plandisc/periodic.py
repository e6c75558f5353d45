"""
Periodic jobs: Celery tasks that beat starts every PERIODIC_JOBS[name] seconds (settings), and that do their
work once per period however many beat schedulers and workers run, on however many hosts. Each run first
claims the period in the shared cache (Redis in production) with an atomic add(): the first run of a period
gets the claim, any other run of that job within the period finds it taken and does nothing.
"""

import functools
import logging
from collections.abc import Callable

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# A claim lasts a little less than the period, so that the next scheduled run is never refused because the
# scheduler ticked a moment early.
CLAIM_SHARE = 0.9


def claim_period(name: str) -> bool:
    """Whether this run of the periodic job `name` is the one of its period (True at most once a period)."""
    seconds = max(int(settings.PERIODIC_JOBS[name] * CLAIM_SHARE), 1)
    return cache.add(f"periodic:{name}", True, timeout=seconds)


def periodic(func: Callable[[], object]):
    """Make `func` the Celery task `<module>.<name>` that runs once per period (see claim_period)."""
    name = f"{func.__module__}.{func.__name__}"

    @shared_task(name=name)
    @functools.wraps(func)
    def task():
        if not claim_period(name):
            logger.info("%s ran already in this period; skipped", name)
            return None
        return func()

    return task

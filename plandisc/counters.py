"""Counters in Django's cache (Redis in production), so every worker and host counts together: the budgets
that bound failed sign-ins, credential guesses and refused single sign-on attempts."""

from django.core.cache import cache


def cache_count(key: str, timeout: int, *, extend: bool = False) -> int:
    """Add one to the counter `key` and return its new value. A new counter lives `timeout` seconds; with
    `extend`, every count restarts that time (a lockout that runs from the latest failure)."""
    if cache.add(key, 1, timeout):
        return 1
    try:
        value = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout)
        return 1
    if extend:
        cache.touch(key, timeout)
    return value

"""
What SCIM keeps in the shared cache (Redis in production), so that every worker on every host sees the same:
the per-enterprise rate limit, the budget of refused requests, and the credentials version that scim/auth.py
checks its cached resolutions against. Each call is one round trip.
"""

import hashlib
import logging
import threading
import time
import uuid

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from enterprise.credentials.services import enterprise_credentials_key
from plandisc.counters import cache_count
from scim.errors import ScimError

logger = logging.getLogger(__name__)

UNAVAILABLE = ScimError(503, "The service is busy; please retry.", headers={"Retry-After": "5"})


# _run's operations in one command: the script runs them in order, atomically, in one round trip.
OPERATIONS = """
local out = {}
for i, key in ipairs(KEYS) do
  local op, ttl = ARGV[2 * i - 1], ARGV[2 * i]
  if op == "get" then
    out[i] = redis.call("GET", key) or false
  elseif op == "count" then
    redis.call("SET", key, 0, "EX", ttl, "NX")
    out[i] = redis.call("INCR", key)
  else
    out[i] = redis.call("SET", key, 1, "EX", ttl, "NX") and 1 or 0
  end
end
return out
"""


def _run(operations: list[tuple]) -> list:
    """Run ("get", key) / ("count", key, timeout) / ("add", key, timeout) operations and return their results:
    the value, the count after adding one, whether the key was new. On Redis, one script call."""
    backend = caches["default"]
    try:
        if not isinstance(backend, RedisCache):
            return [_run_one(backend, op) for op in operations]
        keys = [backend.make_and_validate_key(op[1]) for op in operations]
        args = [a for op in operations for a in (op[0], op[2] if len(op) > 2 else 0)]
        replies = _script(backend)(keys=keys, args=args)
        results = []
        for op, reply in zip(operations, replies, strict=True):
            if op[0] == "get":
                results.append(None if reply is None else backend._cache._serializer.loads(reply))
            else:
                results.append(reply if op[0] == "count" else bool(reply))
        return results
    except Exception:
        logger.exception("The shared cache did not answer")
        raise UNAVAILABLE from None


SHA = hashlib.sha1(OPERATIONS.encode()).hexdigest()


class _Lane(threading.local):
    """This thread's own connection to the cache's Redis, made from its pool's settings on first use."""

    pool = None
    connection = None


_lane = _Lane()


def _script(backend: RedisCache):
    """A function running OPERATIONS on this thread's connection: EVALSHA written and its reply read on the
    connection itself. Every request makes this call; through the Redis client object (a connection taken
    from the pool and checked, the retry wrapper, the command dispatch) it cost more CPU than the round trip
    (a fifth of the worker's CPU of a user match). A script Redis no longer holds (after a restart) is loaded
    again; a broken connection is reopened once, then the error goes up (503)."""
    pool = backend._cache._get_connection_pool(True)
    if _lane.pool is not pool:
        _lane.pool, _lane.connection = pool, pool.connection_class(**pool.connection_kwargs)
    connection = _lane.connection

    def run(keys: list, args: list) -> list:
        for attempt in (1, 2):
            try:
                return _evalsha(connection, keys, args)
            except (redis.ConnectionError, redis.TimeoutError):
                connection.disconnect()
                if attempt == 2:
                    raise
        raise AssertionError  # unreachable

    return run


def _evalsha(connection, keys: list, args: list) -> list:
    command = _packed("EVALSHA", SHA, len(keys), *keys, *args)
    try:
        connection.send_packed_command([command])
        return connection.read_response()
    except redis.exceptions.NoScriptError:
        connection.send_command("SCRIPT", "LOAD", OPERATIONS)
        connection.read_response()
        connection.send_packed_command([command])
        return connection.read_response()


def _packed(*parts) -> bytes:
    """The command in Redis's protocol (RESP): what the client's packer makes, without its generality."""
    encoded = [str(part).encode() for part in parts]
    return b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(e), e) for e in encoded)


def _run_one(backend, op: tuple):
    if op[0] == "get":
        return backend.get(op[1])
    if op[0] == "add":
        return backend.add(op[1], 1, timeout=op[2])
    return cache_count(op[1], op[2])


def _minute() -> tuple[int, int]:
    now = int(time.time())
    return now // 60, 60 - now % 60


def credentials_version(public_id: uuid.UUID) -> object:
    return _run([("get", enterprise_credentials_key(public_id))])[0]


def admit(public_id: uuid.UUID) -> tuple[object, int]:
    """The enterprise's credentials version, and the seconds until it may call again (0: now). Counts this
    request against its fixed one-minute window."""
    minute, left = _minute()
    version, count = _run(
        [
            ("get", enterprise_credentials_key(public_id)),
            ("count", f"scim-rate:{public_id}:{minute}", 120),
        ]
    )
    return version, (0 if count <= settings.SCIM_RATE_LIMIT_PER_MINUTE else left)


def refuse(public_id: uuid.UUID, address: str) -> tuple[bool, int]:
    """Count a refused request (no or a wrong credential) against the enterprise's and the address's budget.
    Returns whether either budget is spent, and how many such requests the address made this minute."""
    minute, _ = _minute()
    per_enterprise, per_address = _run(
        [
            ("count", f"scim-refused:{public_id}:{minute}", 120),
            ("count", f"scim-refused:{public_id}:{address}:{minute}", 120),
        ]
    )
    over = (
        per_enterprise > settings.SCIM_REFUSED_PER_MINUTE
        or per_address > settings.SCIM_REFUSED_PER_ADDRESS_PER_MINUTE
    )
    return over, per_address


def refused_row(public_id: uuid.UUID, address: str) -> tuple[str, object, bool]:
    """Where the address's aggregate activity row of this minute is kept (its key, and its primary key so
    far or None), and whether it is due for an update: at most once a second."""
    key = f"scim-refused-row:{public_id}:{address}:{_minute()[0]}"
    due, pk = _run([("add", f"{key}:{int(time.time())}", 2), ("get", key)])
    return key, pk, due

"""
Provisioning activity's days on PostgreSQL, where its table is partitioned by day (migration 0004): one
partition a day (UTC), named enterprise_provisioningevent_pYYYYMMDD, and a DEFAULT partition that takes the
rows of a day whose partition does not exist (the worker was down), so that a write never fails for want of
one. The worker makes the days ahead (partitions_create) and prunes by dropping whole days
(partitions_drop). SQLite keeps one table and never calls this.

Every function here runs in one transaction that first takes an advisory lock, so two workers on two hosts
doing the same thing at once take turns and the second finds the work done. The locks on the table are
short and wait at most LOCK_TIMEOUT: attaching a day locks the DEFAULT partition (and the parent only
against other schema changes, never against reads or writes); dropping one locks the parent, which a
running query holds for as long as it runs, so a drop gives up rather than hold the activity writes queued
behind it.
"""

from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction

from enterprise.activity.models import ProvisioningEvent

TABLE = ProvisioningEvent._meta.db_table
DEFAULT = f"{TABLE}_default"
DAYS_AHEAD = 7
LOCK_TIMEOUT = "1s"
_ADVISORY_LOCK = 0x50415254  # "PART": this module's, one for every function here


def partition_name(day: date) -> str:
    return f"{TABLE}_p{day:%Y%m%d}"


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def partition_days() -> dict[date, str]:
    """The days that have a partition, and their partitions' names."""
    with connection.cursor() as cursor:
        return _days(cursor)


@transaction.atomic
def partitions_create(*, days: list[date]) -> list[str]:
    """
    Make the partitions of `days` that do not exist yet, each with the rows the DEFAULT partition holds for
    its day moved into it. Returns the names of the partitions made.
    """
    made = []
    with connection.cursor() as cursor:
        _begin(cursor)
        existing = _days(cursor)
        missing = sorted({day for day in days if day not in existing})
        if not missing:
            return made
        # Attaching scans the DEFAULT partition for rows of the new day under this lock; taking it first
        # keeps a row from landing there between moving that day's rows out and attaching.
        cursor.execute(f"LOCK TABLE {_q(DEFAULT)} IN ACCESS EXCLUSIVE MODE")
        columns = ", ".join(_q(c) for c in _columns(cursor))
        for day in missing:
            name, start, end = partition_name(day), _literal(day), _literal(day + timedelta(days=1))
            cursor.execute(
                f"CREATE TABLE {_q(name)} (LIKE {_q(TABLE)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            )
            cursor.execute(
                f"WITH moved AS (DELETE FROM {_q(DEFAULT)} WHERE created_at >= {start} "
                f"AND created_at < {end} RETURNING {columns}) "
                f"INSERT INTO {_q(name)} ({columns}) SELECT {columns} FROM moved"
            )
            cursor.execute(
                f"ALTER TABLE {_q(TABLE)} ATTACH PARTITION {_q(name)} FOR VALUES FROM ({start}) TO ({end})"
            )
            made.append(name)
    return made


def default_days(*, since: datetime) -> list[date]:
    """The days since `since` of the rows in the DEFAULT partition: written while their day had no
    partition."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM {_q(DEFAULT)} "
            "WHERE created_at >= %s",
            [since],
        )
        return [day for (day,) in cursor.fetchall()]


@transaction.atomic
def partitions_drop(*, before: datetime) -> int:
    """
    Drop the partitions of the days that ended by `before`, and delete the rows older than `before` from
    the DEFAULT partition. Returns how many rows went.
    """
    with connection.cursor() as cursor:
        _begin(cursor)
        old = [name for day, name in _days(cursor).items() if midnight(day + timedelta(days=1)) <= before]
        # Counted before the first drop locks the table: nothing writes to days this old.
        removed = 0
        for name in old:
            cursor.execute(f"SELECT count(*) FROM {_q(name)}")
            removed += cursor.fetchone()[0]
        for name in old:
            cursor.execute(f"DROP TABLE {_q(name)}")
        cursor.execute(f"DELETE FROM {_q(DEFAULT)} WHERE created_at < %s", [before])
        return removed + cursor.rowcount


def _begin(cursor) -> None:
    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])


def _days(cursor) -> dict[date, str]:
    prefix = f"{TABLE}_p"
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        [TABLE],
    )
    names = [name for (name,) in cursor.fetchall() if name.startswith(prefix)]
    return {datetime.strptime(name[len(prefix) :], "%Y%m%d").date(): name for name in names}


def _columns(cursor) -> list[str]:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum",
        [TABLE],
    )
    return [name for (name,) in cursor.fetchall()]


def _literal(day: date) -> str:
    # DDL takes no bound parameters: a day's bound is written as a literal, made from a date.
    return f"'{day.isoformat()} 00:00:00+00'"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)

"""
On PostgreSQL, provisioning activity becomes a table partitioned by day (UTC), converted in place: a
partitioned table with the same columns (read from the catalog, LIKE the old one), a partition for every day
that has rows and for the days ahead, a DEFAULT partition for the rows of a day whose partition the worker has
not made yet, every row moved with its id, the id sequence carried on, then the names swapped and the indexes
and foreign keys made again with their names (on the parent: partitioned indexes). The primary key becomes
(id, created_at), as PostgreSQL requires the partition key in it; Django keeps `id` as the model's pk. The old
table is locked for the whole migration, so no row written meanwhile is lost. Reversing makes one plain table
again. SQLite keeps one table: nothing happens there.

Self-contained on purpose (a migration must not change with the app's code): the partitions it makes follow
the names of enterprise.activity.partitions.
"""

from datetime import UTC, date, datetime, timedelta

from django.db import migrations

TABLE = "enterprise_provisioningevent"
DAYS_AHEAD = 7


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _convert(schema_editor, *, partition: bool) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    new = f"{TABLE}_converted"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {_q(TABLE)} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            [TABLE],
        )
        columns = ", ".join(_q(name) for (name,) in cursor.fetchall())
        # The indexes other than the primary key, and the foreign keys, as statements to run again.
        cursor.execute(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass "
            "AND NOT i.indisprimary",
            [TABLE],
        )
        indexes = [row[0].replace(" ON ONLY ", " ON ") for row in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype = 'f'",
            [TABLE],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, 'id'), conname FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'p'",
            [TABLE, TABLE],
        )
        sequence, primary_key = cursor.fetchone()
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
        last_value, is_called = cursor.fetchone()

        like = f"(LIKE {_q(TABLE)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY INCLUDING STORAGE)"
        if partition:
            cursor.execute(f"CREATE TABLE {_q(new)} {like} PARTITION BY RANGE (created_at)")
            cursor.execute(
                f"SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM {_q(TABLE)} ORDER BY 1"
            )
            today = datetime.now(UTC).date()
            days = {row[0] for row in cursor.fetchall()} | {today + timedelta(days=n) for n in range(DAYS_AHEAD)}
            for day in sorted(days):
                cursor.execute(
                    f"CREATE TABLE {_q(f'{TABLE}_p{day:%Y%m%d}')} PARTITION OF {_q(new)} "
                    f"FOR VALUES FROM ({_midnight(day)}) TO ({_midnight(day + timedelta(days=1))})"
                )
            cursor.execute(f"CREATE TABLE {_q(TABLE + '_default')} PARTITION OF {_q(new)} DEFAULT")
        else:
            cursor.execute(f"CREATE TABLE {_q(new)} {like}")
        cursor.execute(f"INSERT INTO {_q(new)} ({columns}) SELECT {columns} FROM {_q(TABLE)}")
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, %s)", [new, last_value, is_called]
        )
        cursor.execute(f"DROP TABLE {_q(TABLE)}")
        cursor.execute(f"ALTER TABLE {_q(new)} RENAME TO {_q(TABLE)}")
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
        cursor.execute(f"ALTER SEQUENCE {cursor.fetchone()[0]} RENAME TO {_q(TABLE + '_id_seq')}")
        key = "(id, created_at)" if partition else "(id)"
        cursor.execute(f"ALTER TABLE {_q(TABLE)} ADD CONSTRAINT {_q(primary_key)} PRIMARY KEY {key}")
        for statement in indexes:
            cursor.execute(statement)
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {_q(TABLE)} ADD CONSTRAINT {_q(name)} {definition}")


def _midnight(day: date) -> str:
    # DDL takes no bound parameters: the bound is written as a literal.
    return f"'{day.isoformat()} 00:00:00+00'"


def partition(apps, schema_editor) -> None:
    _convert(schema_editor, partition=True)


def unpartition(apps, schema_editor) -> None:
    _convert(schema_editor, partition=False)


class Migration(migrations.Migration):
    dependencies = [
        ("activity", "0004_domain_unverified_audit_action"),
    ]

    operations = [
        migrations.RunPython(partition, unpartition, elidable=False),
    ]

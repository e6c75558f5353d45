"""
On PostgreSQL provisioning activity is partitioned by day: the worker makes the days ahead (twice or at once
on two hosts, the same partitions), a write for a day without its partition still lands (in the DEFAULT
partition, moved into the day's partition once it is made), pruning drops whole days past retention, and
the Enterprise page's queries read only the days they show.
"""

import re
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enterprise.activity import partitions
from enterprise.activity.models import ProvisioningEvent
from enterprise.activity.selectors import (
    ActivityFilter,
    CappedPaginator,
    activity_chart,
    last_changes,
    provisioning_activity,
)
from enterprise.activity.services import provisioning_events_record, provisioning_partitions_make
from enterprise.activity.tasks import provisioning_partitions_create
from tests.factories import ProvisioningEventFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite keeps provisioning activity in one table, unpartitioned"
)

RETAINED = timedelta(days=90)
# Far enough from today that the migration made none of these days when it made the test database.
LATER = timedelta(days=200)


def _partition_of(event_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {partitions.TABLE} WHERE id = %s", [event_id])
        return cursor.fetchone()[0]


def _week_from(day) -> set:
    return {day + timedelta(days=n) for n in range(partitions.DAYS_AHEAD)}


@pytest.mark.django_db
def test_the_worker_makes_today_and_the_week_ahead_once():
    later = timezone.now() + LATER
    with time_machine.travel(later, tick=False):
        made = provisioning_partitions_create()
        again = provisioning_partitions_make(now=later, retained=RETAINED)

    today = later.astimezone(UTC).date()
    assert made == partitions.DAYS_AHEAD
    assert again == []
    assert _week_from(today) <= set(partitions.partition_days())
    assert today - timedelta(days=1) not in partitions.partition_days()


@pytest.mark.django_db(transaction=True)
def test_two_workers_making_the_same_days_at_once_both_succeed():
    later = timezone.now() + LATER
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(provisioning_partitions_make(now=later, retained=RETAINED))
        except Exception as exc:  # reported below, with what it was
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert errors == []
        made = [name for result in results for name in result]
        week = _week_from(later.astimezone(UTC).date())
        assert sorted(made) == sorted(partitions.partition_name(day) for day in week)
        assert week <= set(partitions.partition_days())
    finally:
        with connection.cursor() as cursor:
            for day in _week_from(later.astimezone(UTC).date()):
                cursor.execute(f'DROP TABLE IF EXISTS "{partitions.partition_name(day)}"')


@pytest.mark.django_db
def test_a_write_for_a_day_without_its_partition_lands_and_moves_in_when_the_day_is_made(enterprise):
    later = timezone.now() + LATER
    row = {column: "" for column in ProvisioningEvent.RECORDED}
    row.update(enterprise_id=enterprise.pk, created_at=later, method="GET", path="/Users", status=200)
    row["duration_ms"] = 3

    provisioning_events_record(events=[row])
    event = ProvisioningEvent.objects.get(enterprise=enterprise, created_at=later)
    assert _partition_of(event.pk) == partitions.DEFAULT

    with time_machine.travel(later - timedelta(days=1), tick=False):
        provisioning_partitions_create()

    day = later.astimezone(UTC).date()
    assert _partition_of(event.pk) == partitions.partition_name(day)
    assert ProvisioningEvent.objects.get(pk=event.pk).duration_ms == 3
    assert ProvisioningEvent.objects.filter(enterprise=enterprise).count() == 1


@pytest.mark.django_db
def test_the_worker_also_makes_the_kept_days_whose_rows_went_to_the_default_partition(enterprise):
    now = timezone.now()
    stranded = ProvisioningEventFactory(enterprise=enterprise, created_at=now - timedelta(days=40))
    too_old = ProvisioningEventFactory(enterprise=enterprise, created_at=now - timedelta(days=120))

    made = provisioning_partitions_make(now=now, retained=RETAINED)

    day = (now - timedelta(days=40)).astimezone(UTC).date()
    assert partitions.partition_name(day) in made
    assert _partition_of(stranded.pk) == partitions.partition_name(day)
    assert _partition_of(too_old.pk) == partitions.DEFAULT


@pytest.mark.django_db
def test_pruning_drops_the_days_past_retention_and_keeps_the_rest(enterprise):
    now = timezone.now()
    today = now.astimezone(UTC).date()
    days = [today - timedelta(days=age) for age in range(85, 96)]
    partitions.partitions_create(days=days)
    for day in days:
        for hour in (1, 12, 23):
            noonish = partitions.midnight(day) + timedelta(hours=hour)
            ProvisioningEventFactory(enterprise=enterprise, created_at=noonish)
    # A day the worker never made, long past: its row waits in the DEFAULT partition.
    ProvisioningEventFactory(enterprise=enterprise, created_at=now - timedelta(days=300))
    with connection.cursor() as cursor:
        # The rows' foreign key checks wait for the end of the test's transaction, and a table with checks
        # pending cannot be dropped; the worker never prunes rows it wrote in the same transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    out = StringIO()

    call_command("prune_provisioning_activity", stdout=out)

    # Days 91 to 95 ago ended more than 90 days ago: 5 days of 3 rows, and the row in DEFAULT.
    assert out.getvalue().strip() == "Deleted 16 provisioning events older than 90 days."
    kept = set(partitions.partition_days())
    assert not kept & set(days[6:])
    assert set(days[:6]) <= kept
    assert ProvisioningEvent.objects.filter(enterprise=enterprise).count() == 6 * 3
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{partitions.DEFAULT}"')
        assert cursor.fetchone()[0] == 0


def _partitions_read(queryset) -> set[str]:
    """The partitions PostgreSQL's plan for `queryset` reads."""
    every = {*partitions.partition_days().values(), partitions.DEFAULT}
    return {name for name in re.findall(r"\bon (\w+)", queryset.explain()) if name in every}


@pytest.mark.django_db
def test_the_page_reads_only_the_partitions_of_the_period_shown(enterprise):
    now = datetime(2031, 3, 15, 10, 30, tzinfo=UTC)
    today = now.date()
    days = [today - timedelta(days=age) for age in range(0, 100)]
    partitions.partitions_create(days=days + [today + timedelta(days=1)])
    ProvisioningEventFactory(enterprise=enterprise, created_at=now)

    def names(ages) -> set[str]:
        return {partitions.partition_name(today - timedelta(days=age)) for age in ages}

    default = provisioning_activity(enterprise, ActivityFilter.of({}), now=now)
    errors = provisioning_activity(enterprise, ActivityFilter.of({"kind": "errors"}), now=now)
    last_day = provisioning_activity(enterprise, ActivityFilter(period="24h"), now=now)
    long = provisioning_activity(enterprise, ActivityFilter(kind="errors", period="90d"), now=now)

    with CaptureQueriesContext(connection) as page:
        assert [e.created_at for e in CappedPaginator(default, 20).get_page(1)] == [now]

    # The default period, the last 7 days: its 8 days (the first one in part), no other day nor the DEFAULT
    # partition, for the page's rows and its pager's count.
    assert [_tables_read(q["sql"]) for q in page.captured_queries] == [names(range(8))] * 2
    assert "LIMIT 10001" in page.captured_queries[0]["sql"]
    assert _partitions_read(errors) == names(range(8))
    assert _partitions_read(last_day) == names(range(2))
    # The longest period reads every day kept, and still no older day.
    assert _partitions_read(long) == names(range(91))


@pytest.mark.django_db
def test_the_chart_and_the_members_last_changes_read_the_last_week(enterprise):
    now = datetime(2031, 3, 15, 10, 30, tzinfo=UTC)
    today = now.date()
    partitions.partitions_create(days=[today - timedelta(days=age) for age in range(-1, 100)])
    week = {partitions.partition_name(today - timedelta(days=age)) for age in range(8)}
    recent = ProvisioningEventFactory(
        enterprise=enterprise, created_at=now - timedelta(days=1), target_id="m-1", action="updated"
    )
    old = ProvisioningEventFactory(
        enterprise=enterprise, created_at=now - timedelta(days=60), target_id="m-2", action="created"
    )

    with CaptureQueriesContext(connection) as chart:
        activity_chart(enterprise, now)
    with CaptureQueriesContext(connection) as found_recent:
        assert last_changes(enterprise, ["m-1"], now) == {"m-1": recent}
    # A member whose last change is older is found too, by a second read of the older days.
    assert last_changes(enterprise, ["m-1", "m-2", "m-3"], now) == {"m-1": recent, "m-2": old}

    assert [_tables_read(q["sql"]) for q in chart.captured_queries] == [week]
    assert [_tables_read(q["sql"]) for q in found_recent.captured_queries] == [week]


def _tables_read(sql: str) -> set[str]:
    every = {*partitions.partition_days().values(), partitions.DEFAULT}
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return {name for name in re.findall(r"\bon (\w+)", plan) if name in every}


@pytest.mark.django_db
def test_the_table_keeps_only_the_indexes_its_reads_use():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", [partitions.TABLE]
        )
        indexes = [indexdef.split(" USING btree ")[1] for (indexdef,) in cursor.fetchall()]

    # The enterprise's own index went (migration 0007): the others lead with it.
    assert indexes == [
        "(id, created_at)",
        "(enterprise_id, created_at DESC) WHERE (status >= 400)",
        "(enterprise_id, created_at DESC)",
        "(enterprise_id, target_id, created_at DESC)",
    ]

"""
Upgrading to partitioned provisioning activity (activity 0004) on PostgreSQL keeps every row: rows written
at 0003, one plain table, are all there after it with the same ids and values, each in its day's partition,
and the ids carry on from where they were.
"""

from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from enterprise.activity import partitions
from enterprise.activity.models import ProvisioningEvent
from tests.factories import EnterpriseFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite keeps provisioning activity in one table, unpartitioned",
    ),
    pytest.mark.django_db(transaction=True),
]

BEFORE = ("activity", "0004_domain_unverified_audit_action")


def _migrate(targets) -> None:
    MigrationExecutor(connection).migrate(targets)


def _newest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _rows() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT *, tableoid::regclass::text AS stored_in FROM {partitions.TABLE} ORDER BY id")
        names = [column.name for column in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


@pytest.fixture
def _leaves_only_the_days_ahead():
    """The upgrade makes partitions for the days of the test's rows; later tests expect those days to have
    none (their rows to go to the DEFAULT partition)."""
    yield
    ahead = {timezone.now().astimezone(UTC).date() + timedelta(days=n) for n in range(partitions.DAYS_AHEAD)}
    with connection.cursor() as cursor:
        for day, name in partitions.partition_days().items():
            if day not in ahead:
                cursor.execute(f'DROP TABLE "{name}"')


@pytest.mark.usefixtures("_leaves_only_the_days_ahead")
def test_upgrading_moves_every_row_into_its_days_partition_and_ids_carry_on():
    enterprise, other = EnterpriseFactory(), EnterpriseFactory()
    now = timezone.now()
    try:
        _migrate([BEFORE])
        executor = MigrationExecutor(connection)
        Event = executor.loader.project_state([BEFORE]).apps.get_model("activity", "ProvisioningEvent")
        for n, age in enumerate([0, 0, 1, 3, 40, 89, 120]):
            Event.objects.create(
                enterprise_id=(enterprise if n % 2 else other).pk,
                created_at=now - timedelta(days=age, minutes=n),
                method="PATCH",
                path=f"/Users/{n}",
                status=200 + n,
                duration_ms=n,
                action="updated",
                summary=f"Updated bo{n}@contoso.com",
                target_id=f"id-{n}",
            )
        before = _rows()
        assert {row["stored_in"] for row in before.values()} == {partitions.TABLE}
    finally:
        _migrate(_newest())

    after = _rows()
    assert after.keys() == before.keys()
    for pk, row in after.items():
        day = row["created_at"].astimezone(UTC).date()
        assert row["stored_in"] == partitions.partition_name(day)
        # Columns added by later migrations (NULL in moved rows) aside, every value is the one it had.
        assert {k: row[k] for k in before[pk] if k != "stored_in"} == {
            k: v for k, v in before[pk].items() if k != "stored_in"
        }
    today = now.astimezone(UTC).date()
    ahead = {today + timedelta(days=n) for n in range(partitions.DAYS_AHEAD)}
    assert ahead <= set(partitions.partition_days())

    added = ProvisioningEvent.objects.create(enterprise=enterprise, method="GET", path="/Users", status=200)
    assert added.pk == max(before) + 1
    today_partition = partitions.partition_name(added.created_at.astimezone(UTC).date())
    assert _rows()[added.pk]["stored_in"] == today_partition

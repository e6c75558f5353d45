"""
Writes to an enterprise's activity: one row per SCIM or token request (written in batches, see
enterprise.activity.batch), its retention, and the audit trail of who changed what.
"""

from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone

from enterprise.activity import partitions
from enterprise.activity.models import AuditEvent, ProvisioningEvent
from enterprise.models import Enterprise


def token_request_record(
    *,
    enterprise: Enterprise,
    method: str,
    status: int,
    detail: str,
    credential: str,
    user_agent: str,
    duration_ms: int,
) -> None:
    """Record a token endpoint request in the enterprise's provisioning activity. No secret is stored."""
    ProvisioningEvent.objects.create(
        enterprise=enterprise,
        method=ProvisioningEvent.storable(method, 10),
        path="/token",
        status=status,
        detail=ProvisioningEvent.storable(detail, 500),
        credential=ProvisioningEvent.storable(credential, 100),
        user_agent=ProvisioningEvent.storable(user_agent, 255),
        duration_ms=duration_ms,
    )


def provisioning_events_record(*, events: list[dict]) -> None:
    """
    Store a batch of provisioning activity rows, each a dict of ProvisioningEvent.RECORDED columns, with one
    statement: a COPY on PostgreSQL (psycopg formats the rows in C; executemany bound and sent each row in
    Python), an executemany elsewhere. Written out rather than bulk_create, which prepares every value of
    every row through its model field and cost more CPU than the SCIM request a row describes.
    """
    columns = ProvisioningEvent.RECORDED
    table = f'"{ProvisioningEvent._meta.db_table}" ({", ".join(columns)})'
    insert = f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(columns))})"
    copy = f"COPY {table} FROM STDIN"
    adapt = {
        "created_at": connection.ops.adapt_datetimefield_value,
        "facts": lambda value: ProvisioningEvent._meta.get_field("facts").get_db_prep_save(value, connection),
    }
    rows = [[adapt[c](e.get(c)) if c in adapt else e[c] for c in columns] for e in events]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(copy) as rows_in:
                for row in rows:
                    rows_in.write_row(row)
        else:
            cursor.executemany(insert, rows)


def provisioning_refusals_record(
    *, event: ProvisioningEvent | None, enterprise: Enterprise, address: str, refused: int
) -> ProvisioningEvent:
    """
    The one activity row that stands for many refused requests from `address` in a minute: created with the
    first, then its count kept up to date (`event` is the row made so far).
    """
    detail = f"{refused} requests with an invalid token from {address} in the last minute"
    if event is not None:
        # With its time, PostgreSQL looks in that one day's partition only.
        ProvisioningEvent.objects.filter(pk=event.pk, created_at=event.created_at).update(detail=detail[:500])
        return event
    return ProvisioningEvent.objects.create(
        enterprise=enterprise, method="*", path="*", status=429, scim_type="", detail=detail[:500]
    )


def provisioning_events_prune(*, older_than: timedelta) -> int:
    """
    Delete provisioning activity older than `older_than`; returns how many rows went. On PostgreSQL whole
    days go, each by dropping its partition, once the whole day is older (a row stays up to a day longer);
    on SQLite, row by row.
    """
    before = timezone.now() - older_than
    if connection.vendor == "postgresql":
        return partitions.partitions_drop(before=before)
    deleted, _ = ProvisioningEvent.objects.filter(created_at__lt=before).delete()
    return deleted


def provisioning_partitions_make(*, now: datetime, retained: timedelta) -> list[str]:
    """
    On PostgreSQL, make the partitions of today and the days ahead (partitions.DAYS_AHEAD), and of the
    retained days whose rows went to the DEFAULT partition for want of one; returns their names. SQLite has
    no partitions: nothing to do.
    """
    if connection.vendor != "postgresql":
        return []
    today = now.astimezone(UTC).date()
    ahead = [today + timedelta(days=n) for n in range(partitions.DAYS_AHEAD)]
    return partitions.partitions_create(days=ahead + partitions.default_days(since=now - retained))


def audit_record(
    *, enterprise: Enterprise, action: str, actor: AbstractBaseUser | None = None, detail: str = ""
) -> AuditEvent:
    """Record a change to the enterprise's settings or roles: who (None: the identity provider or Plandisc
    support, see AuditEvent.done_by), what (an AuditEvent.Action), and a short detail. Never a secret."""
    return AuditEvent.objects.create(enterprise=enterprise, actor=actor, action=action, detail=detail[:255])

"""
Table 6: years of history. Provisioning activity filled to --history-rows rows over the 90 days kept, for
many enterprises (one large one with LARGE_SHARE of the rows, the measured one, and a typical one), with
INSERT … SELECT generate_series in seconds per million rows. Then, in the same run, against a copy of the
same rows in one plain table (the layout before partitions, the baseline):

- pruning the oldest day: dropping its partition (the worker's own partitions_drop) against DELETE of the
  same rows, and the VACUUM that DELETE leaves to do;
- the Enterprise page's activity reads, the SQL of the real selectors (captured once through them, then run
  again and timed): the page of recent requests and its pager's count, the filters (errors, changes, one
  member), the chart, the members view's last changes, in the page's default period (the last 7 days) and
  over the longest one (90 days). Median and p95 over the repeats, against the target.
"""

import os
import statistics
import time
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.client import percentile
from bench.report import ms, table, verdict
from enterprise.activity import partitions
from enterprise.activity.selectors import (
    ActivityFilter,
    CappedPaginator,
    activity_chart,
    last_changes,
    provisioning_activity,
)
from enterprise.models import Enterprise

DAYS = 90
ENTERPRISES = 1000
LARGE_SHARE = 0.05
PAGE = 20  # the Enterprise page's ACTIVITY_PAGE_SIZE
TARGET = 0.050
BASELINE = "history_unpartitioned"
CHUNK = 1_000_000
# Timed runs of each read at most: a count over the large enterprise's half a million rows takes a while.
REPEAT = 30


def run(rows: int, repeat: int) -> str:
    repeat = min(repeat, REPEAT)
    started = time.perf_counter()
    now = timezone.now()
    large, typical = seed(rows, now)
    filled = time.perf_counter() - started
    started = time.perf_counter()
    copy_baseline()
    copied = time.perf_counter() - started
    print(f"History: {rows:,} rows in {filled:.0f} s, copied in {copied:.0f} s", flush=True)
    prune = measure_prune(now)
    load = os.getloadavg()[0]
    reads = [
        [who, name, *measure(statements, repeat)]
        for who, enterprise in (("large", large), ("typical", typical))
        for name, statements in reads_of(enterprise, now)
    ]
    load = f"{load:.1f} before the reads, {os.getloadavg()[0]:.1f} after"
    return history_table(rows, filled, copied, prune, reads, repeat, load)


def seed(rows: int, now) -> tuple[Enterprise, Enterprise]:
    """Enterprises, the days' partitions, and `rows` activity rows spread evenly over DAYS days back from
    `now`: LARGE_SHARE of them the large enterprise's, the rest spread over the others."""
    Enterprise.objects.bulk_create(
        Enterprise(slug=f"history-{n}", name=f"History {n}") for n in range(ENTERPRISES)
    )
    ids = list(
        Enterprise.objects.filter(slug__startswith="history-").order_by("pk").values_list("pk", flat=True)
    )
    today = now.date()
    partitions.partitions_create(days=[today - timedelta(days=n) for n in range(DAYS + 1)])
    # From the first moment of the oldest day, so that pruning it removes a whole day's rows.
    start = partitions.midnight(today - timedelta(days=DAYS))
    large_rows = int(rows * LARGE_SHARE)
    columns = ", ".join(EXPRESSIONS)
    values = ", ".join(e.replace("%", "%%") for e in EXPRESSIONS.values())
    with connection.cursor() as cursor:
        for first in range(1, rows + 1, CHUNK):
            last = min(first + CHUNK - 1, rows)
            cursor.execute(
                f"INSERT INTO {partitions.TABLE} ({columns}) "
                f"SELECT {values} FROM ("
                "  SELECT g,"
                "  CASE WHEN g %% 1000 < %s::int THEN %s::bigint"
                "  ELSE (%s::bigint[])[(1 + g %% %s::int)::int] END AS enterprise_id,"
                "  %s::timestamptz + (g * %s::float8 / %s::float8) * interval '1 second' AS created_at"
                "  FROM generate_series(%s::bigint, %s::bigint) g"
                ") AS s",
                [
                    int(LARGE_SHARE * 1000),
                    ids[0],
                    ids[1:],
                    len(ids) - 1,
                    start,
                    (now - start).total_seconds(),
                    rows,
                    first,
                    last,
                ],
            )
            print(f"  {last:,} rows", flush=True)
        # As autovacuum leaves a table that only grows (PostgreSQL 13 on): statistics and the visibility map.
        cursor.execute(f"VACUUM ANALYZE {partitions.TABLE}")
    large = Enterprise.objects.get(pk=ids[0])
    typical = Enterprise.objects.get(pk=ids[1 + len(ids) // 2])
    print(f"  large enterprise: {large_rows:,} rows", flush=True)
    return large, typical


# The columns of a seeded row, as SQL over g (the row's number), enterprise_id and created_at: mostly user
# lookups that succeed, some changes, a few client and server errors, targets among 20,000 members.
EXPRESSIONS = {
    "enterprise_id": "enterprise_id",
    "created_at": "created_at",
    "method": "(ARRAY['GET','GET','GET','PATCH','POST','GET','PATCH','GET','DELETE','GET'])[g % 10 + 1]",
    "path": "'/Users/' || (g % 20000)",
    "resource_type": "'User'",
    "resource_id": "'user-' || (g % 20000)",
    "status": "CASE WHEN g % 100 = 0 THEN 500 WHEN g % 100 < 5 THEN 404 ELSE 200 END",
    "duration_ms": "g % 50",
    "scim_type": "''",
    "detail": "CASE WHEN g % 100 < 5 THEN 'Resource not found' ELSE '' END",
    "user_agent": "'Azure AD SCIM Client'",
    "credential": "'SCIM token pdscim_…a1b2'",
    "action": "(ARRAY['looked_up','looked_up','read','updated','created','looked_up','deactivated',"
    "'looked_up','deleted','read'])[g % 10 + 1]",
    "summary": "'Looked up user-' || (g % 20000)",
    "target_type": "'User'",
    "target_id": "'user-' || (g % 20000)",
    "target_label": "'user' || (g % 20000) || '@contoso.example'",
}


def copy_baseline() -> None:
    """The same rows in one plain table with the indexes of before (primary key id)."""
    table = partitions.TABLE
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BASELINE}")
        cursor.execute(f"CREATE TABLE {BASELINE} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(f"INSERT INTO {BASELINE} SELECT * FROM {table}")
        cursor.execute(f"ALTER TABLE {BASELINE} ADD PRIMARY KEY (id)")
        cursor.execute(f"CREATE INDEX ON {BASELINE} (enterprise_id)")
        cursor.execute(f"CREATE INDEX ON {BASELINE} (enterprise_id, created_at DESC)")
        cursor.execute(f"CREATE INDEX ON {BASELINE} (enterprise_id, target_id, created_at DESC)")
        cursor.execute(f"VACUUM ANALYZE {BASELINE}")


def measure_prune(now) -> dict:
    """Seconds to remove the oldest day, and its rows: by dropping its partition, and by DELETE (then the
    VACUUM that DELETE leaves to do) from the plain copy."""
    oldest = min(partitions.partition_days())
    end = partitions.midnight(oldest + timedelta(days=1))
    started = time.perf_counter()
    dropped = partitions.partitions_drop(before=end)
    drop = time.perf_counter() - started
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(f"DELETE FROM {BASELINE} WHERE created_at < %s", [end])
        deleted = cursor.rowcount
        delete = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute(f"VACUUM {BASELINE}")
        vacuum = time.perf_counter() - started
    return {
        "day": oldest,
        "dropped": dropped,
        "drop": drop,
        "deleted": deleted,
        "delete": delete,
        "vacuum": vacuum,
    }


def reads_of(enterprise: Enterprise, now) -> list[tuple[str, list[str]]]:
    """Each read of the Enterprise page's activity, as the SQL statements it runs: the page of the default
    period (the last 7 days) and its pager's capped count, as the page runs them (CappedPaginator), the
    filters, one member's history (all the days kept), and the same page over the last 90 days, the longest
    period an admin can choose."""
    target = "user-7"
    members = [f"user-{n}" for n in range(0, 2000, 100)]

    def page(shown: ActivityFilter):
        return lambda: list(CappedPaginator(provisioning_activity(enterprise, shown, now), PAGE).get_page(1))

    calls = [
        ("recent page and its count (7 days)", page(ActivityFilter())),
        ("errors page and its count (7 days)", page(ActivityFilter("errors"))),
        ("changes page and its count (7 days)", page(ActivityFilter("changes"))),
        ("one member's page and its count (90 days)", page(ActivityFilter(target=target, period="90d"))),
        ("recent page and its count (last 24 hours)", page(ActivityFilter(period="24h"))),
        ("recent page and its count (last 90 days)", page(ActivityFilter(period="90d"))),
        ("errors page and its count (last 90 days)", page(ActivityFilter("errors", period="90d"))),
        ("chart (7 days by hour)", lambda: activity_chart(enterprise, now)),
        ("members view: 20 last changes", lambda: last_changes(enterprise, members, now)),
    ]
    captured = []
    for name, call in calls:
        with CaptureQueriesContext(connection) as queries:
            call()
        captured.append((name, [q["sql"] for q in queries.captured_queries]))
    return captured


def measure(statements: list[str], repeat: int) -> list[str]:
    """Median and p95 ms of the statements on the partitioned table, then on the plain copy."""
    cells = []
    for swap in (False, True):
        times = []
        with connection.cursor() as cursor:
            sql = [s.replace(f'"{partitions.TABLE}"', f'"{BASELINE}"') if swap else s for s in statements]
            for n in range(repeat + 1):
                started = time.perf_counter()
                for statement in sql:
                    cursor.execute(statement)
                    cursor.fetchall()
                if n:  # the first warms the cache
                    times.append(time.perf_counter() - started)
        cells.append(times)
    partitioned, plain = cells
    return [
        ms(statistics.median(partitioned)),
        ms(percentile(partitioned, 95)),
        ms(statistics.median(plain)),
        ms(percentile(plain, 95)),
        verdict(percentile(partitioned, 95) <= TARGET),
    ]


def history_table(rows, filled, copied, prune, reads, repeat, load) -> str:
    large_rows = int(rows * LARGE_SHARE)
    typical_rows = (rows - large_rows) // (ENTERPRISES - 1)
    return "\n\n".join(
        [
            f"## 6. History: {rows:,} activity rows over {DAYS} days, {ENTERPRISES:,} enterprises",
            f"Filled with INSERT … SELECT generate_series in {filled:.0f} s, copied to one plain table (the "
            f"layout before partitions, the baseline) in {copied:.0f} s. The large enterprise has "
            f"{large_rows:,} rows ({LARGE_SHARE:.0%}), a typical one about {typical_rows:,}.",
            table(
                ["pruning the oldest day", "rows", "seconds"],
                [
                    [f"DROP its partition ({prune['day']})", f"{prune['dropped']:,}", f"{prune['drop']:.3f}"],
                    ["DELETE from one plain table", f"{prune['deleted']:,}", f"{prune['delete']:.3f}"],
                    ["… and the VACUUM it leaves to do", "", f"{prune['vacuum']:.3f}"],
                ],
            ),
            table(
                [
                    "enterprise",
                    "read (the selectors' SQL)",
                    "partitioned p50 ms",
                    "partitioned p95 ms",
                    "one table p50 ms",
                    "one table p95 ms",
                    f"p95 ≤ {ms(TARGET)} ms",
                ],
                reads,
            ),
            f"{repeat} timed runs of each read after one to warm the cache, one at a time on one connection: "
            "each page read is the page's two statements, its rows and its pager's count (which stops at "
            "10,001 rows). The reads carry their period's window, so the partitioned table reads only those "
            f"days. Load average {load} (2 cores shared with other "
            "runs).",
        ]
    )

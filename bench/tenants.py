"""
Tables 4 and 5, each against stock django-scim2 (bench/stock/) in the same run, on fresh servers:

4. Many tenants: T enterprises, each with its own token and a small Entra cycle (U users, G groups: the
   initial cycle and the incremental one of bench/cycle.py), their requests interleaved (each phase takes one
   job of every enterprise in turn) and sent by C clients, so that consecutive requests come from different
   enterprises, as in production. Stock, which has one tenant, gets the same requests in the same order at
   its one endpoint (every enterprise's users and groups are numbered apart, so none collide there).
5. Create-heavy mix: one enterprise's initial cycle of N users, each matched by userName and then created as
   Entra does, and groups filled by PATCHes of B members: what dominates the first cycle of a large tenant.

Each table gives requests per second, p50/p95 latency, the workers' CPU per request and their resident memory
after warming up and at the end (flat as tenants grow: the credential cache is bounded, see scim/auth.py),
and ours ÷ stock, against issue 20's targets: at least twice stock's requests per second and at most half its
p95.
"""

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bench import cycle, report
from bench.client import Connection, Record, percentile
from bench.report import TARGET_STOCK_P95, TARGET_STOCK_RATIO, ms, table, verdict
from bench.server import CpuMeter, Gunicorn


@dataclass
class Result:
    """One app's replay: what it answered, how long, what its workers cost."""

    record: Record
    phases: list
    total: report.Totals
    p50: float
    rss_before: list[float]
    rss_after: list[float]


class CreateHeavy(cycle.Replay):
    """The initial cycle only: every user matched and created, then every group created and filled."""

    async def run(self) -> list[cycle.Phase]:
        return [
            await self.phase("initial: users", self.initial_users()),
            await self.phase("initial: groups", self.initial_groups()),
        ]


def rss_mb(gunicorn: Gunicorn) -> list[float]:
    """Each worker's resident memory now (VmRSS), in MB."""
    found = []
    for pid in gunicorn.worker_pids():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                found.append(int(line.split()[1]) / 1024)
    return sorted(found, reverse=True)


def _interleaved(lists: list[list]) -> list:
    """[[a1, a2], [b1], [c1, c2]] → [a1, b1, c1, a2, c2]: one of each in turn."""
    longest = max((len(jobs) for jobs in lists), default=0)
    return [jobs[i] for i in range(longest) for jobs in lists if i < len(jobs)]


def _as(headers: str, job):
    """`job` sent with another enterprise's token: the connection's headers are swapped for it."""

    async def run(connection: Connection) -> None:
        connection.headers = headers
        await job(connection)

    return run


async def _replay(
    gunicorn: Gunicorn, database: str, tenants: list[tuple[str, str]], plan: cycle.Plan, kind: type
) -> Result:
    """Replay `plan` for every (token, base) in `tenants`, interleaved, on `plan.clients` connections."""
    host, port = "127.0.0.1", gunicorn.port
    record = Record()
    connections = [Connection(host, port, tenants[0][0], Record()) for _ in range(plan.clients)]
    headers = {token: Connection(host, port, token, record).headers for token, _ in tenants}
    try:
        # Every worker imports and connects on its first requests; a warm server is what gets measured.
        async def warm(connection: Connection) -> None:
            for _ in range(5):
                path = f"{tenants[0][1]}/Users?filter=userName+eq+%22x%22"
                await connection.request("warm-up", "GET", path)

        await asyncio.gather(*(warm(c) for c in connections))
        for connection in connections:
            connection.record = record
        before = rss_mb(gunicorn)
        meter = CpuMeter(gunicorn, database)
        replays = [
            (headers[token], kind(plan, connections, base, n * plan.users, n * plan.groups))
            for n, (token, base) in enumerate(tenants)
        ]

        def jobs(step: str) -> list:
            return _interleaved([[_as(h, job) for job in getattr(r, step)()] for h, r in replays])

        first = replays[0][1]
        phases = [await first.phase("initial: users", jobs("initial_users"))]
        phases.append(await first.phase("initial: groups", jobs("initial_groups")))
        if not issubclass(kind, CreateHeavy):
            phases.append(await first.phase("incremental", jobs("incremental")))
        cpu = meter.read()
    finally:
        for connection in connections:
            await connection.close()
    everything = [x for latencies in record.latencies.values() for x in latencies]
    total = report.totals(record, cpu, gunicorn.boot_cpu)
    return Result(record, phases, total, percentile(everything, 50), before, rss_mb(gunicorn))


def ours(
    server: Gunicorn, database: str, plan: cycle.Plan, count: int, slug: str, profile: str | None = None
) -> Result:
    """Our service with `count` enterprises, each with its own token, replaying `plan` interleaved; with
    `profile`, a py-spy profile of its workers (Gunicorn.profiled)."""
    from enterprise.credentials.services import scim_token_rotate
    from enterprise.services import enterprise_create

    tenants = []
    for n in range(count):
        enterprise = enterprise_create(slug=f"{slug}-{n}", name=f"{slug.title()} {n}")
        _, token = scim_token_rotate(enterprise=enterprise)
        tenants.append((token, f"/scim/v2/{enterprise.public_id}"))
    kind = cycle.Replay if slug == "tenant" else CreateHeavy
    with server, server.profiled(profile):
        return asyncio.run(_replay(server, database, tenants, plan, kind))


def stock(
    database: str, workers: int, threads: int, plan: cycle.Plan, count: int, create_heavy: bool
) -> Result:
    """Stock django-scim2 on a fresh `database` receiving the same requests at its one endpoint."""
    from bench.stock import run

    kind = CreateHeavy if create_heavy else run.StockReplay
    with run.serve(database, workers, threads) as (gunicorn, token):
        return asyncio.run(_replay(gunicorn, database, [(token, run.BASE)] * count, plan, kind))


def section(title: str, plan: cycle.Plan, mine: Result, theirs: Result) -> str:
    """The table of one replay: ours and stock side by side, per request kind, and the ratios."""
    rows = []
    for app, r in [("this project", mine), ("stock django-scim2", theirs)]:
        t = r.total
        rows.append(
            [
                app,
                t.requests,
                f"{t.rps:.0f}",
                ms(r.p50),
                ms(t.p95),
                ms(t.workers),
                ms(t.postgres),
                f"{_mb(r.rss_before)} → {_mb(r.rss_after)}",
                t.unexpected,
                f"{t.others:.0%}",
            ]
        )
    kinds = []
    for kind, latencies in mine.record.latencies.items():
        other = theirs.record.latencies.get(kind, [])
        kinds.append(
            [
                kind,
                len(latencies),
                ms(percentile(latencies, 50)),
                ms(percentile(latencies, 95)),
                ms(percentile(other, 50)) if other else "–",
                ms(percentile(other, 95)) if other else "–",
            ]
        )
    phases = [
        [p.name, p.requests, f"{p.requests / p.seconds:.0f}", f"{q.requests / q.seconds:.0f}"]
        for p, q in zip(mine.phases, theirs.phases, strict=True)
    ]
    rps = mine.total.rps / theirs.total.rps
    p95 = mine.total.p95 / theirs.total.p95
    growth = max(a - b for a, b in zip(mine.rss_after, mine.rss_before, strict=False))
    return "\n\n".join(
        [
            title,
            table(
                [
                    "app",
                    "requests",
                    "requests/s",
                    "p50 ms",
                    "p95 ms",
                    "worker CPU ms/request",
                    "PostgreSQL CPU ms/request",
                    "worker RSS MB, warm → end",
                    "unexpected errors",
                    "cores taken by other processes",
                ],
                rows,
            ),
            table(["phase", "requests", "ours requests/s", "stock requests/s"], phases),
            table(
                ["request kind", "requests", "ours p50 ms", "ours p95 ms", "stock p50 ms", "stock p95 ms"],
                kinds,
            ),
            f"Ours ÷ stock: **{rps:.2f}×** the requests per second (target ≥ {TARGET_STOCK_RATIO:.0f}×: "
            f"{verdict(rps >= TARGET_STOCK_RATIO)}); p95 **{p95:.2f}×** stock's "
            f"(target ≤ {TARGET_STOCK_P95}: {verdict(p95 <= TARGET_STOCK_P95)}); worker CPU per request "
            f"{ms(mine.total.workers)} ms "
            f"against {ms(theirs.total.workers)} ms ({mine.total.workers / theirs.total.workers:.2f}×); our "
            f"workers' memory grew by at most {growth:.1f} MB over the replay. Unexpected errors (not 2xx, "
            "404 or 409): "
            f"{verdict(mine.total.unexpected + theirs.total.unexpected == 0)} "
            f"({mine.total.unexpected} ours, {theirs.total.unexpected} stock's).",
        ]
    )


def _mb(values: list[float]) -> str:
    return ", ".join(f"{mb:.0f}" for mb in values)


def run(args, server, fresh_database) -> tuple[list[str], bool]:
    """Tables 4 and 5 as `args.only` asks; `server()` makes our gunicorn, `fresh_database(url)` empties a
    database. Returns the sections and whether any request met an unexpected error."""
    sections, failed = [], False
    stock_database = f"{args.database}_stock"
    # --profile records the cycle when it runs, else the first of these.
    profile = None if "cycle" in args.only else args.profile
    if "tenants" in args.only:
        plan = cycle.Plan(args.tenant_users, args.tenant_groups, args.clients, args.batch, args.dialect)
        mine = ours(server(), args.database, plan, args.tenants, "tenant", profile)
        profile = None
        fresh_database(stock_database)
        theirs = stock(stock_database, args.workers, args.threads, plan, args.tenants, create_heavy=False)
        title = (
            f"## 4. Many tenants: {args.tenants:,} enterprises, each with its own token, {plan.users} users "
            f"and {plan.groups} groups (initial and incremental cycle), requests interleaved across the "
            f"enterprises by {plan.clients} clients; stock gets the same requests at its one tenant"
        )
        sections.append(section(title, plan, mine, theirs))
        failed |= mine.total.unexpected + theirs.total.unexpected > 0
        print(sections[-1], "\n", flush=True)
    if "mix" in args.only:
        plan = cycle.Plan(args.mix_users, args.mix_groups, args.clients, args.mix_batch, args.dialect)
        mine = ours(server(), args.database, plan, 1, "mix", profile)
        fresh_database(stock_database)
        theirs = stock(stock_database, args.workers, args.threads, plan, 1, create_heavy=True)
        title = (
            f"## 5. Create-heavy mix: {plan.users:,} users matched by userName then created, {plan.groups} "
            f"groups filled by PATCHes of {plan.batch} members, {plan.clients} clients"
        )
        sections.append(section(title, plan, mine, theirs))
        failed |= mine.total.unexpected + theirs.total.unexpected > 0
        print(sections[-1], "\n", flush=True)
    return sections, failed

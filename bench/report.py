"""The bench's tables, as Markdown that also reads well in a terminal, each with the targets of issue 6."""

from dataclasses import dataclass

from bench.client import Record, percentile
from bench.stock import RESHAPED

TARGET_RPS = 1000
TARGET_P95 = 0.020
TARGET_RATIO = 1.5
TARGET_GROUP_GET = 1.0
TARGET_RSS_MB = 150


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


@dataclass
class Totals:
    """One app's replayed cycle in a few numbers; CPU in seconds per request; `others`: the share of the
    machine's cores that other processes took meanwhile (another run on the machine skews the comparison);
    `boot`: the CPU seconds a worker spent booting, from fork until it could serve, on average."""

    requests: int
    rps: float
    p95: float
    workers: float
    postgres: float
    unexpected: int
    others: float
    boot: float


def totals(record: Record, cpu, boot: list[float]) -> Totals:
    everything = [x for latencies in record.latencies.values() for x in latencies]
    n = len(everything)
    unexpected = sum(
        count
        for statuses in record.statuses.values()
        for status, count in statuses.items()
        if not 200 <= status < 300 and status not in (404, 409)
    )
    others = max(0.0, cpu.machine - cpu.workers - cpu.postgres - cpu.client) / cpu.wall / cpu.cores
    return Totals(
        n,
        n / cpu.wall,
        percentile(everything, 95),
        cpu.workers / n,
        cpu.postgres / n,
        unexpected,
        others,
        sum(boot) / len(boot),
    )


def cycle_table(
    plan, record: Record, phases, cpu, peaks: list[float], boot: list[float]
) -> tuple[str, Totals]:
    """The table, and its totals: `unexpected` counts errors other than the 404/409 a cycle may meet; `peaks`
    and `boot`: each worker's peak memory and boot CPU (Gunicorn.peak_rss_mb, Gunicorn.boot_cpu)."""
    total = totals(record, cpu, boot)
    text = "\n\n".join(
        [
            f"## 1. Cycle replay: {plan.users:,} users, {plan.groups} groups, {plan.clients} concurrent "
            f"clients, {plan.batch} members per PATCH, {plan.dialect} dialect",
            *_replay_tables(record, phases, cpu, total),
            f"Targets: ≥ {TARGET_RPS:,} requests/s {verdict(total.rps >= TARGET_RPS)} ({total.rps:.0f}), "
            f"p95 ≤ {ms(TARGET_P95)} ms {verdict(total.p95 <= TARGET_P95)} ({ms(total.p95)}); "
            f"no unexpected errors {verdict(total.unexpected == 0)} ({total.unexpected}).  \n"
            + _cost(cpu, total, peaks, boot),
        ]
    )
    return text, total


def _replay_tables(record: Record, phases, cpu, total: Totals) -> list[str]:
    rows = []
    for kind, latencies in record.latencies.items():
        errors = {status: n for status, n in record.statuses[kind].items() if not 200 <= status < 300}
        shown = ", ".join(f"{n} × {status}" for status, n in sorted(errors.items())) or "0"
        rows.append([kind, len(latencies), *_percentiles(latencies), shown])
    everything = [x for latencies in record.latencies.values() for x in latencies]
    rows.append(["**all**", total.requests, *_percentiles(everything), f"{total.unexpected} unexpected"])
    phase_rows = [[p.name, p.requests, f"{p.seconds:.2f}", f"{p.requests / p.seconds:.0f}"] for p in phases]
    phase_rows.append(["**all**", total.requests, f"{cpu.wall:.2f}", f"**{total.rps:.0f}**"])
    return [
        table(["phase", "requests", "seconds", "requests/s"], phase_rows),
        table(["request kind", "requests", "p50 ms", "p95 ms", "p99 ms", "non-2xx"], rows),
    ]


def _cost(cpu, total: Totals, peaks: list[float], boot: list[float]) -> str:
    return (
        f"Peak RSS of each gunicorn worker: {_megabytes(peaks)} MB.  \n"
        f"CPU each gunicorn worker spent booting, from fork until it could serve (not counted below): "
        f"{', '.join(f'{seconds:.2f}' for seconds in boot)} s.  \n"
        f"CPU per request: gunicorn workers {ms(total.workers)} ms, their PostgreSQL backends "
        f"{ms(total.postgres)} ms, load generator {ms(cpu.client / total.requests)} ms. The machine's "
        f"{cpu.cores} cores were {cpu.machine / cpu.wall / cpu.cores:.0%} busy, "
        f"{total.others:.0%} of them with other processes (Redis, PostgreSQL's own, "
        "anything else running on the machine)."
    )


def _megabytes(values: list[float]) -> str:
    return ", ".join(f"{mb:.0f}" for mb in values)


def _percentiles(latencies: list[float]) -> list[str]:
    return [ms(percentile(latencies, p)) for p in (50, 95, 99)]


def sizes_table(sizes, medians: dict, seconds: list[float], gunicorn) -> str:
    """`medians`: size label → request kind → seconds."""
    from bench.sizes import SLOW

    labels = [s.label for s in sizes]
    rows = []
    for kind in medians[labels[0]]:
        values = [medians[label][kind] for label in labels]
        ratio = values[-1] / values[0]
        if kind == SLOW:
            target = f"< {TARGET_GROUP_GET:.0f} s at the largest: {verdict(values[-1] < TARGET_GROUP_GET)}"
        else:
            target = f"ratio ≤ {TARGET_RATIO}: {verdict(ratio <= TARGET_RATIO)}"
        rows.append([kind, *(ms(v) for v in values), f"{ratio:.2f}", target])
    seeding = ", ".join(f"{s.label} in {t:.1f} s" for s, t in zip(sizes, seconds, strict=True))
    peaks = gunicorn.peak_rss_mb()
    return "\n\n".join(
        [
            "## 2. Cost with size: median latency in ms, one request at a time",
            table(
                [
                    "request",
                    *(f"{label} members / largest group" for label in labels),
                    "largest ÷ smallest",
                    "target",
                ],
                rows,
            ),
            f"Seeded with COPY (members / largest group): {seeding}.  \n"
            f"Peak RSS of each gunicorn worker after these requests: {_megabytes(peaks)} MB "
            f"(target ≤ {TARGET_RSS_MB}: {verdict(max(peaks) <= TARGET_RSS_MB)}).",
        ]
    )


def queries_table(sizes, counts: dict, listed: dict) -> str:
    from django.conf import settings

    labels = [s.label for s in sizes]
    rows = []
    for kind, by_size in counts.items():
        values = [by_size[label] for label in labels]
        rows.append([kind, *values, "yes" if len(set(values)) == 1 else "**no**", listed[kind]])
    unseen = (
        "one Redis round trip (rate limit and credentials version), and the activity row, written with "
        "those of other requests, one COPY per SCIM_ACTIVITY_BATCH requests"
    )
    if settings.DATABASES["default"].get("CONN_HEALTH_CHECKS"):
        unseen = "one `SELECT 1` from CONN_HEALTH_CHECKS and " + unseen
    return "\n\n".join(
        [
            "## 3. SQL statements per request",
            table(["request", *labels, "constant", "statements (smallest enterprise)"], rows),
            "Counted with django.test.utils.CaptureQueriesContext around the Django test client, "
            "middleware included. BEGIN, COMMIT and SAVEPOINT are round trips too and are counted. "
            f"Not counted, in every request: {unseen}.",
        ]
    )


def document(machine: str, command: str, args, load: float, sections: list[str]) -> str:
    worker = f"{args.threads} threads each (gthread)" if args.threads > 1 else "sync"
    header = (
        f"Machine: {machine}.  \n"
        f"Server: gunicorn with {args.workers} workers, {worker}; PostgreSQL and Redis on the same machine; "
        f"the load generator is the bench's own process, on loopback. Load average at the start: {load:.2f}."
        "  \n"
        f"Command: `{command}`"
    )
    return "\n\n".join(["# Benchmark results", header, *sections]) + "\n"


# Issue 20's targets against a stock django-scim2 app (bench/stock/) given the same requests in the same run,
# for the cycle (1c) and the replays of bench/tenants.py: requests per second and p95, ours ÷ stock.
TARGET_STOCK_RATIO = 2.0
TARGET_STOCK_P95 = 0.5


def stock_table(
    plan, record: Record, phases, cpu, peaks: list[float], boot: list[float], refused: dict, dialect: str
) -> tuple[str, Totals]:
    """`refused`: request kind → status → count, for Entra's own shapes (in `dialect`) that stock did not
    answer with a 2xx."""
    total = totals(record, cpu, boot)
    answers = "; ".join(f"{kind} → {', '.join(map(str, sorted(codes)))}" for kind, codes in refused.items())
    text = "\n\n".join(
        [
            f"## 1b. Baseline: the same cycle against stock django-scim2 {_version()} (bench/stock/)",
            *_replay_tables(record, phases, cpu, total),
            f"{RESHAPED} Entra's own shapes ({dialect} dialect), sent once each to stock after its cycle: "
            f"{answers or 'all 2xx'}.",
            _cost(cpu, total, peaks, boot),
        ]
    )
    return text, total


def baseline_table(ours: Totals, stock: Totals) -> str:
    ratio, p95 = ours.rps / stock.rps, ours.p95 / stock.p95
    rows = [
        [
            app,
            t.requests,
            f"{t.rps:.0f}",
            ms(t.p95),
            ms(t.workers),
            ms(t.postgres),
            t.unexpected,
            f"{t.others:.0%}",
        ]
        for app, t in [("this project", ours), ("stock django-scim2", stock)]
    ]
    return "\n\n".join(
        [
            "## 1c. This project against stock django-scim2, same run",
            table(
                [
                    "app",
                    "requests",
                    "requests/s",
                    "p95 ms",
                    "worker CPU ms/request",
                    "PostgreSQL CPU ms/request",
                    "unexpected errors",
                    "cores taken by other processes",
                ],
                rows,
            ),
            f"Ours ÷ stock: **{ratio:.2f}×** the requests per second (target ≥ {TARGET_STOCK_RATIO:.0f}×: "
            f"{verdict(ratio >= TARGET_STOCK_RATIO)}); p95 {ms(ours.p95)} ms against stock's "
            f"{ms(stock.p95)}, **{p95:.2f}×** (target ≤ {TARGET_STOCK_P95}: "
            f"{verdict(p95 <= TARGET_STOCK_P95)}); worker CPU per request "
            f"{ms(ours.workers)} ms against {ms(stock.workers)} ms ({ours.workers / stock.workers:.1f}×).  \n"
            f"Worker boot CPU: ours {ours.boot:.2f} s, stock {stock.boot:.2f} s "
            "(a worker's on average, from fork until it could serve; not in the CPU per request).",
        ]
    )


def _version() -> str:
    from importlib.metadata import version

    return version("django-scim2")

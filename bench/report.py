"""The bench's tables, as Markdown that also reads well in a terminal, each with the targets of issue 6."""

from bench.client import Record, percentile

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


def cycle_table(plan, record: Record, phases, cpu, peaks: list[float]) -> tuple[str, bool]:
    """The table, and whether any answer was an error other than the 404/409 a cycle may meet."""
    rows, unexpected = [], 0
    for kind, latencies in record.latencies.items():
        errors = {status: n for status, n in record.statuses[kind].items() if not 200 <= status < 300}
        unexpected += sum(n for status, n in errors.items() if status not in (404, 409))
        shown = ", ".join(f"{n} × {status}" for status, n in sorted(errors.items())) or "0"
        rows.append([kind, len(latencies), *_percentiles(latencies), shown])
    everything = [x for latencies in record.latencies.values() for x in latencies]
    n, p95 = len(everything), percentile(everything, 95)
    rps = n / cpu.wall
    rows.append(["**all**", n, *_percentiles(everything), f"{unexpected} unexpected"])
    phase_rows = [[p.name, p.requests, f"{p.seconds:.2f}", f"{p.requests / p.seconds:.0f}"] for p in phases]
    phase_rows.append(["**all**", n, f"{cpu.wall:.2f}", f"**{n / cpu.wall:.0f}**"])
    others = max(0.0, cpu.machine - cpu.workers - cpu.postgres - cpu.client)
    text = "\n\n".join(
        [
            f"## 1. Cycle replay: {plan.users:,} users, {plan.groups} groups, {plan.clients} concurrent "
            f"clients, {plan.batch} members per PATCH, {plan.dialect} dialect",
            table(["phase", "requests", "seconds", "requests/s"], phase_rows),
            table(["request kind", "requests", "p50 ms", "p95 ms", "p99 ms", "non-2xx"], rows),
            f"Targets: ≥ {TARGET_RPS:,} requests/s {verdict(rps >= TARGET_RPS)} ({rps:.0f}), "
            f"p95 ≤ {ms(TARGET_P95)} ms {verdict(p95 <= TARGET_P95)} ({ms(p95)}); "
            f"no unexpected errors {verdict(unexpected == 0)} ({unexpected}).  \n"
            f"Peak RSS of each gunicorn worker: {_megabytes(peaks)} MB.  \n"
            f"CPU per request: gunicorn workers {ms(cpu.workers / n)} ms, their PostgreSQL backends "
            f"{ms(cpu.postgres / n)} ms, load generator {ms(cpu.client / n)} ms. The machine's {cpu.cores} "
            f"cores were {cpu.machine / cpu.wall / cpu.cores:.0%} busy, {others / cpu.wall / cpu.cores:.0%} "
            "of them with other processes (Redis, PostgreSQL's own, anything else running on the machine).",
        ]
    )
    return text, unexpected > 0


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
        "those of other requests, one pipelined INSERT per SCIM_ACTIVITY_BATCH requests"
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

"""
`python -m bench`: the SCIM service under Entra-shaped load, on gunicorn, PostgreSQL and Redis here.

It creates a database of its own (dropped at the end), serves it with gunicorn, drives it from this process
over loopback, and prints three tables: an Entra provisioning cycle replayed by concurrent clients (then the
same cycle against a stock django-scim2 app, bench/stock/, on a second database, and the ratio), the cost
of single requests as the enterprise and its groups grow, the SQL statements each kind of request makes, and
(bench/tenants.py) hundreds of enterprises provisioning at once and a create-heavy mix, each against stock.
The tables, the machine and the command line go to bench/RESULTS.md (or --output). It exits 1 when either
service answered a request with an error it should not have.
"""

import argparse
import asyncio
import os
import platform
import secrets
import shlex
import sys
import time
from pathlib import Path

import psycopg

from bench.server import ROOT, CpuMeter, Gunicorn, free_port

TINY = {"users": 40, "groups": 4, "clients": 4, "sizes": "300:10,1000:200", "repeat": 10}
TINY_HISTORY = {"history_rows": 20_000}
# Tables 4 and 5 (bench/tenants.py) at a size of seconds.
TINY_TENANTS = {"tenants": 8, "tenant_users": 10, "mix_users": 60, "mix_groups": 3}
TABLES = ["cycle", "sizes", "queries", "tenants", "mix", "history"]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    parser.add_argument("--users", type=int, default=2000, help="users in the replayed cycle (default 2000)")
    parser.add_argument("--groups", type=int, default=50, help="groups in the replayed cycle (default 50)")
    parser.add_argument(
        "--clients", type=int, default=8, help="concurrent clients in the replayed cycle (default 8)"
    )
    parser.add_argument("--batch", type=int, default=50, help="members per PATCH Add and Remove (default 50)")
    parser.add_argument(
        "--dialect",
        choices=["entra", "aad"],
        default="entra",
        help="entra: Entra's default PATCH shapes; aad: Entra's with the aadOptscim062020 flag",
    )
    parser.add_argument(
        "--sizes",
        default="1000:10,10000:1000,100000:50000",
        help="table 2's enterprises as members:largest-group pairs (default %(default)s)",
    )
    parser.add_argument(
        "--repeat", type=int, default=200, help="requests per kind and size in table 2 (default 200)"
    )
    # Sync workers: with gthread's threads the GIL hand-offs between a worker's threads left the cores 40 %
    # idle under the replay (118 requests/s with 2 × 4 threads against 146 with 4 sync workers).
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker; over 1 uses gthread")
    parser.add_argument(
        "--database",
        default="postgres://postgres@127.0.0.1:5432/plandisc_bench",
        help="PostgreSQL database to create, use and drop (default %(default)s)",
    )
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/0", help="the rate limit's cache (default %(default)s)"
    )
    parser.add_argument("--only", choices=TABLES, action="append", help="run only these tables")
    parser.add_argument(
        "--tenants", type=int, default=500, help="enterprises in table 4's many-tenant replay (default 500)"
    )
    parser.add_argument(
        "--history-rows",
        type=int,
        default=10_000_000,
        help="provisioning activity rows in table 6, over 90 days (default %(default)s)",
    )
    parser.add_argument("--tenant-users", type=int, default=40, help="users of each of them (default 40)")
    parser.add_argument("--tenant-groups", type=int, default=2, help="groups of each of them (default 2)")
    parser.add_argument(
        "--mix-users", type=int, default=4000, help="users in table 5's create-heavy mix (default 4000)"
    )
    parser.add_argument("--mix-groups", type=int, default=10, help="groups in the mix (default 10)")
    parser.add_argument("--mix-batch", type=int, default=10, help="members per PATCH in the mix (default 10)")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"), help="default %(default)s")
    parser.add_argument(
        "--profile",
        metavar="SVG",
        help="record a py-spy flame graph of the workers during the cycle (else table 4 or 5)",
    )
    parser.add_argument(
        "--keep-database", action="store_true", help="leave the database behind for inspection"
    )
    parser.add_argument(
        "--tiny", action="store_true", help=f"a run of seconds, for CI: {TINY | TINY_TENANTS | TINY_HISTORY}"
    )
    args = parser.parse_args()
    if args.tiny:
        vars(args).update(TINY | TINY_TENANTS | TINY_HISTORY)
    args.only = args.only or TABLES
    return args


def environment(args: argparse.Namespace, port: int) -> dict:
    """What the server and this process run with: the bench database, production settings, no rate limit."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "plandisc.settings",
        "DATABASE_URL": args.database,
        "REDIS_URL": args.redis,
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
        "PLANDISC_BASE_URL": f"https://127.0.0.1:{port}",
        "PLANDISC_BEHIND_PROXY": "true",
        # One enterprise at full speed is the point of the replay; the limit would only measure itself.
        "SCIM_RATE_LIMIT_PER_MINUTE": str(10**9),
    }


def recreate_database(url: str, create: bool = True) -> None:
    base, _, name = url.rpartition("/")
    try:
        connection = psycopg.connect(f"{base}/postgres", autocommit=True)
    except psycopg.OperationalError as error:
        raise SystemExit(f"The bench needs PostgreSQL ({base}, see --database): {error}") from None
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            connection.execute(f'CREATE DATABASE "{name}"')


def machine(database: str) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024**2
    with psycopg.connect(database.rpartition("/")[0] + "/postgres") as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
    import django
    import gunicorn

    return (
        f"{os.cpu_count()} × {cpu}, {memory:.0f} GiB, {platform.system()} {platform.release()}; Python "
        f"{platform.python_version()}, Django {django.get_version()}, gunicorn {gunicorn.__version__}, "
        f"PostgreSQL {postgres}"
    )


def main() -> int:
    args = arguments()
    command = shlex.join(["python", "-m", "bench", *sys.argv[1:]])
    port = free_port()
    env = environment(args, port)
    os.environ.update(env)
    load = os.getloadavg()[0]
    recreate_database(args.database)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    # These need Django set up.
    from bench import queries, report, sizes
    from bench.stock import run as stock

    def server() -> Gunicorn:
        return Gunicorn(env, port, args.workers, args.threads, ROOT / "bench" / "out" / "gunicorn.log")

    sections, failed = [], False
    stock_database = f"{args.database}_stock"
    try:
        if "cycle" in args.only:
            table, ours = run_cycle(args, server(), args.profile)
            sections.append(table)
            print(table, "\n", flush=True)
            # The baseline: stock django-scim2 (bench/stock/), the same replay, right after ours.
            recreate_database(stock_database)
            table, theirs = stock.run_cycle(ours_plan(args), stock_database, args.workers, args.threads)
            sections += [table, report.baseline_table(ours, theirs)]
            print("\n\n".join(sections[-2:]), "\n", flush=True)
            failed = ours.unexpected + theirs.unexpected > 0
        if "sizes" in args.only or "queries" in args.only:
            seeded, seconds = [], []
            for n, size in enumerate(sizes.parse_sizes(args.sizes)):
                started = time.perf_counter()
                seeded.append(sizes.seed(size, f"size-{n}", sample=max(args.repeat, 60)))
                seconds.append(time.perf_counter() - started)
                print(f"Seeded {size.label} (members / largest group) in {seconds[-1]:.1f} s", flush=True)
            sizes.analyze()
        if "sizes" in args.only:
            with server() as gunicorn:
                medians = asyncio.run(sizes.measure(seeded, "127.0.0.1", port, args.repeat))
                sections.append(report.sizes_table([s.size for s in seeded], medians, seconds, gunicorn))
            print(sections[-1], "\n", flush=True)
        if "queries" in args.only:
            sections.append(report.queries_table([s.size for s in seeded], *queries.count(seeded)))
            print(sections[-1], "\n", flush=True)
        if "tenants" in args.only or "mix" in args.only:
            from bench import tenants

            found, unexpected = tenants.run(args, server, recreate_database)
            sections += found
            failed |= unexpected
        if "history" in args.only:
            from bench import history

            sections.append(history.run(args.history_rows, args.repeat))
            print(sections[-1], "\n", flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_database:
            recreate_database(args.database, create=False)
            recreate_database(stock_database, create=False)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report.document(machine(args.database), command, args, load, sections))
    print(f"Written to {output}")
    return 1 if failed else 0


def ours_plan(args: argparse.Namespace):
    from bench import cycle

    return cycle.Plan(args.users, args.groups, args.clients, args.batch, args.dialect)


def run_cycle(args: argparse.Namespace, gunicorn: Gunicorn, profile: str | None):
    from bench import cycle, report
    from enterprise.credentials.services import scim_token_rotate
    from enterprise.services import enterprise_create

    enterprise = enterprise_create(slug="cycle", name="Cycle")
    _, token = scim_token_rotate(enterprise=enterprise)
    plan = ours_plan(args)
    with gunicorn:
        meter = CpuMeter(gunicorn, args.database)
        with gunicorn.profiled(profile):
            record, phases = asyncio.run(
                cycle.replay(plan, "127.0.0.1", gunicorn.port, token, f"/scim/v2/{enterprise.public_id}")
            )
        return report.cycle_table(
            plan, record, phases, meter.read(), gunicorn.peak_rss_mb(), gunicorn.boot_cpu
        )


if __name__ == "__main__":
    sys.exit(main())

"""Replay the cycle against the stock app: migrate its database, serve it like ours, send what it answers."""

import asyncio
import contextlib
import dataclasses
import os
import secrets
import subprocess
import sys

from bench import report
from bench.client import Connection, Record
from bench.cycle import Plan, Replay, replay, user_name
from bench.server import ROOT, CpuMeter, Gunicorn, free_port

BASE = "/scim/v2"


class StockReplay(Replay):
    """Entra's cycle in the closest shapes stock django-scim2 answers (bench.stock.RESHAPED)."""

    def user_changes(self, i: int) -> list[dict]:
        work = {"primary": True, "type": "work", "value": f"moved.{user_name(i)}"}
        return [
            {"op": "Replace", "path": "name.givenName", "value": f"Moved{i}"},
            {"op": "Replace", "path": "emails", "value": [work]},
            {"op": "Replace", "path": "name.familyName", "value": f"Moved{i}"},
        ]

    def deactivation(self) -> dict:
        return {"op": "Replace", "path": "active", "value": False}


def environment(database: str, port: int) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.stock.settings",
        "DATABASE_URL": database,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "STOCK_SCIM_TOKEN": secrets.token_urlsafe(32),
        "STOCK_NETLOC": f"127.0.0.1:{port}",
    }


@contextlib.contextmanager
def serve(database: str, workers: int, threads: int):
    """The stock app on `database` (which exists and is empty), migrated and served by gunicorn: yields the
    server and its one token."""
    port = free_port()
    env = environment(database, port)
    migrate = [sys.executable, "-m", "django", "migrate", "--verbosity", "0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True)
    log = ROOT / "bench" / "out" / "gunicorn-stock.log"
    with Gunicorn(env, port, workers, threads, log, "bench.stock.wsgi:application") as gunicorn:
        yield gunicorn, env["STOCK_SCIM_TOKEN"]


def run_cycle(plan: Plan, database: str, workers: int, threads: int) -> tuple[str, report.Totals]:
    """`plan` as ours ran it; `database` exists and is empty."""
    with serve(database, workers, threads) as (gunicorn, token):
        port = gunicorn.port
        meter = CpuMeter(gunicorn, database)
        stock = dataclasses.replace(plan, dialect="entra")
        record, phases = asyncio.run(replay(stock, "127.0.0.1", port, token, BASE, StockReplay))
        cpu, peaks = meter.read(), gunicorn.peak_rss_mb()
        refused = asyncio.run(refusals(plan, port, token))
    return report.stock_table(stock, record, phases, cpu, peaks, gunicorn.boot_cpu, refused, plan.dialect)


async def refusals(plan: Plan, port: int, token: str) -> dict:
    """Entra's own requests (in `plan`'s dialect) for a new user and group beyond the cycle's, once each:
    the kinds stock did not answer with a 2xx, with their statuses."""
    record = Record()
    connection = Connection("127.0.0.1", port, token, record)
    entra = Replay(plan, [connection], BASE)
    i, g = plan.users, plan.groups
    entra.memberships[g] = entra.removed[g] = [i]
    jobs = [
        entra.create_user(i),
        entra.create_group(g),
        entra.update_user(i),
        entra.remove_members(g),
        entra.deactivate_user(i),
    ]
    try:
        for job in jobs:
            await job(connection)
    finally:
        await connection.close()
    return {
        kind: statuses
        for kind, statuses in record.statuses.items()
        if any(not 200 <= status < 300 for status in statuses)
    }

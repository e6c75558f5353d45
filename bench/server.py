"""Start gunicorn on the bench database, wait until it answers, read what its workers cost, stop it."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PLANDISC = "plandisc.wsgi:application"
FORMATS = {".svg": "flamegraph", ".txt": "raw", ".json": "speedscope"}
# The server runs as deployed, behind a TLS-terminating proxy (PLANDISC_BEHIND_PROXY, an https base URL);
# every request carries the header that proxy adds, or the production settings would redirect it to https.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, env: dict, port: int, workers: int, threads: int, log: Path, app: str = PLANDISC):
        self.env, self.port, self.workers, self.threads, self.log = env, port, workers, threads, log
        self.app = app
        self.process: subprocess.Popen | None = None
        # CPU seconds each worker spent from its fork until it had booted (imported the app), once started.
        self.boot_cpu: list[float] = []

    @property
    def command(self) -> list[str]:
        """gunicorn as the Procfile starts it (gunicorn.conf.py), with the bench's own address, workers and
        threads on the command line, which override what the file reads from the environment."""
        return [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            self.app,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--worker-class",
            "gthread" if self.threads > 1 else "sync",
        ]

    def __enter__(self) -> "Gunicorn":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while len(self.worker_pids()) < self.workers or not _listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not start; see {self.log}")
            time.sleep(0.1)
        self._wait_until_booted(deadline)
        return self

    def _wait_until_booted(self, deadline: float) -> None:
        """
        gunicorn listens before its workers have imported the app: wait until they stop spending CPU, so that
        the bench measures requests, not imports, and keep what each spent until then in `boot_cpu` (a forked
        process starts with no CPU time of its own).
        """
        pids = self.worker_pids()
        spent = sum(cpu_seconds(pids).values())
        while time.monotonic() < deadline:
            time.sleep(0.2)
            before, spent = spent, sum(cpu_seconds(pids).values())
            if spent - before < 0.01:
                break
        self.boot_cpu = list(cpu_seconds(pids).values())

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except FileNotFoundError:
            return []

    def peak_rss_mb(self) -> list[float]:
        """Each worker's peak resident memory so far (VmHWM), in MB."""
        peaks = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return sorted(peaks, reverse=True)

    @contextlib.contextmanager
    def profiled(self, svg: str | None):
        """With `svg`, py-spy samples every worker meanwhile and writes a flame graph there (or, for a .txt or
        .json name, collapsed stacks or a speedscope profile)."""
        if not svg:
            yield
            return
        spy = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--subprocesses",
                "--rate",
                "200",
                "--format",
                FORMATS.get(Path(svg).suffix, "flamegraph"),
                "--output",
                svg,
                "--pid",
                str(self.process.pid),
            ]
        )
        try:
            yield
        finally:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)


def cpu_seconds(pids) -> dict[int, float]:
    """User and system CPU time so far of each process that still exists."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


@dataclass
class Cpu:
    """CPU seconds spent over `wall` seconds, by whom; `machine` counts every process on the machine."""

    wall: float
    workers: float
    postgres: float
    client: float
    machine: float
    cores: int = os.cpu_count()


class CpuMeter:
    """CPU spent from now on by the workers, their PostgreSQL backends, this process and the whole machine."""

    def __init__(self, gunicorn: Gunicorn, database: str):
        self.gunicorn, self.database = gunicorn, database
        self.started = (time.perf_counter(), time.process_time(), _machine_busy())
        self.workers = cpu_seconds(gunicorn.worker_pids())
        self.postgres = cpu_seconds(self._backends())

    def read(self) -> Cpu:
        wall, client, machine = self.started

        def spent(before: dict, after: dict) -> float:
            return sum(seconds - before.get(pid, 0) for pid, seconds in after.items())

        return Cpu(
            wall=time.perf_counter() - wall,
            workers=spent(self.workers, cpu_seconds(self.gunicorn.worker_pids())),
            postgres=spent(self.postgres, cpu_seconds(self._backends())),
            client=time.process_time() - client,
            machine=_machine_busy() - machine,
        )

    def _backends(self) -> list[int]:
        base, _, name = self.database.rpartition("/")
        with psycopg.connect(f"{base}/postgres") as connection:
            rows = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]
            ).fetchall()
        return [pid for (pid,) in rows]


def _machine_busy() -> float:
    """CPU seconds all processes have spent since boot (everything but idle and I/O wait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False

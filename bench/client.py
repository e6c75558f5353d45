"""
A small HTTP/1.1 client for load: keep-alive connections on asyncio streams, latencies kept per request kind.

It writes requests by hand and reads only the status line, Content-Length and the body, so on two cores it
costs a fraction of what the server spends on the same request and never becomes what is measured.
"""

import asyncio
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field

from bench.server import PROXY_HEADERS

SCIM = "application/scim+json"
TIMEOUT = 120  # seconds for one request; the 50,000-member group takes well under one


@dataclass
class Record:
    """Latencies (seconds) and status counts per request kind."""

    latencies: dict = field(default_factory=lambda: defaultdict(list))
    statuses: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def add(self, kind: str, seconds: float, status: int) -> None:
        self.latencies[kind].append(seconds)
        self.statuses[kind][status] += 1


class Connection:
    """One keep-alive connection to the server, reopened when the server closes it."""

    def __init__(self, host: str, port: int, token: str, record: Record):
        self.host, self.port, self.record = host, port, record
        self.headers = (
            f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\nUser-Agent: plandisc-bench\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in PROXY_HEADERS.items())
        )
        self.reader = self.writer = None

    async def request(self, kind: str, method: str, path: str, body=None) -> tuple[int, bytes]:
        """Send one request, record its latency under `kind`, return the status and the body."""
        data = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\n{self.headers}Content-Length: {len(data)}\r\n"
        if body is not None:
            head += f"Content-Type: {SCIM}\r\n"
        message = head.encode() + b"\r\n" + data
        started = time.perf_counter()
        async with asyncio.timeout(TIMEOUT):
            status, length, close = await self._send(message)
            content = await self.reader.readexactly(length) if length else b""
        self.record.add(kind, time.perf_counter() - started, status)
        if close:
            await self.close()
        return status, content

    async def _send(self, message: bytes) -> tuple[int, int, bool]:
        """Write the request and read the response head. gunicorn closes keep-alive connections that idle for
        a few seconds (between phases); a request that meets such a connection is sent again on a new one."""
        reused = self.writer is not None
        if not reused:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        try:
            self.writer.write(message)
            return _parse_head(await self.reader.readuntil(b"\r\n\r\n"))
        except (ConnectionError, asyncio.IncompleteReadError):
            await self.close()
            if not reused:
                raise
            return await self._send(message)

    async def json(self, kind: str, method: str, path: str, body=None) -> tuple[int, dict]:
        status, content = await self.request(kind, method, path, body)
        return status, (json.loads(content) if content else {})

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            close = value.strip().lower() == "close"
        elif name == "transfer-encoding":
            raise RuntimeError("chunked responses are not expected from this server")
    return status, length, close


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]

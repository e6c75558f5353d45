"""
Instructions each kind of request costs in the worker, counted by callgrind, which unlike CPU time does not
change with what else the machine is doing (the bench's 2-core machine is shared):

    python -m bench.instructions users 100   # 100 user matches (no hit) and creates, as Entra sends them
    python -m bench.instructions patch 100   # 100 user PATCHes (one Replace)
    python -m bench.instructions group 300   # 30 group PATCHes adding 10 members each

It reruns itself under `valgrind --tool=callgrind` with instrumentation off, makes a database of its own
(PostgreSQL, --database) and an enterprise, warms up, then counts only the measured requests, each through
the WSGI application as gunicorn calls it (plandisc.wsgi, production settings, Redis as the shared cache), and
prints the instructions per request. Needs valgrind.
"""

import argparse
import io
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

KINDS = {"users": 2, "patch": 1, "group": 0.1}  # requests per unit of N


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.instructions", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("n", type=int)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/plandisc_instructions")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # under valgrind
    return parser.parse_args()


def main() -> int:
    args = arguments()
    if args.measure:
        measure(args)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "bench.instructions",
            *sys.argv[1:],
            "--measure",
        ]
        finished = subprocess.run(command, capture_output=True, text=True)
        if finished.returncode:
            print(finished.stderr[-3000:], file=sys.stderr)
            return 1
        totals = next(line for line in out.read_text().splitlines() if line.startswith("totals:"))
    requests = int(args.n * KINDS[args.kind])
    print(
        f"{args.kind}: {int(totals.split()[1]) // requests:,} instructions per request ({requests} requests)"
    )
    return 0


def measure(args: argparse.Namespace) -> None:
    from bench.__main__ import recreate_database

    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "plandisc.settings",
            "DATABASE_URL": args.database,
            "REDIS_URL": args.redis,
            "DJANGO_DEBUG": "False",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "PLANDISC_BASE_URL": "https://127.0.0.1:8000",
            "PLANDISC_BEHIND_PROXY": "true",
            "SCIM_RATE_LIMIT_PER_MINUTE": str(10**9),
        }
    )
    recreate_database(args.database)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench import cycle
    from enterprise.activity.batch import batch
    from enterprise.credentials.services import scim_token_rotate
    from enterprise.services import enterprise_create
    from plandisc.wsgi import application

    enterprise = enterprise_create(slug="instructions", name="Instructions")
    _, token = scim_token_rotate(enterprise=enterprise)
    base = f"/scim/v2/{enterprise.public_id}"

    def call(method: str, path: str, body=None, query: str = "") -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else b""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": base + path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "HTTP_USER_AGENT": "bench",
            "CONTENT_TYPE": "application/scim+json",
            "CONTENT_LENGTH": str(len(data)),
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(data),
            "wsgi.errors": sys.stderr,
        }
        status = []
        response = application(environ, lambda s, headers: status.append(s))
        content = b"".join(response)
        response.close()
        if not status[0].startswith("2"):
            raise RuntimeError(f"{method} {path}: {status[0]} {content[:500]}")
        return int(status[0][:3]), content

    ids = []

    def users(numbers) -> None:
        for i in numbers:
            call("GET", "/Users", query=f"filter=userName+eq+%22{cycle.user_name(i)}%22")
            ids.append(json.loads(call("POST", "/Users", cycle.user_body(i))[1])["id"])

    def patches(numbers) -> None:
        for i in numbers:
            operation = {"op": "Replace", "path": "displayName", "value": f"Person {i}"}
            call("PATCH", f"/Users/{ids[i]}", cycle.patch(operation))

    def group_patches(group: str, numbers) -> None:
        for i in numbers:
            values = [{"value": v} for v in ids[10 * i : 10 * i + 10]]
            call("PATCH", f"/Groups/{group}", cycle.patch({"op": "Add", "path": "members", "value": values}))

    n = args.n
    users(range(n + 20))  # the members the other kinds need, and a warm-up (statements prepared)
    group = json.loads(call("POST", "/Groups", cycle.group_body(1))[1])["id"]
    patches(range(n, n + 10))
    group_patches(group, range(n // 10, n // 10 + 2))
    measured = {
        "users": lambda: users(range(n + 20, 2 * n + 20)),
        "patch": lambda: patches(range(n)),
        "group": lambda: group_patches(group, range(n // 10)),
    }[args.kind]
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True, check=True)
    measured()
    subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], capture_output=True, check=True)
    batch.flush()
    from django.db import connections

    connections.close_all()
    recreate_database(args.database, create=False)


if __name__ == "__main__":
    sys.exit(main())

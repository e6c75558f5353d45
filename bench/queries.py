"""
Table 3: the SQL statements each kind of request makes, counted through the Django test client with query
capture, in every seeded enterprise. A count that changes with the size of the enterprise or of the group is
an N+1; the statements of the smallest enterprise are listed so that any the request does not need stand out.
"""

import json
import re
from itertools import groupby

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import cycle, sizes
from bench.server import PROXY_HEADERS
from enterprise.activity.batch import batch

TABLE = re.compile(r'(?:\bFROM|^INSERT INTO|^UPDATE) "(\w+)"')


def count(seeded: list[sizes.Seeded]) -> tuple[dict[str, dict[str, int]], dict[str, str]]:
    """Statements per kind and size, and the statements of each kind in the first (smallest) enterprise."""
    counts, listed = {}, {}
    for s in seeded:
        client = Client(headers={"Authorization": f"Bearer {s.token}", **PROXY_HEADERS})
        # A token's last use is written at most once a minute; this request does it if it is due.
        client.get(s.base + "/ServiceProviderConfig")
        for kind, method, path, body in requests(s, client):
            with CaptureQueriesContext(connection) as captured:
                data = json.dumps(body) if body is not None else ""
                response = client.generic(method, s.base + path, data, content_type="application/scim+json")
            if not 200 <= response.status_code < 300:
                raise RuntimeError(
                    f"{kind}: {method} {path} answered {response.status_code}: {response.content}"
                )
            counts.setdefault(kind, {})[s.size.label] = len(captured)
            listed.setdefault(kind, summary(q["sql"] for q in captured.captured_queries))
    # The activity rows these requests left in this process's batch, written while the database exists.
    batch.flush()
    return counts, listed


def requests(s: sizes.Seeded, client: Client):
    """Table 2's requests, then those of the replayed cycle (which create what they work on)."""
    yield from sizes.probes(s, 0)
    name = f"Q{s.size.members}"
    yield "user match (no hit)", "GET", f"/Users?filter=userName+eq+%22{cycle.user_name(name)}%22", None
    yield "user create", "POST", "/Users", cycle.user_body(name)
    yield (
        "group match (no hit)",
        "GET",
        f"/Groups?excludedAttributes=members&filter=displayName+eq+%22{name}%22",
        None,
    )
    group = client.post(
        s.base + "/Groups", json.dumps(cycle.group_body(name)), content_type="application/scim+json"
    )
    group_id = group.json()["id"]
    yield "group create", "POST", "/Groups", cycle.group_body(name + "b")
    values = [{"value": v} for v in s.outsiders[:50]]
    yield (
        "group add 50 members",
        "PATCH",
        f"/Groups/{group_id}",
        cycle.patch({"op": "Add", "path": "members", "value": values}),
    )
    yield (
        "group remove 50 members (value list)",
        "PATCH",
        f"/Groups/{group_id}",
        cycle.patch({"op": "Remove", "path": "members", "value": values}),
    )
    user = s.users[1 % len(s.users)]
    yield (
        "user update (4 Replace ops)",
        "PATCH",
        f"/Users/{user}",
        cycle.patch(
            {"op": "Replace", "path": "displayName", "value": "Moved"},
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": f"moved.{name}@contoso.example",
            },
            {"op": "Replace", "path": "name.familyName", "value": "Moved"},
            {"op": "Replace", "path": f"{cycle.ENTERPRISE_USER}:department", "value": "Department 99"},
        ),
    )


def summary(statements) -> str:
    """`SELECT enterprise, SELECT scimtoken, BEGIN, INSERT member ×2, …`"""
    return ", ".join(
        name if (n := len(list(run))) == 1 else f"{name} ×{n}"
        for name, run in groupby(_name(sql) for sql in statements)
    )


def _name(sql: str) -> str:
    verb = sql.split(None, 1)[0]
    table = TABLE.search(sql)
    if verb not in ("SELECT", "INSERT", "UPDATE", "DELETE") or not table:
        return sql.split('"')[0].strip()  # BEGIN, COMMIT, SAVEPOINT, RELEASE SAVEPOINT
    if verb == "SELECT" and "COUNT(" in sql.split(" FROM ")[0]:
        verb = "COUNT"
    return f"{verb} {table[1].removeprefix('enterprise_')}"

"""
Table 1: an Entra ID provisioning cycle replayed by C concurrent clients, request for request as Entra
sends it (../shared/reference/entra-scim.md §2).

Initial cycle: every user is matched by userName and created; then every group is matched by displayName
(without members), created, and filled with PATCH `Add` batches. Incremental cycle: 10 % of users are read
and updated, 5 % are read and deactivated, and 5 % of every group's members are removed with Entra's
value-list `Remove`. The default dialect is Entra's (capitalized ops, string booleans); `aad` is what Entra
sends with the aadOptscim062020 flag (lower-case ops, booleans, RFC filter removes).
"""

import asyncio
import random
import time
from dataclasses import dataclass
from urllib.parse import quote_plus

from bench.client import Connection, Record

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
# Entra's group create still carries this non-standard schema URI.
AD_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


@dataclass(frozen=True)
class Plan:
    users: int
    groups: int
    clients: int
    batch: int = 50
    dialect: str = "entra"
    seed: int = 6


@dataclass
class Phase:
    name: str
    requests: int
    seconds: float


def key(i: int) -> str:
    return f"{i:07d}"


def user_name(i: int | str) -> str:
    return f"bench.user{key(i) if isinstance(i, int) else i}@contoso.example"


def user_body(i: int | str) -> dict:
    """The body of Entra's POST /Users (§2.2), client-sent meta and empty roles included. `i` is a number,
    or a string that stands for one wherever it appears (the seeding in bench/sizes.py uses that)."""
    k = key(i) if isinstance(i, int) else i
    return {
        "schemas": [USER, ENTERPRISE_USER],
        "externalId": f"6b1c0e2a-5a1e-4c1b-9d3f-{k}",
        "userName": user_name(k),
        "active": True,
        "displayName": f"Person {k}",
        "emails": [{"primary": True, "type": "work", "value": user_name(k)}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": f"Given{k} Family{k}", "familyName": f"Family{k}", "givenName": f"Given{k}"},
        "title": "Planner",
        ENTERPRISE_USER: {"employeeNumber": f"E{k}", "department": "Planning"},
        "roles": [],
    }


def group_name(g: int | str) -> str:
    return f"Bench group {key(g) if isinstance(g, int) else g}"


def group_body(g: int | str) -> dict:
    k = key(g) if isinstance(g, int) else g
    return {
        "schemas": [GROUP, AD_GROUP],
        "externalId": f"0db508eb-91e2-46e4-809c-{k}",
        "displayName": group_name(k),
        "meta": {"resourceType": "Group"},
    }


def patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


class Replay:
    """`first_user`, `first_group`: the numbers of this replay's first user and group (bench/tenants.py gives
    each enterprise its own, so that one enterprise can receive every enterprise's requests)."""

    def __init__(
        self, plan: Plan, connections: list[Connection], base: str, first_user: int = 0, first_group: int = 0
    ):
        self.plan, self.connections, self.base = plan, connections, base
        self.user_ids: dict[int, str] = {}
        self.group_ids: dict[int, str] = {}
        rng = random.Random(plan.seed)
        everyone = list(range(first_user, first_user + plan.users))
        self.users, self.groups = everyone, list(range(first_group, first_group + plan.groups))
        # The first group holds everybody ("All staff"), the others each a tenth of the enterprise.
        self.memberships = {first_group: everyone}
        for g in self.groups[1:]:
            self.memberships[g] = sorted(rng.sample(everyone, max(1, plan.users // 10)))
        self.updated = rng.sample(everyone, plan.users // 10)
        self.deactivated = rng.sample(everyone, plan.users // 20)
        self.removed = {g: rng.sample(m, len(m) // 20) for g, m in self.memberships.items()}

    def op(self, name: str) -> str:
        return name if self.plan.dialect == "entra" else name.lower()

    async def run(self) -> list[Phase]:
        return [
            await self.phase("initial: users", self.initial_users()),
            await self.phase("initial: groups", self.initial_groups()),
            await self.phase("incremental", self.incremental()),
        ]

    def initial_users(self) -> list:
        return [self.create_user(i) for i in self.users]

    def initial_groups(self) -> list:
        return [self.create_group(g) for g in self.groups]

    def incremental(self) -> list:
        return (
            [self.update_user(i) for i in self.updated]
            + [self.deactivate_user(i) for i in self.deactivated]
            + [self.remove_members(g) for g in self.groups]
        )

    async def phase(self, name: str, jobs: list) -> Phase:
        """Run jobs (coroutine functions taking a connection) on all connections until none are left."""
        queue = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)
        record = self.connections[0].record
        before = sum(len(v) for v in record.latencies.values())

        async def work(connection: Connection) -> None:
            while not queue.empty():
                await queue.get_nowait()(connection)

        started = time.perf_counter()
        await asyncio.gather(*(work(c) for c in self.connections))
        return Phase(
            name, sum(len(v) for v in record.latencies.values()) - before, time.perf_counter() - started
        )

    def create_user(self, i: int):
        async def job(c: Connection) -> None:
            query = quote_plus(f'userName eq "{user_name(i)}"')
            await c.request("user match", "GET", f"{self.base}/Users?filter={query}")
            status, body = await c.json("user create", "POST", f"{self.base}/Users", user_body(i))
            if status == 201:
                self.user_ids[i] = body["id"]

        return job

    def create_group(self, g: int):
        async def job(c: Connection) -> None:
            query = quote_plus(f'displayName eq "{group_name(g)}"')
            await c.request(
                "group match", "GET", f"{self.base}/Groups?excludedAttributes=members&filter={query}"
            )
            status, body = await c.json("group create", "POST", f"{self.base}/Groups", group_body(g))
            if status != 201:
                return
            self.group_ids[g] = body["id"]
            members = [self.user_ids[i] for i in self.memberships[g] if i in self.user_ids]
            for start in range(0, len(members), self.plan.batch):
                values = [{"value": v} for v in members[start : start + self.plan.batch]]
                operation = {"op": self.op("Add"), "path": "members", "value": values}
                await c.request(
                    "group add members", "PATCH", f"{self.base}/Groups/{body['id']}", patch(operation)
                )

        return job

    def update_user(self, i: int):
        async def job(c: Connection) -> None:
            if i not in self.user_ids:  # its create failed, and was counted
                return
            path = f"{self.base}/Users/{self.user_ids[i]}"
            await c.request("user get", "GET", path)
            await c.request("user update", "PATCH", path, patch(*self.user_changes(i)))

        return job

    def user_changes(self, i: int) -> list[dict]:
        """The operations of user i's update: what Entra sends when a person moves."""
        return [
            {"op": self.op("Replace"), "path": "displayName", "value": f"Person {i} (moved)"},
            {
                "op": self.op("Replace"),
                "path": 'emails[type eq "work"].value',
                "value": f"moved.{user_name(i)}",
            },
            {"op": self.op("Replace"), "path": "name.familyName", "value": f"Moved{i}"},
            {"op": self.op("Replace"), "path": f"{ENTERPRISE_USER}:department", "value": "Department 99"},
        ]

    def deactivate_user(self, i: int):
        async def job(c: Connection) -> None:
            if i not in self.user_ids:  # its create failed, and was counted
                return
            path = f"{self.base}/Users/{self.user_ids[i]}"
            await c.request("user get", "GET", path)
            await c.request("user deactivate", "PATCH", path, patch(self.deactivation()))

        return job

    def deactivation(self) -> dict:
        value = "False" if self.plan.dialect == "entra" else False
        return {"op": self.op("Replace"), "path": "active", "value": value}

    def remove_members(self, g: int):
        async def job(c: Connection) -> None:
            members = [self.user_ids[i] for i in self.removed[g] if i in self.user_ids]
            if g not in self.group_ids or not members:
                return
            for start in range(0, len(members), self.plan.batch):
                ids = members[start : start + self.plan.batch]
                if self.plan.dialect == "entra":
                    operations = [{"op": "Remove", "path": "members", "value": [{"value": v} for v in ids]}]
                else:
                    operations = [{"op": "remove", "path": f'members[value eq "{v}"]'} for v in ids]
                await c.request(
                    "group remove members",
                    "PATCH",
                    f"{self.base}/Groups/{self.group_ids[g]}",
                    patch(*operations),
                )

        return job


async def replay(
    plan: Plan, host: str, port: int, token: str, base: str, kind: type[Replay] = Replay
) -> tuple[Record, list[Phase]]:
    """Warm the server up, then run the cycle with `kind`'s requests."""
    record = Record()
    connections = [Connection(host, port, token, record) for _ in range(plan.clients)]
    try:
        # Every worker imports and connects on its first requests; a warm server is what gets measured.
        for connection in connections:
            connection.record = Record()

        async def warm(connection: Connection) -> None:
            for _ in range(5):
                await connection.request("warm-up", "GET", f"{base}/Users?filter=userName+eq+%22nobody%22")

        await asyncio.gather(*(warm(c) for c in connections))
        for connection in connections:
            connection.record = record
        phases = await kind(plan, connections, base).run()
    finally:
        for connection in connections:
            await connection.close()
    return record, phases

"""
Table 2: the cost of single requests as the enterprise and its largest group grow.

Enterprises are seeded straight into PostgreSQL with COPY, in seconds. So that seeded rows are exactly what
the SCIM adapters write, one user and one group are first provisioned through the real endpoint (Entra's
POST bodies), and every seeded row is a copy of those rows with the placeholder in each value replaced.
"""

import json
import random
import statistics
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from django.db import connection
from django.test import Client

from bench import cycle
from bench.client import Connection, Record
from bench.server import PROXY_HEADERS
from enterprise.credentials.services import scim_token_rotate
from enterprise.directory.models import Group, GroupMembership, Member
from enterprise.services import enterprise_create

PLACEHOLDER = "SEEDKEY"


@dataclass(frozen=True)
class Size:
    members: int
    largest_group: int

    @property
    def groups(self) -> int:
        return max(10, self.members // 100)

    @property
    def label(self) -> str:
        return f"{self.members:,} / {self.largest_group:,}"


def parse_sizes(text: str) -> list[Size]:
    sizes = [Size(*map(int, pair.split(":"))) for pair in text.split(",")]
    for size in sizes:
        if size.largest_group > size.members:
            raise SystemExit(
                f"--sizes: a group of {size.largest_group} needs as many members, not {size.members}"
            )
    return sizes


@dataclass
class Seeded:
    size: Size
    public_id: uuid.UUID
    token: str
    users: list[str]  # scim ids of a random sample of members
    outsiders: list[str]  # scim ids of members not in the largest group
    group_names: list[str]
    largest: str  # scim id of the largest group
    counters: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"/scim/v2/{self.public_id}"


def seed(size: Size, slug: str, sample: int) -> Seeded:
    enterprise = enterprise_create(slug=slug, name=slug.title())
    _, token = scim_token_rotate(enterprise=enterprise)
    client = Client(headers={"Authorization": f"Bearer {token}", **PROXY_HEADERS})
    base = f"/scim/v2/{enterprise.public_id}"
    for path, body in [("/Users", cycle.user_body(PLACEHOLDER)), ("/Groups", cycle.group_body(PLACEHOLDER))]:
        response = client.post(base + path, json.dumps(body), content_type="application/scim+json")
        if response.status_code != 201:
            raise RuntimeError(
                f"Provisioning the seed template failed: {response.status_code} {response.content}"
            )
    _copy_like(Member.objects.get(enterprise=enterprise), size.members)
    _copy_like(Group.objects.get(enterprise=enterprise), size.groups)
    member_pks = list(
        Member.objects.filter(enterprise=enterprise).order_by("pk").values_list("pk", flat=True)
    )
    group_pks = list(Group.objects.filter(enterprise=enterprise).order_by("pk").values_list("pk", flat=True))
    # The largest group holds the first members; each other group ten members further on.
    pairs = [(group_pks[0], pk) for pk in member_pks[: size.largest_group]]
    pairs += [
        (g, member_pks[(i * 10 + j) % len(member_pks)])
        for i, g in enumerate(group_pks[1:])
        for j in range(min(10, len(member_pks)))
    ]
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor().copy(
            f"COPY {GroupMembership._meta.db_table} (group_id, member_id, created_at) FROM STDIN"
        ) as copy,
    ):
        for group_pk, member_pk in pairs:
            copy.write_row((group_pk, member_pk, "now"))
    rng = random.Random(size.members)
    ids = dict(Member.objects.filter(enterprise=enterprise).values_list("pk", "scim_id"))
    return Seeded(
        size=size,
        public_id=enterprise.public_id,
        token=token,
        users=[str(ids[pk]) for pk in rng.sample(member_pks, min(sample, len(member_pks)))],
        outsiders=[str(ids[pk]) for pk in member_pks[size.largest_group :][-sample:]],
        group_names=[cycle.group_name(i) for i in rng.sample(range(size.groups), min(sample, size.groups))],
        largest=str(Group.objects.get(pk=group_pks[0]).scim_id),
    )


def _copy_like(template, count: int) -> None:
    """Replace the template row by `count` rows like it, the placeholder numbered 0 … count-1."""
    model = type(template)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    values = []
    for f in fields:
        value = getattr(template, f.attname)
        values.append(json.dumps(value) if f.get_internal_type() == "JSONField" else value)
    template.delete()
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor().copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for i in range(count):
            k = cycle.key(i)
            copy.write_row(
                [
                    uuid.uuid4()
                    if f.name == "scim_id"
                    else v.replace(PLACEHOLDER, k)
                    if isinstance(v, str)
                    else v
                    for f, v in zip(fields, values, strict=True)
                ]
            )


def analyze() -> None:
    """What autovacuum would do soon after a bulk load: statistics and the visibility map."""
    for model in (Member, Group, GroupMembership):
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def probes(s: Seeded, i: int) -> list[tuple[str, str, str, dict | None]]:
    """The requests of table 2 (and 3), the i-th of each kind: (kind, method, path, body)."""
    user = s.users[i % len(s.users)]
    outsider = s.outsiders[i % len(s.outsiders)]
    active = "False" if i % 2 == 0 else "True"
    group = s.group_names[i % len(s.group_names)]
    name = cycle.user_name(i * 7919 % s.size.members)
    start = max(1, s.size.members - 150)
    member = [{"value": outsider}]
    return [
        ("filter by userName", "GET", f"/Users?filter={quote_plus(f'userName eq {json.dumps(name)}')}", None),
        ("GET a user", "GET", f"/Users/{user}", None),
        (
            "PATCH active",
            "PATCH",
            f"/Users/{user}",
            cycle.patch({"op": "Replace", "path": "active", "value": active}),
        ),
        (
            "group match, excludedAttributes=members",
            "GET",
            f"/Groups?excludedAttributes=members&filter={quote_plus(f'displayName eq {json.dumps(group)}')}",
            None,
        ),
        (
            "PATCH add one member",
            "PATCH",
            f"/Groups/{s.largest}",
            cycle.patch({"op": "Add", "path": "members", "value": member}),
        ),
        (
            "PATCH remove one member",
            "PATCH",
            f"/Groups/{s.largest}",
            cycle.patch({"op": "Remove", "path": "members", "value": member}),
        ),
        ("list page deep (startIndex = members − 150)", "GET", f"/Users?startIndex={start}&count=100", None),
        ("GET the largest group with members", "GET", f"/Groups/{s.largest}", None),
    ]


# GET of the largest group is the one request whose cost grows with the group; it is sampled less often.
SLOW = "GET the largest group with members"


async def measure(seeded: list[Seeded], host: str, port: int, repeat: int) -> dict[str, dict[str, float]]:
    """Median latency (seconds) of each kind in each enterprise, one request at a time on one keep-alive
    connection per enterprise. The enterprises take turns, so that whatever else the machine is doing
    meanwhile weighs on every size alike."""
    records = {s.size.label: Record() for s in seeded}
    connections = {s.size.label: Connection(host, port, s.token, records[s.size.label]) for s in seeded}
    try:
        for i in range(-5, repeat):  # the first five rounds warm the workers and are not counted
            for s in seeded:
                for kind, method, path, body in probes(s, i % repeat):
                    if kind == SLOW and i % max(1, repeat // 10):
                        continue
                    connection = connections[s.size.label]
                    status, _ = await connection.request(
                        kind if i >= 0 else "warm-up", method, s.base + path, body
                    )
                    if not 200 <= status < 300:
                        raise RuntimeError(f"{kind}: {method} {path} answered {status}")
    finally:
        for connection in connections.values():
            await connection.close()
    return {
        label: {
            kind: statistics.median(times) for kind, times in record.latencies.items() if kind != "warm-up"
        }
        for label, record in records.items()
    }

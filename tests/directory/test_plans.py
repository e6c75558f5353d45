"""
The lookups every provisioning request makes keep their index whatever PostgreSQL knows about the table.
A connection prepares a statement it repeats and PostgreSQL then keeps one plan for any values, made with
the statistics of that moment: on a table never analysed (a new database, an enterprise's first cycle
filling it faster than autovacuum looks) every index starting with the enterprise looked alike, and a plan
that read the whole enterprise for each lookup was kept for the connection's life.
"""

import re
import uuid

import pytest
from django.db import connection
from psycopg.sql import Literal

from enterprise.directory.models import Member
from tests.factories import EnterpriseFactory, MemberFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans"),
]


TYPES = {str: "text", int: "bigint", uuid.UUID: "uuid"}


def generic_plan(lookup) -> str:
    """The plan PostgreSQL makes for any values of the one statement `lookup` runs, as a prepared statement
    gets once the connection has run it a few times."""
    statements = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        lookup()
    ((sql, params),) = statements
    numbered = iter(range(1, len(params) + 1))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        types = ", ".join(TYPES[type(value)] for value in params)
        cursor.execute(re.sub("%s", lambda _: f"${next(numbered)}", f"PREPARE lookup ({types}) AS {sql}"))
        values = ", ".join(Literal(value).as_string(connection.connection) for value in params)
        cursor.execute(f"EXPLAIN EXECUTE lookup({values})")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE lookup")
    return plan


@pytest.fixture
def enterprise():
    enterprise = EnterpriseFactory()
    MemberFactory.create_batch(300, enterprise=enterprise)
    MemberFactory.create_batch(50, enterprise=EnterpriseFactory())
    return enterprise


LOOKUPS = {
    "member_unique_username": lambda e: Member.objects.named(e, "someone@contoso.example"),
    "enterprise_member_scim_id_key": lambda e: Member.objects.by_scim_id(e, uuid.uuid4(), for_update=True),
    "enterprise_member_scim_id_key ": lambda e: Member.objects.keys(e, [uuid.uuid4(), uuid.uuid4()]),
}


@pytest.mark.parametrize("analysed", [False, True], ids=["never analysed", "analysed"])
@pytest.mark.parametrize("index", LOOKUPS)
def test_each_lookup_reads_one_index(enterprise, index, analysed):
    if analysed:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE enterprise_member")
    plan = generic_plan(lambda: LOOKUPS[index](enterprise))
    assert re.findall(r"(?:Scan using|Bitmap Index Scan on) (\w+)", plan) == [index.strip()], plan
    assert "Seq Scan" not in plan, plan

"""No SCIM request makes more SQL statements because the enterprise or the group is bigger (no N+1)."""

import pytest
from django.db import connection

from bench import queries
from bench.sizes import Size, seed

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the benchmark seeds with PostgreSQL's COPY"
    ),
]


def test_statements_per_request_do_not_grow_with_the_enterprise_or_the_group():
    # Both have over 250 members, so the deep list page is full in both (a short last page skips COUNT).
    small = seed(Size(members=300, largest_group=5), "small", sample=20)
    large = seed(Size(members=1000, largest_group=600), "large", sample=20)

    counts, _ = queries.count([small, large])

    assert {kind: by_size for kind, by_size in counts.items() if len(set(by_size.values())) > 1} == {}
    assert len(counts) == 15

"""
Migration 0002 gives existing login accounts their owner. An account one enterprise's identity provider took
over from another (before accounts had owners) stays with the enterprise whose member it was made for, and the
other enterprise's member loses the link, so its sessions as that account end at their next request.
"""

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("enterprise", "0001_initial")]
AFTER = [("enterprise", "0002_sso_accounts_domains_refusals")]


@pytest.fixture(autouse=True)
def latest_schema_afterwards():
    """Later tests in this database expect every migration applied, whatever this test left behind."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_accounts_get_the_enterprise_that_made_them():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    User, Enterprise, Member_ = (
        old.get_model(*name.split("."))
        for name in ("auth.User", "enterprise.Enterprise", "enterprise.Member")
    )
    fabrikam = Enterprise.objects.create(slug="fabrikam", name="Fabrikam")
    contoso = Enterprise.objects.create(slug="contoso", name="Contoso")
    alice = User.objects.create(username="alice@fabrikam.example", password="!unusable")
    Member_.objects.create(enterprise=fabrikam, user_name=alice.username, user=alice)
    Member_.objects.create(enterprise=contoso, user_name=alice.username, user=alice)  # the takeover
    with_password = User.objects.create(username="bob@contoso.example", password=make_password("a password"))
    Member_.objects.create(enterprise=contoso, user_name=with_password.username, user=with_password)
    admin = User.objects.create(username="admin@contoso.example", password="!unusable")
    contoso.admins.add(admin)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    # Read at that migration's schema: later migrations add columns today's models have.
    new = executor.loader.project_state(AFTER).apps
    LoginAccount, Member = new.get_model("enterprise", "LoginAccount"), new.get_model("enterprise", "Member")

    owners = dict(LoginAccount.objects.values_list("user__username", "enterprise__slug"))
    assert owners == {"alice@fabrikam.example": "fabrikam", "admin@contoso.example": "contoso"}
    links = dict(
        Member.objects.values_list("enterprise__slug", "user__username").filter(user_name=alice.username)
    )
    assert links == {"fabrikam": "alice@fabrikam.example", "contoso": None}
    assert Member.objects.get(user_name="bob@contoso.example").user.username == "bob@contoso.example"

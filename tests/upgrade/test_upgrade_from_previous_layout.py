"""
Upgrading keeps every row: a database in the layout recorded in previous_layout.json, migrated to the newest
migrations, holds the same rows in the same tables, and the SCIM token, the OAuth client secret and the single
sign-on session issued before the upgrade still work after it. The file was written by
tests/upgrade/make_previous_layout.py at the commit it names, the last one with every model in the one
`enterprise` app (the script is in main's history, merged in 8da1030 and removed after, as it imports that
layout's modules).

Nothing here names a model class: the rows are loaded through the historical models of the recorded
migrations and read back with SQL, so the test holds whichever apps the models move to.
"""

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

FIXTURE = json.loads((Path(__file__).parent / "previous_layout.json").read_text())
SECRETS = FIXTURE["secrets"]
USERS = f"/scim/v2/{SECRETS['enterprise_public_id']}/Users"

pytestmark = pytest.mark.django_db(transaction=True)

# Columns a later migration replaced on purpose, by table; each has a test below that its data lives on.
REPLACED = {"enterprise_group": {"grants_admin"}}


def _previous_targets(executor: MigrationExecutor) -> list[tuple[str, str | None]]:
    """The recorded migrations, and no migration of the apps that did not exist then."""
    recorded, nodes = FIXTURE["migrations"], executor.loader.graph.nodes
    apps_now = {app for app, _ in nodes}
    missing = [node for node in recorded.items() if node not in nodes]
    assert not missing, f"The fixture was recorded at migrations that no longer exist: {missing}"
    return sorted(recorded.items()) + [(app, None) for app in sorted(apps_now - set(recorded))]


def _migrate_to_newest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


@dataclass
class Table:
    """A table the fixture fills: its columns (primary key first), the primary keys loaded into it, and its
    rows as they were before the upgrade."""

    name: str
    columns: list[str]
    pks: set
    before: dict = field(default_factory=dict)


def _load(historical_apps) -> list[Table]:
    """Insert the fixture's rows through the historical models, in one transaction so that foreign keys are
    checked once every row is in."""
    tables, models = [], []
    with transaction.atomic():
        for label, rows in FIXTURE["rows"].items():
            model = historical_apps.get_model(label)
            fields = {f.attname: f for f in model._meta.concrete_fields}
            for f in fields.values():
                if hasattr(f, "auto_now"):
                    # Rows keep the times they were recorded with. These model classes are this state's own.
                    f.auto_now = f.auto_now_add = False
            objects = [model(**{name: fields[name].to_python(v) for name, v in row.items()}) for row in rows]
            model._base_manager.bulk_create(objects)
            pk = model._meta.pk
            columns = [pk.column] + [f.column for f in fields.values() if f is not pk]
            tables.append(Table(model._meta.db_table, columns, {o.pk for o in objects}))
            models.append(model)
    # Rows came with their ids, which PostgreSQL's sequences do not notice: without this, the next insert
    # (an access token, an activity row) would collide. SQLite needs no statement.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
    return tables


def _columns(name: str) -> set[str]:
    with connection.cursor() as cursor:
        return {column.name for column in connection.introspection.get_table_description(cursor, name)}


def _rows(table: Table, columns: list[str] | None = None) -> dict:
    """The table's rows by primary key, {column: value} for the recorded columns (or `columns`) selected by
    name, as the database returns them."""
    columns = columns or table.columns
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(map(quote, columns))} FROM {quote(table.name)}")
        return {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}


@pytest.fixture
def upgraded() -> list[Table]:
    """
    The database migrated back to the recorded layout, filled with the fixture's rows, then migrated to the
    newest migrations. It ends at the newest migrations whatever happens: later tests need it.
    """
    executor = MigrationExecutor(connection)
    targets = _previous_targets(executor)
    try:
        executor.migrate(targets)
        executor = MigrationExecutor(connection)
        recorded = [target for target in targets if target[1] is not None]
        tables = _load(executor.loader.project_state(recorded).apps)
        for table in tables:
            table.before = _rows(table)
        _migrate_to_newest()
    except BaseException:
        _migrate_to_newest()
        raise
    return tables


def test_every_row_of_every_table_is_still_there_unchanged(upgraded):
    kept = {
        table.name: [c for c in table.columns if c not in REPLACED.get(table.name, ())] for table in upgraded
    }
    after = {table.name: _rows(table, kept[table.name]) for table in upgraded}

    loaded = {table.name: table.pks for table in upgraded}
    assert {table.name: set(table.before) for table in upgraded} == loaded
    assert {name: set(rows) for name, rows in after.items()} == loaded
    for table in upgraded:
        assert set(table.columns) - _columns(table.name) == REPLACED.get(table.name, set()), table.name
        for pk, row in table.before.items():
            unchanged = {column: value for column, value in row.items() if column in kept[table.name]}
            assert after[table.name][pk] == unchanged, f"{table.name} row {pk} changed"


def test_admin_groups_became_groups_that_give_the_admin_role(upgraded):
    groups = next(table for table in upgraded if table.name == "enterprise_group")
    roles = _rows(groups, ["id", "role"])

    admin_groups = {pk for pk, row in groups.before.items() if row["grants_admin"]}
    assert admin_groups, "the fixture has an admin group"
    assert {pk for pk, row in roles.items() if row["role"] == "admin"} == admin_groups
    assert {row["role"] for pk, row in roles.items() if pk not in admin_groups} <= {""}


def test_every_table_still_belongs_to_a_model_that_reads_its_rows(upgraded):
    models = {model._meta.db_table: model for model in apps.get_models(include_auto_created=True)}

    for table in upgraded:
        assert table.name in connection.introspection.table_names(), f"{table.name} is gone"
        assert table.name in models, f"No model stores its rows in {table.name}"
        assert set(models[table.name]._base_manager.values_list("pk", flat=True)) == table.pks, table.name


def test_a_scim_token_issued_before_the_upgrade_still_lists_the_users(upgraded):
    response = Client().get(USERS, headers={"Authorization": f"Bearer {SECRETS['scim_token']}"})

    assert response.status_code == HTTPStatus.OK
    assert sorted(user["id"] for user in response.json()["Resources"]) == SECRETS["scim_user_ids"]


def test_a_client_secret_issued_before_the_upgrade_still_gets_access_tokens(upgraded):
    body = {
        "grant_type": "client_credentials",
        "client_id": SECRETS["oauth_client_id"],
        "client_secret": SECRETS["oauth_client_secret"],
    }
    response = Client().post(
        f"/oauth/{SECRETS['enterprise_public_id']}/token",
        urlencode(body),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == HTTPStatus.OK
    access_token = response.json()["access_token"]

    users = Client().get(USERS, headers={"Authorization": f"Bearer {access_token}"})

    assert users.status_code == HTTPStatus.OK
    assert sorted(user["id"] for user in users.json()["Resources"]) == SECRETS["scim_user_ids"]


def test_a_single_sign_on_session_started_before_the_upgrade_is_still_signed_in(upgraded):
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = SECRETS["sso_session_key"]

    response = client.get("/sso/signed-in/")

    # Not sent to the sign-in page (or on to the Enterprise page): still this member's single sign-on.
    assert response.status_code == HTTPStatus.OK
    assert response.wsgi_request.user.get_username() == SECRETS["sso_username"]
    assert SECRETS["sso_member_name"] in response.content.decode()

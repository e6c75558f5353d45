"""
Writes tests/upgrade/previous_layout.json: the rows of a database in the layout of the code it runs on, for
test_upgrade_from_previous_layout.py to load into that layout and migrate forward.

Run it from the project root, on the commit whose layout the fixture is to record (before the migrations
that change it):

    python -m tests.upgrade.make_previous_layout

It migrates a new SQLite file, fills it the way people do (services, the SCIM endpoint, the token endpoint,
single sign-on through a simulated Entra tenant), then dumps every row of the enterprise app, the login
accounts and the sessions through the historical models of the migration state, which is how the test loads
them again. Besides the rows the file records the migrations they belong to and the plaintexts the test needs
to prove that credentials issued before an upgrade still work after it.
"""

import json
import os
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import django
from django.conf import settings

from tests.scim import entra as entra_scim

OUTPUT = Path(__file__).resolve().parent / "previous_layout.json"
# Every table of these apps must have rows in the fixture; of the other apps, only these models are dumped.
# Content types, permissions and admin log entries are left out: post_migrate makes the first two again.
APPS = ["enterprise"]
MODELS = ["auth.User", "sessions.Session"]
# Far enough ahead that the fixture's live session and client secret do not expire while it is in use.
FAR_FUTURE = datetime(2099, 1, 1, tzinfo=UTC)


def main() -> None:
    # The test settings: sessions are signed with their fixed SECRET_KEY, which the test runs with too.
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    with tempfile.TemporaryDirectory() as directory:
        settings.DATABASES = {
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{directory}/previous.sqlite3"}
        }
        # The federation trusts name a JWKS URL on loopback: the generator never fetches keys, and must not
        # depend on DNS to run.
        settings.SCIM_JWKS_ALLOW_LOOPBACK = True
        django.setup()

        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        secrets = fill(Path(directory))
        fixture = dump()
    fixture["secrets"] = secrets
    fixture["generated_from"] = subprocess.run(
        ["git", "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    OUTPUT.write_text(json.dumps(fixture, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    counts = ", ".join(f"{label} {len(rows)}" for label, rows in fixture["rows"].items())
    print(f"Wrote {OUTPUT.relative_to(Path.cwd())}: {counts}")


def fill(directory: Path) -> dict:
    """Make at least one row of every kind, revoked and expired credentials included, and return what the
    test needs to use the live ones."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session
    from django.test import Client
    from django.urls import reverse

    from enterprise import services
    from enterprise.models import ClientSecret, Member
    from enterprise.sso import services as sso_services
    from tests.conftest import ScimClient
    from tests.factories import EnterpriseFactory, MemberFactory
    from tests.oauth import FORM, token_url
    from tests.sso.conftest import (
        CONTOSO_TENANT,
        Entra,
        connect,
        make_signing_key,
        post_response,
        provision,
        sign_in,
    )

    admin = get_user_model().objects.create_user("admin@contoso.example", password="correct horse battery")
    enterprise = services.enterprise_create(slug="contoso", name="Contoso", admin=admin)
    services.enterprise_admin_ensure(enterprise=enterprise, email="owner@contoso.example", password=None)
    services.access_token_lifetime_set(enterprise=enterprise, hours=2, actor=admin)

    # SCIM tokens: one revoked, one rotated away (its overlap ends at the live one's first use), one live.
    revoked, _ = services.scim_token_rotate(enterprise=enterprise, actor=admin)
    services.scim_token_revoke(token=revoked, actor=admin)
    services.scim_token_rotate(enterprise=enterprise, actor=admin)
    _, scim_token = services.scim_token_rotate(enterprise=enterprise, actor=admin)
    scim = ScimClient(Client(), enterprise, scim_token)

    # Members and groups as Entra provisions them, with the activity rows their requests leave.
    assert scim.get(entra_scim.TEST_CONNECTION).status_code == 200
    ada = provision(scim, "ada@contoso.example")
    grace_body = _entra_user("grace", "Grace Hopper", "1906", title="Rear Admiral")
    grace = scim.post("/Users", grace_body).json()["id"]
    alan = scim.post("/Users", _entra_user("alan", "Alan Turing", "1912")).json()["id"]
    manager = {"op": "Add", "path": f"{entra_scim.ENTERPRISE}:manager", "value": ada}
    assert scim.patch(f"/Users/{grace}", entra_scim.patch(manager)).status_code == 200
    assert scim.patch(f"/Users/{alan}", entra_scim.DISABLE_DEFAULT).status_code == 200
    admins_group = scim.post("/Groups", _entra_group("Plandisc admins")).json()["id"]
    engineering = scim.post("/Groups", _entra_group("Engineering")).json()["id"]
    for group, members in ((admins_group, [ada]), (engineering, [grace, alan])):
        add = {"op": "Add", "path": "members", "value": [{"value": m} for m in members]}
        assert scim.patch(f"/Groups/{group}", entra_scim.patch(add)).status_code == 204

    # OAuth: a revoked secret, a live one that obtained an access token at the token endpoint, and a
    # federation trust replaced by another (the first is revoked) that has one too. The live secret's expiry
    # is moved past the at most three years a service grants, so the fixture does not go stale.
    old_secret, _ = services.client_secret_create(enterprise=enterprise, actor=admin)
    services.client_secret_revoke(secret=old_secret, actor=admin)
    secret, client_secret = services.client_secret_create(enterprise=enterprise, years=3, actor=admin)
    ClientSecret.objects.filter(pk=secret.pk).update(expires_at=FAR_FUTURE)
    client_id = str(enterprise.oauth_client.client_id)
    body = f"grant_type=client_credentials&client_id={client_id}&client_secret={client_secret}&scope=scim"
    access_token = Client().post(token_url(enterprise), body, content_type=FORM).json()["access_token"]
    assert ScimClient(Client(), enterprise, access_token).get("/Groups").status_code == 200
    for subject in ("8a4b1e2f-0000-4000-8000-000000000001", "8a4b1e2f-0000-4000-8000-000000000002"):
        trust = services.federation_trust_save(
            enterprise=enterprise,
            issuer=f"https://login.microsoftonline.com/{CONTOSO_TENANT}/v2.0",
            jwks_url=f"http://127.0.0.1:9/{CONTOSO_TENANT}/discovery/v2.0/keys",
            subject=subject,
            audience="api://plandisc-scim/.default",
            actor=admin,
        )
    services.access_token_issue(enterprise=enterprise, trust=trust)

    # Single sign-on: a verified and an unverified domain, a sign-in left unanswered, a refused one, and
    # Ada signed in (her session is the one the test reuses).
    entra = Entra(CONTOSO_TENANT, make_signing_key(directory / "entra"))
    connection = connect(enterprise, entra, "contoso.example")
    sso_services.sso_domain_add(connection=connection, domain="contoso-labs.example", actor=admin)
    assert Client().get(reverse("sso:login", args=[enterprise.public_id])).status_code == 302
    refused = post_response(Client(), connection, entra.response(connection, "nobody@contoso.example"))
    assert refused.status_code == 403
    browser = sign_in(connection, entra, "ada@contoso.example")
    session_key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=session_key).update(expire_date=FAR_FUTURE)
    services.enterprise_admin_groups_set(
        enterprise=enterprise, groups=[enterprise.groups.get(display_name="Plandisc admins")], actor=admin
    )

    # Another enterprise, so that what the test reads is seen to stay within one.
    fabrikam = EnterpriseFactory(slug="fabrikam", name="Fabrikam")
    services.scim_token_rotate(enterprise=fabrikam)
    MemberFactory(enterprise=fabrikam, user_name="ada@fabrikam.example", display_name="Ada Fabrikam")

    return {
        "enterprise_public_id": str(enterprise.public_id),
        "scim_token": scim_token,
        "oauth_client_id": client_id,
        "oauth_client_secret": client_secret,
        "sso_session_key": session_key,
        "sso_username": "ada@contoso.example",
        # What the signed-in page calls her.
        "sso_member_name": Member.objects.get(scim_id=ada).formatted_name,
        "scim_user_ids": sorted([ada, grace, alan]),
    }


def _entra_user(name: str, full_name: str, employee_number: str, **extra) -> dict:
    """Entra's POST /Users for name@contoso.example, with the enterprise extension filled in."""
    given, family = full_name.split()
    return entra_scim.create_user(
        f"{name}@contoso.example",
        externalId=name,
        displayName=full_name,
        name={"formatted": full_name, "familyName": family, "givenName": given},
        emails=[{"primary": True, "type": "work", "value": f"{name}@contoso.example"}],
        **{entra_scim.ENTERPRISE: {"department": "Research", "employeeNumber": employee_number}},
        **extra,
    )


def _entra_group(display_name: str) -> dict:
    return {**entra_scim.create_group(display_name), "externalId": display_name.lower().replace(" ", "-")}


def dump() -> dict:
    """The applied migrations, and every row of APPS and MODELS as their historical models read them."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    loader = MigrationExecutor(connection).loader
    leaves = sorted(loader.graph.leaf_nodes())
    unapplied = [node for node in leaves if node not in loader.applied_migrations]
    assert not unapplied, f"Not migrated: {unapplied}"
    state = loader.project_state(leaves).apps
    models = [m for m in state.get_models(include_auto_created=True) if m._meta.app_label in APPS]
    models += [state.get_model(label) for label in MODELS]
    rows = {}
    for model in sorted(models, key=lambda m: m._meta.label):
        fields = model._meta.concrete_fields
        rows[model._meta.label] = [
            {field.attname: _jsonable(field, row) for field in fields}
            for row in model._base_manager.order_by("pk")
        ]
        assert rows[model._meta.label], f"No rows of {model._meta.label}: the fixture must have every kind."
    return {"migrations": dict(leaves), "rows": rows}


def _jsonable(field, row):
    """A field's value as JSON holds it and field.to_python reads it back: datetimes in ISO 8601, UUIDs as
    strings, JSONField values as they are."""
    value = field.value_from_object(row)
    if value is None or isinstance(value, bool | int | float | str | dict | list):
        return value
    return field.value_to_string(row)


if __name__ == "__main__":
    main()

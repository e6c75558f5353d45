import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.test import Client

from enterprise.credentials.models import ScimToken
from enterprise.models import Enterprise

pytestmark = pytest.mark.django_db


def _run(*args) -> dict:
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def _scim_status(endpoint: str, token: str) -> int:
    path = endpoint.removeprefix("http://127.0.0.1:8000")
    return Client().get(f"{path}/Users", headers={"Authorization": f"Bearer {token}"}).status_code


def test_create_enterprise_prints_the_endpoint_and_a_working_token(settings):
    settings.PLANDISC_BASE_URL = "https://plandisc.example.com"
    data = _run("create_enterprise", "contoso", "--name", "Contoso Ltd")

    enterprise = Enterprise.objects.get(slug="contoso")
    assert data == {
        "enterprise": "contoso",
        "scim_endpoint": f"https://plandisc.example.com/scim/v2/{enterprise.public_id}",
        "scim_token": data["scim_token"],
    }
    assert data["scim_token"].startswith("pdscim_")
    assert enterprise.name == "Contoso Ltd" and enterprise.scim_enabled
    # Only the digest is stored.
    assert ScimToken.objects.get().digest == ScimToken.digest_of(data["scim_token"])
    assert not ScimToken.objects.filter(digest=data["scim_token"]).exists()


def test_the_token_works_only_for_its_own_enterprise():
    contoso = _run("create_enterprise", "contoso", "--name", "Contoso")
    fabrikam = _run("create_enterprise", "fabrikam", "--name", "Fabrikam")

    assert _scim_status(contoso["scim_endpoint"], contoso["scim_token"]) == 200
    assert _scim_status(fabrikam["scim_endpoint"], fabrikam["scim_token"]) == 200
    assert _scim_status(contoso["scim_endpoint"], fabrikam["scim_token"]) == 401
    assert _scim_status(fabrikam["scim_endpoint"], contoso["scim_token"]) == 401


WITH_ADMIN = ["create_enterprise", "contoso", "--name", "Contoso", "--admin-email", "megan@contoso.com"]


def test_create_enterprise_with_an_admin_creates_the_login():
    data = _run(*WITH_ADMIN, "--admin-password", "s3cret-Passw0rd")

    user = get_user_model().objects.get(email="megan@contoso.com")
    assert data["admin_email"] == "megan@contoso.com"
    assert user.check_password("s3cret-Passw0rd")
    assert list(user.administered_enterprises.values_list("slug", flat=True)) == ["contoso"]


@pytest.mark.parametrize(
    "password, message",
    [
        ("a", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
    ],
)
def test_create_enterprise_refuses_a_password_the_validators_refuse(password, message):
    with pytest.raises(CommandError) as refused:
        call_command(*WITH_ADMIN, "--admin-password", password, stdout=StringIO())

    assert message in str(refused.value)
    assert not Enterprise.objects.exists()
    assert not get_user_model().objects.exists()


def test_create_enterprise_refuses_a_taken_slug():
    _run("create_enterprise", "contoso", "--name", "Contoso")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_enterprise", "contoso", "--name", "Again", stdout=StringIO())


def test_rotate_prints_a_new_token_and_the_old_one_keeps_working_until_the_new_one_is_used():
    first = _run("create_enterprise", "contoso", "--name", "Contoso")
    second = _run("rotate_scim_token", "contoso")

    assert second["scim_endpoint"] == first["scim_endpoint"]
    assert second["scim_token"] != first["scim_token"]
    assert _scim_status(first["scim_endpoint"], first["scim_token"]) == 200
    assert _scim_status(second["scim_endpoint"], second["scim_token"]) == 200
    assert _scim_status(first["scim_endpoint"], first["scim_token"]) == 401


def test_rotate_refuses_an_unknown_enterprise():
    with pytest.raises(CommandError, match="No enterprise"):
        call_command("rotate_scim_token", "nope", stdout=StringIO())


def test_text_output_names_the_values_to_paste_into_entra():
    out = StringIO()
    call_command("create_enterprise", "contoso", "--name", "Contoso", stdout=out)
    assert "SCIM endpoint" in out.getvalue() and "SCIM token       pdscim_" in out.getvalue()


def test_seed_demo_can_run_twice_and_prints_a_working_login():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=(out := StringIO()))
    lines = {line[:16].strip(): line[16:].strip() for line in out.getvalue().splitlines()}

    assert Enterprise.objects.filter(slug="demo").count() == 1
    assert validate_password(lines["Admin password"]) is None
    client = Client()
    assert client.login(username=lines["Admin email"], password=lines["Admin password"])
    assert _scim_status(lines["SCIM endpoint"], lines["SCIM token"]) == 200

import json

from django.core.management.base import BaseCommand, CommandError

from enterprise.credentials.models import OAuthClient
from enterprise.models import Enterprise

LABELS = {
    "enterprise": "Enterprise",
    "scim_endpoint": "SCIM endpoint",
    "scim_token": "SCIM token",
    "sign_in": "Sign in at",
    "admin_email": "Admin email",
    "admin_password": "Admin password",
    "token_endpoint": "Token endpoint",
    "client_id": "Client id",
    "client_secret": "Client secret",
    "secret_expires_at": "Secret expires",
}


def enterprise_named(slug: str) -> Enterprise:
    enterprise = Enterprise.objects.filter(slug=slug).first()
    if enterprise is None:
        raise CommandError(f"No enterprise with slug '{slug}'.")
    return enterprise


def print_oauth_client(
    command: BaseCommand, enterprise: Enterprise, client: OAuthClient, as_json: bool, **extra
) -> None:
    """Print what Entra needs to reach the enterprise through its OAuth client, as text or one JSON object."""
    print_fields(
        command,
        as_json,
        scim_endpoint=enterprise.scim_endpoint,
        token_endpoint=enterprise.token_endpoint,
        client_id=str(client.client_id),
        **extra,
    )


def print_scim_credentials(
    command: BaseCommand, enterprise: Enterprise, token: str, as_json: bool, **extra
) -> None:
    """Print an enterprise's SCIM endpoint and a fresh token, as text or as one JSON object."""
    print_fields(
        command,
        as_json,
        enterprise=enterprise.slug,
        scim_endpoint=enterprise.scim_endpoint,
        scim_token=token,
        **extra,
    )


def print_fields(command: BaseCommand, as_json: bool, **data) -> None:
    """One JSON object, or one labelled line per item."""
    if as_json:
        command.stdout.write(json.dumps(data))
        return
    for key, value in data.items():
        command.stdout.write(f"{LABELS.get(key, key):<16} {value}")

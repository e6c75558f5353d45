import json

from django.core.management.base import BaseCommand

from enterprise.models import Enterprise

LABELS = {
    "enterprise": "Enterprise",
    "scim_endpoint": "SCIM endpoint",
    "scim_token": "SCIM token",
    "sign_in": "Sign in at",
    "admin_email": "Admin email",
    "admin_password": "Admin password",
}


def print_scim_credentials(
    command: BaseCommand, enterprise: Enterprise, token: str, as_json: bool, **extra
) -> None:
    """Print an enterprise's SCIM endpoint and a fresh token, as text or as one JSON object."""
    data = {
        "enterprise": enterprise.slug,
        "scim_endpoint": enterprise.scim_endpoint,
        "scim_token": token,
        **extra,
    }
    if as_json:
        command.stdout.write(json.dumps(data))
        return
    for key, value in data.items():
        command.stdout.write(f"{LABELS.get(key, key):<16} {value}")

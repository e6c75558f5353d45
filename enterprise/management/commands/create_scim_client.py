from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from enterprise.credentials.models import ClientSecret
from enterprise.credentials.services import client_secret_create
from enterprise.management.commands._output import enterprise_named, print_oauth_client


class Command(BaseCommand):
    help = (
        "Add a client secret to an enterprise's OAuth client (creating the client the first time) and print "
        "what Entra's OAuth2 Client Credentials Grant needs: the SCIM endpoint (Tenant URL), the token "
        "endpoint, the client id (Client Identifier) and the secret (Client Secret, shown only here) with "
        "its expiry. The enterprise's other secrets stay live."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument(
            "--years",
            type=int,
            default=ClientSecret.DEFAULT_YEARS,
            help=f"Years until the secret expires (1 to {ClientSecret.MAX_YEARS}).",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, slug: str, years: int, **options) -> None:
        enterprise = enterprise_named(slug)
        try:
            secret, raw = client_secret_create(enterprise=enterprise, years=years)
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from None
        print_oauth_client(
            self,
            enterprise,
            secret.client,
            options["json"],
            client_secret=raw,
            secret_expires_at=secret.expires_at.isoformat(),
        )

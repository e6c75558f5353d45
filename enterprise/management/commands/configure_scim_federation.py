from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from enterprise.credentials.services import federation_trust_save
from enterprise.management.commands._output import enterprise_named, print_oauth_client


class Command(BaseCommand):
    help = (
        "Let an enterprise's identity provider authenticate with workload identity federation: trust JWTs "
        "that --issuer signs (keys at --jwks-url) for --subject and --audience, as Entra shows them. "
        "Replaces any earlier federation settings. Prints what goes back into Entra: the SCIM endpoint "
        "(SCIM URL), the token endpoint (Token URL) and the client id (Client ID). The JWKS URL must be "
        "https on a public address (SCIM_JWKS_ALLOW_LOOPBACK=True allows loopback, for tests)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--issuer", required=True)
        parser.add_argument("--jwks-url", required=True)
        parser.add_argument("--subject", required=True)
        parser.add_argument("--audience", required=True)
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, slug: str, issuer: str, jwks_url: str, subject: str, audience: str, **options):
        enterprise = enterprise_named(slug)
        try:
            trust = federation_trust_save(
                enterprise=enterprise, issuer=issuer, jwks_url=jwks_url, subject=subject, audience=audience
            )
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from None
        print_oauth_client(self, enterprise, trust.client, options["json"])

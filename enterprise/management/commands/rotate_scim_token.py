from django.core.management.base import BaseCommand

from enterprise.credentials.services import scim_token_rotate
from enterprise.management.commands._output import enterprise_named, print_scim_credentials


class Command(BaseCommand):
    help = (
        "Issue a new SCIM token for an enterprise and print it with the SCIM endpoint. The previous token "
        "keeps working until the new one is first used, or for 24 hours."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, slug: str, **options) -> None:
        enterprise = enterprise_named(slug)
        _, token = scim_token_rotate(enterprise=enterprise)
        print_scim_credentials(self, enterprise, token, options["json"])

from django.core.management.base import BaseCommand, CommandError

from enterprise import services
from enterprise.management.commands._output import print_scim_credentials
from enterprise.models import Enterprise


class Command(BaseCommand):
    help = (
        "Issue a new SCIM token for an enterprise and print it with the SCIM endpoint. The previous token "
        "keeps working until the new one is first used, or for 24 hours."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, slug: str, **options) -> None:
        enterprise = Enterprise.objects.filter(slug=slug).first()
        if enterprise is None:
            raise CommandError(f"No enterprise with slug '{slug}'.")
        _, token = services.scim_token_rotate(enterprise=enterprise)
        print_scim_credentials(self, enterprise, token, options["json"])

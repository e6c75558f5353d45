from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from enterprise.credentials.services import scim_token_rotate
from enterprise.management.commands._output import print_scim_credentials
from enterprise.models import Enterprise
from enterprise.services import enterprise_create
from enterprise.sso.services import enterprise_admin_ensure


class Command(BaseCommand):
    help = (
        "Create an enterprise with SCIM provisioning enabled and print its SCIM endpoint and a fresh SCIM "
        "token (the token is shown only here). With --admin-email the account becomes the enterprise's "
        "admin, "
        "created if needed; --admin-password sets its password, which must pass the password validators."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email")
        parser.add_argument("--admin-password")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    @transaction.atomic
    def handle(
        self, *args, slug: str, name: str, admin_email: str | None, admin_password: str | None, **options
    ):
        if Enterprise.objects.filter(slug=slug).exists():
            raise CommandError(f"An enterprise with slug '{slug}' already exists.")
        if admin_password and not admin_email:
            raise CommandError("--admin-password needs --admin-email.")
        enterprise = enterprise_create(slug=slug, name=name)
        extra = {}
        if admin_email:
            try:
                enterprise_admin_ensure(enterprise=enterprise, email=admin_email, password=admin_password)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            extra["admin_email"] = admin_email
        _, token = scim_token_rotate(enterprise=enterprise)
        print_scim_credentials(self, enterprise, token, options["json"], **extra)

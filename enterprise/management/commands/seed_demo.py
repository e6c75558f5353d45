import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse

from enterprise.credentials.services import scim_token_rotate
from enterprise.management.commands._output import print_scim_credentials
from enterprise.models import Enterprise
from enterprise.services import enterprise_create
from enterprise.sso.services import enterprise_admin_ensure

DEMO_SLUG = "demo"
DEMO_ADMIN = "admin@demo.plandisc.test"


class Command(BaseCommand):
    help = (
        "Seed the demo enterprise (created on first run) with an admin login, give the admin a fresh "
        "password and the enterprise a fresh SCIM token, and print the login, SCIM endpoint and token."
    )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        enterprise = Enterprise.objects.filter(slug=DEMO_SLUG).first()
        if enterprise is None:
            enterprise = enterprise_create(slug=DEMO_SLUG, name="Demo Enterprise")
        password = secrets.token_urlsafe(12)
        enterprise_admin_ensure(enterprise=enterprise, email=DEMO_ADMIN, password=password)
        _, token = scim_token_rotate(enterprise=enterprise)
        print_scim_credentials(
            self,
            enterprise,
            token,
            False,
            sign_in=settings.PLANDISC_BASE_URL + reverse("login"),
            admin_email=DEMO_ADMIN,
            admin_password=password,
        )

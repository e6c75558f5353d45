import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plandisc.settings")
application = get_wsgi_application()

# Refuse to serve with a configuration error (plandisc.E001: production without DJANGO_SECRET_KEY, E002: an
# http base URL). Only the security checks: the others (models, URLs) are the release step's `migrate` to run,
# and would import every view in every worker, most of which only ever answer SCIM.
from django.core.checks import Tags  # noqa: E402
from django.core.management import call_command  # noqa: E402

call_command("check", tags=[Tags.security])

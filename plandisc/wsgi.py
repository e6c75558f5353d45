import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plandisc.settings")
application = get_wsgi_application()

# Refuse to serve with a configuration error (e.g. plandisc.E001: production without DJANGO_SECRET_KEY).
from django.core.management import call_command  # noqa: E402

call_command("check")

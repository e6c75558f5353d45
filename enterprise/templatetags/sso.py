from django import template

from enterprise.models import Enterprise, SsoConnection
from enterprise.sso import settings_form

register = template.Library()


@register.simple_tag
def sso_settings(enterprise: Enterprise) -> dict:
    """The Enterprise page's Single sign-on section: the connection (unsaved before set-up) and a form."""
    connection = SsoConnection.objects.for_enterprise(enterprise)
    return {"connection": connection, "form": settings_form(connection)}

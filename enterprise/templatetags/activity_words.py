"""Provisioning activity in the viewer's language (enterprise.activity.words), for the templates."""

from django import template

from enterprise.activity import words
from enterprise.activity.models import ProvisioningEvent
from enterprise.activity.selectors import is_normal_answer

register = template.Library()


@register.filter
def said(event: ProvisioningEvent) -> str:
    """ "Updated alex@contoso.com: title" """
    return words.sentence(event)


@register.filter
def change(event: ProvisioningEvent) -> str:
    """ "Updated title": what the request did to the member the row is about."""
    return words.change(event)


@register.filter
def sent_by(event: ProvisioningEvent) -> str:
    """ "Entra": who sent the request."""
    return words.provider(event.user_agent)


@register.filter
def normal_answer(event: ProvisioningEvent) -> bool:
    return is_normal_answer(event)

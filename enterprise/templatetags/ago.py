from datetime import datetime

from django import template
from django.utils import timezone

from enterprise.selectors import time_ago

register = template.Library()


@register.filter
def ago(moment: datetime) -> str:
    """How long ago `moment` was, in the words of the health line: "12 minutes ago", "just now"."""
    return time_ago(moment, timezone.now())

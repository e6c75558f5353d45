from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from enterprise.selectors import time_ago

register = template.Library()


@register.simple_tag
def moment(value: datetime | None, style: str = "datetime") -> str:
    """
    A <time> for `value`: in UTC as the server renders it, which static/js/times.js rewrites in the
    viewer's time zone and the page's language. `style` "datetime" shows the date and time, "relative" how
    long ago ("2 hours ago"); either way the exact time is on hover (title).
    """
    if value is None:
        return ""
    utc = value.astimezone(UTC)
    exact = _("%(moment)s UTC") % {"moment": date_format(utc, "j M Y, H:i")}
    shown = time_ago(value, timezone.now()) if style == "relative" else exact
    return format_html(
        '<time datetime="{}" title="{}" data-local="{}">{}</time>',
        utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        exact,
        style,
        shown,
    )

"""
Alerts: each check looks at every kind (enterprise.alerts.kinds.KINDS) for an enterprise and moves its episode
along: a condition found opens an episode and emails it; news about it (a key not emailed before, e.g. 7 days
left instead of 30) emails again; it clears, and the episode is resolved and a "resolved" email goes to those
who had the alert. At most one alert email per kind and enterprise per ALERT_EMAIL_INTERVAL_MINUTES: what
comes sooner waits for the next check after that. Every email is an audit event.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from enterprise.activity.models import AuditEvent
from enterprise.activity.services import audit_record
from enterprise.alerts.kinds import KINDS, Finding, Kind
from enterprise.alerts.models import Alert, AlertOptOut, AlertSettings
from enterprise.alerts.selectors import alert_recipients, in_reader_words
from enterprise.models import Enterprise

logger = logging.getLogger(__name__)


def alerts_check(*, now: datetime | None = None) -> int:
    """Check every enterprise (the worker's periodic job); returns how many alert emails went out. One
    enterprise's failure (its mail server refusing, say) is logged and does not stop the others."""
    now = now or timezone.now()
    sent = 0
    for enterprise in Enterprise.objects.order_by("pk").iterator():
        try:
            sent += enterprise_alerts_check(enterprise=enterprise, now=now)
        except Exception:
            logger.exception("Checking the alerts of %s failed", enterprise)
    return sent


@transaction.atomic
def enterprise_alerts_check(*, enterprise: Enterprise, now: datetime | None = None) -> int:
    """
    Check every kind of alert for one enterprise and open, email or resolve its episodes; returns how many
    emails went out. The enterprise's row is locked meanwhile, so two checks never email the same thing
    twice; an email that cannot be sent rolls the check back, and the next check tries again.
    """
    now = now or timezone.now()
    Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
    sent = 0
    # What is stored (the page's banners, the audit trail) is in English, whichever request runs the check;
    # each email is then written in its recipient's language (_email).
    with translation.override(settings.LANGUAGE_CODE):
        for kind in KINDS.values():
            sent += _check(enterprise, kind, kind.find(enterprise, now), now)
    return sent


def _check(enterprise: Enterprise, kind: Kind, finding: Finding | None, now: datetime) -> int:
    alert = Alert.objects.filter(enterprise=enterprise, kind=kind.name, resolved_at__isnull=True).first()
    if finding is None:
        if alert is None:
            return 0
        alert.resolved_at = now
        sent = 0
        if alert.sent_at is not None:
            sent = _email(enterprise, kind, alert, now, resolved=True)
            alert.resolved_sent_at = now
            audit_record(
                enterprise=enterprise,
                action=AuditEvent.Action.ALERT_RESOLVED,
                detail=f"{kind.title}: resolved; emailed {_recipients(sent)}",
            )
        alert.save()
        return sent
    if alert is None:
        alert = Alert(enterprise=enterprise, kind=kind.name, opened_at=now)
    alert.headline, alert.lines, alert.advice = finding.headline[:255], finding.lines, finding.advice
    alert.keys = sorted(finding.keys)
    alert.since = alert.since or finding.since
    sent = 0
    if set(alert.keys) - set(alert.sent_keys) and not _emailed_lately(enterprise, kind, now):
        sent = _email(enterprise, kind, alert, now, resolved=False)
        alert.sent_at = now
        alert.sent_keys = sorted(set(alert.sent_keys) | set(alert.keys))
        audit_record(
            enterprise=enterprise,
            action=AuditEvent.Action.ALERT_SENT,
            detail=f"{kind.title}: {alert.headline}; emailed {_recipients(sent)}",
        )
    alert.save()
    return sent


def _emailed_lately(enterprise: Enterprise, kind: Kind, now: datetime) -> bool:
    interval = timedelta(minutes=settings.ALERT_EMAIL_INTERVAL_MINUTES)
    return Alert.objects.filter(enterprise=enterprise, kind=kind.name, sent_at__gt=now - interval).exists()


def _recipients(n: int) -> str:
    return f"{n} recipient{'s' if n != 1 else ''}" if n else "nobody (no admin address)"


def _email(enterprise: Enterprise, kind: Kind, alert: Alert, now: datetime, *, resolved: bool) -> int:
    """Send the alert (or its resolution) to each recipient, text and HTML, in the recipient's language;
    returns how many it went to. In words only, with a link to the page section: never a secret. The finding
    is worked out again in each other language (the same condition, in the reader's words); a resolution
    quotes the stored English headline."""
    recipients = alert_recipients(enterprise, kind.name)
    if not recipients:
        return 0
    path = reverse(kind.url_name, args=[enterprise.slug])
    context = {
        "enterprise": enterprise,
        "kind": kind,
        "alert": alert,
        "resolved": resolved,
        "link": f"{settings.PLANDISC_BASE_URL}{path}#{kind.section}",
        "settings_link": f"{settings.PLANDISC_BASE_URL}{reverse('enterprise:detail', args=[enterprise.slug])}"
        "#alerts",
    }
    messages, shown = [], {settings.LANGUAGE_CODE: alert}
    for address, language in recipients:
        with translation.override(language):
            if language not in shown:
                shown[language] = alert if resolved else in_reader_words(alert, enterprise, now)
            context["alert"] = shown[language]
            if resolved:
                subject = _("Resolved: %(title)s for %(name)s") % {
                    "title": kind.title,
                    "name": enterprise.name,
                }
            else:
                subject = _("%(title)s for %(name)s: %(headline)s") % {
                    "title": kind.title,
                    "name": enterprise.name,
                    "headline": shown[language].headline,
                }
            message = EmailMultiAlternatives(
                subject, render_to_string("alerts/email.txt", context), to=[address]
            )
            message.attach_alternative(render_to_string("alerts/email.html", context), "text/html")
        messages.append(message)
    # One connection for all of them; an error raises, so the check is rolled back and tried again.
    get_connection(fail_silently=False).send_messages(messages)
    return len(messages)


@transaction.atomic
def alert_settings_save(
    *, enterprise: Enterprise, notification_email: str, actor: AbstractBaseUser | None = None
) -> None:
    """Set (or clear, with "") the address that gets every alert besides the admins; audited. Raises
    ValidationError for an address that is not one."""
    notification_email = notification_email.strip()
    if notification_email:
        validate_email(notification_email)
    settings_row, _ = AlertSettings.objects.get_or_create(enterprise=enterprise)
    if settings_row.notification_email == notification_email:
        return
    settings_row.notification_email = notification_email
    settings_row.save(update_fields=["notification_email", "updated_at"])
    audit_record(
        enterprise=enterprise,
        actor=actor,
        action=AuditEvent.Action.ALERT_SETTINGS_CHANGED,
        detail=notification_email or "none",
    )


@transaction.atomic
def alert_opt_outs_set(*, enterprise: Enterprise, user: AbstractBaseUser, kinds: set[str]) -> None:
    """Make `user` get no emails of exactly these kinds of alert for the enterprise."""
    unknown = kinds - set(KINDS)
    if unknown:
        raise ValidationError(f"There is no kind of alert called {', '.join(sorted(unknown))}.")
    AlertOptOut.objects.filter(enterprise=enterprise, user=user).exclude(kind__in=kinds).delete()
    for kind in kinds:
        AlertOptOut.objects.get_or_create(enterprise=enterprise, user=user, kind=kind)

"""What the Enterprise page and the alert emails read of an enterprise's alerts. Nothing here writes."""

import copy
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import translation

from enterprise.alerts.kinds import KINDS
from enterprise.alerts.models import Alert, AlertOptOut, AlertSettings
from enterprise.directory.models import Member
from enterprise.models import Enterprise, Profile
from enterprise.roles.selectors import enterprise_admins


def open_alerts(enterprise: Enterprise) -> list[Alert]:
    """The enterprise's open alerts, in the registry's order: the page's banners."""
    order = list(KINDS)
    alerts = [
        a for a in Alert.objects.filter(enterprise=enterprise, resolved_at__isnull=True) if a.kind in KINDS
    ]
    return sorted(alerts, key=lambda alert: order.index(alert.kind))


def in_reader_words(alert: Alert, enterprise: Enterprise, now: datetime) -> Alert:
    """The alert as the active language says it. Alerts are stored in English (the audit trail, and the
    language of emails to nobody in particular); another language works the finding out again, the same
    condition in the reader's words, and keeps the stored words once the condition is gone."""
    if translation.get_language() == settings.LANGUAGE_CODE:
        return alert
    finding = KINDS[alert.kind].find(enterprise, now)
    if finding is None:
        return alert
    worded = copy.copy(alert)
    worded.headline, worded.lines, worded.advice = finding.headline, finding.lines, finding.advice
    return worded


def notification_email(enterprise: Enterprise) -> str:
    found = AlertSettings.objects.filter(enterprise=enterprise).values_list("notification_email", flat=True)
    return found.first() or ""


def opted_out_kinds(enterprise: Enterprise, user: AbstractBaseUser) -> set[str]:
    return set(AlertOptOut.objects.filter(enterprise=enterprise, user=user).values_list("kind", flat=True))


def _address(user: AbstractBaseUser) -> str:
    """Where an admin gets email: their email, else a username that is one (single sign-on accounts)."""
    username = user.get_username()
    return user.email or (username if "@" in username else "")


def alert_recipients(enterprise: Enterprise, kind: str) -> list[tuple[str, str]]:
    """The enterprise's admins who have not opted out of `kind`, then the notification address; each once,
    with the language their email is written in: the one the admin chose for themselves, else the first one
    an admin of the enterprise chose (the notification address too), else English."""
    admins = enterprise_admins(enterprise)
    opted_out = set(
        AlertOptOut.objects.filter(enterprise=enterprise, kind=kind).values_list("user", flat=True)
    )
    chosen = dict(
        Profile.objects.filter(user__in=[a.user for a in admins])
        .exclude(language="")
        .values_list("user", "language")
    )
    fallback = next((chosen[a.user.pk] for a in admins if a.user.pk in chosen), settings.LANGUAGE_CODE)
    addresses = [
        (_address(a.user), chosen.get(a.user.pk, fallback)) for a in admins if a.user.pk not in opted_out
    ]
    addresses.append((notification_email(enterprise), fallback))
    seen, recipients = set(), []
    for address, language in addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            recipients.append((address, language))
    return recipients


def episode_deleted_members(alert: Alert, now: datetime) -> QuerySet[Member]:
    """The recently deleted members a mass deprovisioning episode deleted: from its first deprovisioning to
    its end (or now, while it lasts)."""
    # A member is marked deleted a moment before their request's activity row is written (`since`).
    start = (alert.since or alert.opened_at) - timedelta(minutes=1)
    return Member.recently_deleted.filter(
        enterprise=alert.enterprise_id, deleted_at__gte=start, deleted_at__lte=alert.resolved_at or now
    )


def restorable_episodes(enterprise: Enterprise, now: datetime) -> list[Alert]:
    """Mass deprovisioning episodes with deleted members left to restore, newest first."""
    episodes = Alert.objects.filter(enterprise=enterprise, kind="mass_deprovisioning")[:10]
    return [alert for alert in episodes if episode_deleted_members(alert, now).exists()]

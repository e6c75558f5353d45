from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from enterprise.models import Enterprise


class Alert(models.Model):
    """
    One episode of one kind of alert (a key of enterprise.alerts.kinds.KINDS) for an enterprise: open from
    the check that first found its condition until the check that finds it cleared. What it says is stored in
    words, as the last check found it; the page shows open ones as banners.
    """

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="alerts")
    # Not a choices field: a new kind is one more entry in the registry, without a migration.
    kind = models.CharField(max_length=32)
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Where what the episode covers starts (mass deprovisioning: its first deactivation or deletion).
    since = models.DateTimeField(null=True, blank=True)
    headline = models.CharField(max_length=255)
    lines = models.JSONField(default=list, blank=True)
    advice = models.TextField(blank=True)
    # What the episode is about (e.g. "secret:12:7": that client secret, 7 days left). A key not emailed
    # yet is news worth an email; the same keys again are not.
    keys = models.JSONField(default=list, blank=True)
    sent_keys = models.JSONField(default=list, blank=True)
    # When the last alert email and the resolved email went out (None: not yet, or held back).
    sent_at = models.DateTimeField(null=True, blank=True)
    resolved_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="alert_one_open_episode_per_kind",
            )
        ]
        indexes = [models.Index(fields=["enterprise", "kind", "-sent_at"], name="alert_sent_idx")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.headline}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class AlertSettings(models.Model):
    """Where an enterprise's alerts go besides its admins: one notification address, set on the page."""

    enterprise = models.OneToOneField(Enterprise, on_delete=models.CASCADE, related_name="alert_settings")
    notification_email = models.EmailField("notification address", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.notification_email or "(no notification address)"


class AlertOptOut(models.Model):
    """An admin who does not want emails of one kind of alert for one enterprise."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="alert_opt_outs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "user", "kind"], name="alert_opt_out_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} opted out of {self.kind}"

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enterprise.models import Enterprise


class ProvisioningEvent(models.Model):
    """One SCIM request from an enterprise's identity provider. No headers or bodies are stored."""

    # The columns services.provisioning_events_record writes.
    RECORDED = (
        "enterprise_id",
        "created_at",
        "method",
        "path",
        "resource_type",
        "resource_id",
        "status",
        "duration_ms",
        "scim_type",
        "detail",
        "user_agent",
        "credential",
        "action",
        "summary",
        "target_type",
        "target_id",
        "target_label",
        "facts",
    )

    class Action(models.TextChoices):
        """What a request did, for the filters and the members view; `summary` says it in words."""

        CREATED = "created"
        UPDATED = "updated"
        DEACTIVATED = "deactivated"
        REACTIVATED = "reactivated"
        DELETED = "deleted"
        RENAMED = "renamed"
        MEMBERS_CHANGED = "members_changed"
        LOOKED_UP = "looked_up"
        TEST_CONNECTION = "test_connection"
        READ = "read"
        FAILED = "failed"

    CHANGES = [
        Action.CREATED,
        Action.UPDATED,
        Action.DEACTIVATED,
        Action.REACTIVATED,
        Action.DELETED,
        Action.RENAMED,
        Action.MEMBERS_CHANGED,
    ]

    # No index of its own: provisioning_event_recent_idx leads with the enterprise.
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="provisioning_events", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=255)
    resource_type = models.CharField(max_length=32, blank=True)
    resource_id = models.CharField(max_length=64, blank=True)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.PositiveIntegerField(default=0)
    scim_type = models.CharField(max_length=32, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    # Which credential the request used ("SCIM token pdscim_…a1b2", "federation"): never a secret.
    credential = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices, blank=True)
    # What the request did and to whom, in words, as it happened: readable after the target is deleted.
    summary = models.CharField(max_length=500, blank=True)
    # The member or group it concerned: "User" or "Group", its SCIM id, and its userName or displayName then.
    target_type = models.CharField(max_length=32, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    # What the request did, as data the page words in the viewer's language at read time (activity.words):
    # {"changed": ["title"], "again": true, "renamed_from": "Sales", "added": 2, "removed": 1,
    # "named": "alex@…", "found": false, "roles": [English sentences]}. None on rows recorded before it
    # existed: the page then shows `summary`, which stays the English sentence the CSV and the API give.
    facts = models.JSONField(null=True, blank=True, default=None)

    class Meta:
        db_table = "enterprise_provisioningevent"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["enterprise", "-created_at"], name="provisioning_event_recent_idx"),
            models.Index(
                fields=["enterprise", "target_id", "-created_at"], name="provisioning_event_target_idx"
            ),
            # "Errors only" (status >= 400, a few in a hundred requests): its page and its pager's count read
            # only the failed requests rather than every request of the period.
            models.Index(
                fields=["enterprise", "-created_at"],
                condition=models.Q(status__gte=400),
                name="provisioning_event_errors_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"

    @staticmethod
    def storable(value: str, limit: int) -> str:
        """`value` as a database can store it in a column of `limit` characters: requests echo what the client
        sent, NUL bytes and unpaired surrogates included, and PostgreSQL refuses both."""
        return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit]


class AuditEvent(models.Model):
    """Who changed an enterprise's provisioning settings, and when."""

    class Action(models.TextChoices):
        TOKEN_CREATED = "token_created", _("SCIM token created")
        TOKEN_REVOKED = "token_revoked", _("SCIM token revoked")
        SCIM_ENABLED = "scim_enabled", _("SCIM provisioning turned on")
        SCIM_DISABLED = "scim_disabled", _("SCIM provisioning turned off")
        SSO_CONFIGURED = "sso_configured", _("Single sign-on configured")
        CLIENT_SECRET_CREATED = "client_secret_created", _("OAuth client secret created")
        CLIENT_SECRET_REVOKED = "client_secret_revoked", _("OAuth client secret revoked")
        FEDERATION_CONFIGURED = "federation_configured", _("Federation configured")
        FEDERATION_REVOKED = "federation_revoked", _("Federation removed")
        TOKEN_LIFETIME_CHANGED = "token_lifetime_changed", _("Access token lifetime changed")
        DOMAIN_ADDED = "domain_added", _("Email domain added")
        DOMAIN_VERIFIED = "domain_verified", _("Email domain verified")
        DOMAIN_REMOVED = "domain_removed", _("Email domain removed")
        DOMAIN_UNVERIFIED = "domain_unverified", _("Email domain unverified: its TXT record was gone")
        DOMAIN_RECLAIMED = "domain_reclaimed", _("Email domain reclaimed by Plandisc support")
        ADMIN_GROUPS_CHANGED = "admin_groups_changed", _("Admin groups changed")
        ADMIN_GRANTED = "admin_granted", _("Enterprise admin role granted")
        ADMIN_REVOKED = "admin_revoked", _("Enterprise admin role revoked")
        ROLE_CHANGED = "role_changed", _("Role changed")
        GROUP_ROLE_CHANGED = "group_role_changed", _("Group role changed")
        DEFAULT_ROLE_CHANGED = "default_role_changed", _("Default role changed")
        SEATS_CHANGED = "seats_changed", _("Licensed seats changed")
        MEMBER_RESTORED = "member_restored", _("Deleted member restored")
        ALERT_SENT = "alert_sent", _("Alert sent")
        ALERT_RESOLVED = "alert_resolved", _("Alert resolved")
        ALERT_SETTINGS_CHANGED = "alert_settings_changed", _("Alert notification address changed")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    detail = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "enterprise_auditevent"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def done_by(self) -> str:
        """Who made the change, as the page says it: an admin, the identity provider through SCIM (a role
        granted or revoked through a group by a membership change), or else Plandisc support."""
        if self.actor_id:
            return self.actor.get_username()
        by_group = self.action in (self.Action.ADMIN_GRANTED, self.Action.ADMIN_REVOKED) and (
            " through group " in self.detail
        )
        if by_group or self.action == self.Action.ROLE_CHANGED:
            return _("your identity provider (SCIM)")
        if self.action in (self.Action.ALERT_SENT, self.Action.ALERT_RESOLVED):
            return "Plandisc"
        return _("Plandisc support")

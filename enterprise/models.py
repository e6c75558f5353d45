import hashlib
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone


class Enterprise(models.Model):
    """A customer account. Its identity provider provisions members and groups through SCIM."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    # Goes into the SCIM endpoint URL: random, so endpoints cannot be enumerated.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    scim_enabled = models.BooleanField("SCIM provisioning enabled", default=True)
    admins = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="administered_enterprises", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def scim_endpoint(self) -> str:
        """The absolute URL an admin pastes into Entra's Tenant URL."""
        return f"{settings.PLANDISC_BASE_URL}/scim/v2/{self.public_id}"


class ScimTokenQuerySet(models.QuerySet):
    def live(self, now: datetime | None = None) -> "ScimTokenQuerySet":
        now = now or timezone.now()
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked_at__isnull=True)


class ScimToken(models.Model):
    """
    A bearer token that lets an enterprise's identity provider call its SCIM endpoint.

    Only the SHA-256 digest of the token is stored, with a short non-secret hint for display. The plaintext
    exists once, in the response that created it. When a token is rotated the previous one gets an
    `expires_at` (the end of the overlap); it is retired earlier, at the first use of its successor.
    """

    PREFIX = "pdscim_"
    OVERLAP = timedelta(hours=24)

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="scim_tokens")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=32, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScimTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.hint

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def hint_of(cls, raw: str) -> str:
        return f"{cls.PREFIX}…{raw[-4:]}"

    def is_live(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class Member(models.Model):
    """
    A person as the enterprise's identity provider describes them.

    `profile` holds every attribute exactly as the identity provider sent it (so it reads back unchanged);
    the columns beside it are copies of the attributes that are searched, constrained or shown, kept in
    step with `profile` on every write.
    """

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="members")
    scim_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enterprise_memberships",
        help_text="The Plandisc login account this person signs in with.",
    )
    user_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, null=True, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    given_name = models.CharField(max_length=255, blank=True)
    family_name = models.CharField(max_length=255, blank=True)
    formatted_name = models.CharField(max_length=255, blank=True)
    email = models.CharField("work email", max_length=320, blank=True)
    email_type = models.CharField(max_length=64, blank=True)
    title = models.CharField(max_length=255, blank=True)
    preferred_language = models.CharField(max_length=64, blank=True)
    employee_number = models.CharField(max_length=255, blank=True)
    department = models.CharField(max_length=255, blank=True)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="direct_reports"
    )
    active = models.BooleanField(default=True)
    profile = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        constraints = [
            # Upper() rather than Lower(): Django's iexact lookup compiles to UPPER(...) on PostgreSQL, so
            # this one index also serves Entra's `userName eq "…"` match query.
            models.UniqueConstraint(F("enterprise"), Upper("user_name"), name="member_unique_username"),
            models.UniqueConstraint(fields=["enterprise", "external_id"], name="member_unique_external_id"),
        ]
        indexes = [
            models.Index(F("enterprise"), Upper("email"), name="member_email_idx"),
            models.Index(fields=["enterprise", "id"], name="member_page_idx"),
        ]

    def __str__(self) -> str:
        return self.user_name


class Group(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="groups")
    scim_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, null=True, blank=True)
    members = models.ManyToManyField(Member, through="GroupMembership", related_name="groups", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(F("enterprise"), Upper("display_name"), name="group_unique_display_name"),
            models.UniqueConstraint(fields=["enterprise", "external_id"], name="group_unique_external_id"),
        ]
        indexes = [models.Index(fields=["enterprise", "id"], name="group_page_idx")]

    def __str__(self) -> str:
        return self.display_name


class GroupMembership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="group_memberships")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "member"], name="membership_unique_pair")]
        # (group, member) is covered by the unique index; the member's groups need their own.
        indexes = [models.Index(fields=["member"], name="membership_member_idx")]

    def __str__(self) -> str:
        return f"{self.member} in {self.group}"


class ProvisioningEvent(models.Model):
    """One SCIM request from an enterprise's identity provider. No headers or bodies are stored."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="provisioning_events")
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

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["enterprise", "-created_at"], name="provisioning_event_recent_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"

    @property
    def succeeded(self) -> bool:
        return self.status < 400


class AuditEvent(models.Model):
    """Who changed an enterprise's provisioning settings, and when."""

    class Action(models.TextChoices):
        TOKEN_CREATED = "token_created", "SCIM token created"
        TOKEN_REVOKED = "token_revoked", "SCIM token revoked"
        SCIM_ENABLED = "scim_enabled", "SCIM provisioning turned on"
        SCIM_DISABLED = "scim_disabled", "SCIM provisioning turned off"

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    detail = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"

import functools
import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone


class Enterprise(models.Model):
    """A customer account. Its identity provider provisions members and groups through SCIM."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    # Goes into the SCIM endpoint URL: random, so endpoints cannot be enumerated.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    scim_enabled = models.BooleanField("SCIM provisioning enabled", default=True)
    access_token_lifetime = models.PositiveIntegerField(
        "OAuth access token lifetime (seconds)",
        default=3600,
        validators=[MinValueValidator(3600), MaxValueValidator(6 * 3600)],
        help_text="How long an access token from the token endpoint works: 1 to 6 hours, as Entra requires.",
    )
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="administered_enterprises", blank=True
    )
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

    @property
    def token_endpoint(self) -> str:
        """The absolute URL of the OAuth token endpoint: Entra's Token Endpoint (or Token URL)."""
        return settings.PLANDISC_BASE_URL + reverse("oauth-token", args=[self.public_id])


class HashedSecret:
    """What the models that hold a secret's digest share: the digest is SHA-256 (the secrets are 256-bit
    random, so a fast hash reveals nothing) and the hint is the prefix and the last four characters."""

    PREFIX = ""
    KIND = ""  # what activity calls this kind of secret

    @classmethod
    def generate(cls) -> str:
        """A new plaintext: the prefix (so secret scanners can spot it) and 256 random bits, URL-safe."""
        return cls.PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def hint_of(cls, raw: str) -> str:
        return f"{cls.PREFIX}…{raw[-4:]}"

    @property
    def label(self) -> str:
        """How activity names this secret: its kind and hint, never the secret."""
        return f"{self.KIND} {self.hint}"


class Credential(models.Model):
    """What every way into an enterprise's SCIM endpoint records: who made it and when, when it was last used,
    and who ended it and when (revoked credentials are kept for the record)."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


class ScimTokenQuerySet(models.QuerySet):
    def live(self, now: datetime | None = None) -> "ScimTokenQuerySet":
        now = now or timezone.now()
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked_at__isnull=True)


class ScimToken(HashedSecret, Credential):
    """
    A bearer token that lets an enterprise's identity provider call its SCIM endpoint.

    Only the SHA-256 digest of the token is stored, with a short non-secret hint for display. The plaintext
    exists once, in the response that created it. When a token is rotated the previous one gets an
    `expires_at` (the end of the overlap); it is retired earlier, at the first use of its successor.
    """

    PREFIX = "pdscim_"
    KIND = "SCIM token"
    # What may be shown of a token anywhere (admin, API, page): never its digest.
    DISPLAY_FIELDS = [
        "hint",
        "created_at",
        "created_by",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "revoked_by",
    ]
    OVERLAP = timedelta(hours=24)

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="scim_tokens")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=32, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ScimTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return self.hint


class OAuthClient(models.Model):
    """
    An enterprise's OAuth 2.0 client (RFC 6749 §4.4, client credentials), Entra's Client Identifier. It
    authenticates at the token endpoint with one of its secrets or, under a federation trust, with a JWT
    its identity provider signed (RFC 7523). Either way it gets access tokens for the SCIM endpoint.
    """

    enterprise = models.OneToOneField(Enterprise, on_delete=models.CASCADE, related_name="oauth_client")
    client_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return str(self.client_id)


class FederationTrustQuerySet(models.QuerySet):
    def live(self, now: datetime | None = None) -> "FederationTrustQuerySet":
        return self.filter(revoked_at__isnull=True)


class ClientSecretQuerySet(models.QuerySet):
    def live(self, now: datetime | None = None) -> "ClientSecretQuerySet":
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class ClientSecret(HashedSecret, Credential):
    """
    A secret of an enterprise's OAuth client (Entra's Client Secret). Several may be live at once, so a
    rotation never interrupts provisioning. Stored as a SHA-256 digest with a short hint, like ScimToken; the
    plaintext exists once, in the response that created it. Every secret expires (1 to 3 years).
    """

    PREFIX = "pdsec_"
    KIND = "OAuth client secret"
    DISPLAY_FIELDS = ScimToken.DISPLAY_FIELDS
    DEFAULT_YEARS, MAX_YEARS = 1, 3
    # The page warns this long before the last live secret expires.
    EXPIRY_WARNING = timedelta(days=30)

    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="secrets")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=32, editable=False)
    expires_at = models.DateTimeField(editable=False)

    objects = ClientSecretQuerySet.as_manager()

    def __str__(self) -> str:
        return self.hint


class FederationTrust(Credential):
    """
    Workload identity federation (RFC 7523 client assertions): the enterprise's OAuth client authenticates
    with a JWT that this issuer signed, for this subject and audience, verified against the issuer's
    published keys. Nothing secret is stored. Changing the trust revokes the old row and adds a new one, so
    the tokens the old settings issued end with it.
    """

    ENTRA_ISSUER = "https://login.microsoftonline.com/{tenant}/v2.0"
    ENTRA_JWKS_URL = "https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys"
    DISPLAY_FIELDS = [
        "issuer",
        "jwks_url",
        "subject",
        "audience",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]

    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="federation_trusts")
    issuer = models.CharField(max_length=500)
    jwks_url = models.URLField("JWKS URL", max_length=500)
    subject = models.CharField(max_length=255)
    audience = models.CharField(max_length=255)

    objects = FederationTrustQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"

    @property
    def label(self) -> str:
        """How activity names this trust."""
        return "federation"

    @property
    def accepted_audiences(self) -> list[str]:
        """Entra shows the audience as `api://<app id>/.default` and its tokens carry `api://<app id>` or the
        bare app id: whichever of the three the admin entered, all three spellings of that app id count."""
        app_id = self.audience.removeprefix("api://").removesuffix("/.default")
        return [f"api://{app_id}/.default", f"api://{app_id}", app_id]


class AccessTokenQuerySet(models.QuerySet):
    def live(self, now: datetime) -> "AccessTokenQuerySet":
        """Unexpired, and the secret or trust that issued it is still live."""
        by_secret = Q(secret__isnull=False, secret__revoked_at__isnull=True, secret__expires_at__gt=now)
        by_trust = Q(trust__isnull=False, trust__revoked_at__isnull=True)
        return self.filter(by_secret | by_trust, expires_at__gt=now)


class AccessToken(HashedSecret, models.Model):
    """
    An OAuth access token from the token endpoint: a bearer for its enterprise's SCIM endpoint until it
    expires, or until the client secret or federation trust that issued it is revoked. Only its SHA-256
    digest is stored.
    """

    PREFIX = "pdat_"

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="access_tokens")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    secret = models.ForeignKey(ClientSecret, null=True, on_delete=models.CASCADE, related_name="+")
    trust = models.ForeignKey(FederationTrust, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(db_index=True)

    objects = AccessTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.enterprise} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        """Which credential this token stands for, as activity shows it."""
        return self.secret.label if self.secret_id else self.trust.label


class ProvisionedResourceManager(models.Manager):
    """
    The statements every provisioning request makes, written out as SQL: compiling them with the ORM, and
    working out again for every query which columns come back and how to convert them, cost more CPU than
    running them. The lookups stay inside one enterprise.
    """

    def by_scim_id(self, enterprise: "Enterprise", scim_id: uuid.UUID, *, for_update: bool = False):
        """The resource with this SCIM id, or None; `for_update` locks its row for the transaction."""
        db = connections[self.db]
        sql = f"{self._select()} WHERE enterprise_id = %s AND scim_id = %s"
        if for_update and db.features.has_select_for_update:
            sql += " FOR UPDATE"
        value = self.model._meta.get_field("scim_id").get_db_prep_value(scim_id, db)
        return next(iter(self._fetch(sql, [enterprise.pk, value])), None)

    def named(self, enterprise: "Enterprise", name: str, limit: int) -> list:
        """The resources whose unique name (userName, displayName) equals `name`, ignoring case: what an
        identity provider's match query asks, through the index of the uniqueness constraint."""
        sql = (
            f"{self._select()} WHERE enterprise_id = %s "
            f"AND UPPER({self.model.NAME_FIELD}) = UPPER(%s) ORDER BY id LIMIT %s"
        )
        return self._fetch(sql, [enterprise.pk, name, limit])

    def insert(self, resource) -> None:
        """Store a new resource (no pk yet) with one INSERT … RETURNING id, each value prepared by its field
        as save() prepares it. No signals are sent: nothing listens to these models'."""
        db = connections[self.db]
        fields = [f for f in self.model._meta.concrete_fields if not f.primary_key]
        sql = (
            f'INSERT INTO "{self.model._meta.db_table}" ({", ".join(f.column for f in fields)}) '
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {self.model._meta.pk.column}"
        )
        with db.cursor() as cursor:
            cursor.execute(sql, [f.get_db_prep_save(f.pre_save(resource, True), db) for f in fields])
            resource.pk = cursor.fetchone()[0]
        resource._state.adding, resource._state.db = False, self.db

    def _select(self) -> str:
        columns = ", ".join(f.column for f in self.model._meta.concrete_fields)
        return f'SELECT {columns} FROM "{self.model._meta.db_table}"'

    def _fetch(self, sql: str, params: list) -> list:
        """The instances a `_select()` statement finds, their values converted as a queryset converts them."""
        db = connections[self.db]
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        converters = _converters(self.model, db)
        return [self.model.from_db(self.db, None, _converted(row, converters, db)) for row in rows]


@functools.lru_cache(maxsize=64)
def _converters(model: type[models.Model], db) -> list[tuple]:
    """(column index, column, converters) for the columns of `model` whose values `db` converts."""
    result = []
    for index, field in enumerate(model._meta.concrete_fields):
        col = field.get_col(model._meta.db_table)
        converters = db.ops.get_db_converters(col) + col.get_db_converters(db)
        if converters:
            result.append((index, col, converters))
    return result


def _converted(row: tuple, converters: list[tuple], db) -> list:
    values = list(row)
    for index, col, functions in converters:
        for convert in functions:
            values[index] = convert(values[index], col, db)
    return values


class ProvisionedResource(models.Model):
    """What Members and Groups share: the enterprise's identity provider owns them, SCIM addresses them."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="%(class)ss")
    # The SCIM id: random, so one enterprise's ids say nothing about another's.
    scim_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    external_id = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # Bumped on every change; SCIM's meta.version and ETag.
    version = models.PositiveIntegerField(default=1)

    objects = ProvisionedResourceManager()

    class Meta:
        abstract = True
        ordering = ["id"]
        # externalId is the identity provider's to keep unique (RFC 7643 §3.1); the index serves its filters.
        constraints = []
        indexes = [
            models.Index(fields=["enterprise", "id"], name="%(class)s_page_idx"),
            models.Index(fields=["enterprise", "external_id"], name="%(class)s_external_id_idx"),
        ]


# The profile's key for the attributes of RFC 7643's enterprise extension (employee number, department).
ENTERPRISE_EXTENSION = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


class Member(ProvisionedResource):
    """
    A person as the enterprise's identity provider describes them.

    `profile` holds every attribute exactly as the identity provider sent it (so it reads back unchanged);
    the columns beside it are copies of the attributes that are searched, constrained or shown, kept in
    step with `profile` by `set_profile`, the one place that maps one onto the other.
    """

    NAME_FIELD = "user_name"
    # Column -> where its value sits in the profile. `emails` means the work email (see `work_email`).
    PROFILE_COLUMNS = {
        "user_name": ("userName",),
        "external_id": ("externalId",),
        "display_name": ("displayName",),
        "given_name": ("name", "givenName"),
        "family_name": ("name", "familyName"),
        "formatted_name": ("name", "formatted"),
        "email": ("emails", "value"),
        "email_type": ("emails", "type"),
        "title": ("title",),
        "preferred_language": ("preferredLanguage",),
        "employee_number": (ENTERPRISE_EXTENSION, "employeeNumber"),
        "department": (ENTERPRISE_EXTENSION, "department"),
        "active": ("active",),
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enterprise_memberships",
        help_text="The Plandisc login account this person signs in with.",
    )
    user_name = models.CharField(max_length=255)
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

    class Meta(ProvisionedResource.Meta):
        constraints = [
            # Upper() rather than Lower(): Django's iexact lookup compiles to UPPER(...) on PostgreSQL, so
            # this one index also serves Entra's `userName eq "…"` match query.
            models.UniqueConstraint(F("enterprise"), Upper("user_name"), name="member_unique_username"),
            *ProvisionedResource.Meta.constraints,
        ]
        indexes = [
            models.Index(F("enterprise"), Upper("email"), name="member_email_idx"),
            *ProvisionedResource.Meta.indexes,
        ]

    def __str__(self) -> str:
        return self.user_name

    def set_profile(self, profile: dict) -> None:
        """Store `profile` and copy it into the columns. A profile without `active` is an active member."""
        self.profile = profile
        for column, path in self.PROFILE_COLUMNS.items():
            if path[0] == "emails":
                value = work_email(profile.get("emails") or []).get(path[1])
            elif len(path) == 2:
                value = (profile.get(path[0]) or {}).get(path[1])
            else:
                value = profile.get(path[0])
            if value is None:
                value = {"external_id": None, "active": True}.get(column, "")
            setattr(self, column, value)


def work_email(emails: list[dict]) -> dict:
    """The email that sign-in and `emails[type eq "work"]` filters use: the work one, else the primary."""
    for wanted in (lambda e: str(e.get("type", "")).lower() == "work", lambda e: e.get("primary") is True):
        found = next((e for e in emails if wanted(e)), None)
        if found:
            return found
    return emails[0] if emails else {}


class Group(ProvisionedResource):
    NAME_FIELD = "display_name"

    display_name = models.CharField(max_length=255)
    members = models.ManyToManyField(Member, through="GroupMembership", related_name="groups", blank=True)
    # Its active members whose login account the enterprise owns are the enterprise's admins (see
    # selectors.administered_enterprises). Set on the Enterprise page, never through SCIM.
    grants_admin = models.BooleanField("grants the Enterprise admin role", default=False)

    class Meta(ProvisionedResource.Meta):
        constraints = [
            models.UniqueConstraint(F("enterprise"), Upper("display_name"), name="group_unique_display_name"),
            *ProvisionedResource.Meta.constraints,
        ]

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
    # Which credential the request used ("SCIM token pdscim_…a1b2", "federation"): never a secret.
    credential = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices, blank=True)
    # What the request did and to whom, in words, as it happened: readable after the target is deleted.
    summary = models.CharField(max_length=500, blank=True)
    # The member or group it concerned: "User" or "Group", its SCIM id, and its userName or displayName then.
    target_type = models.CharField(max_length=32, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["enterprise", "-created_at"], name="provisioning_event_recent_idx"),
            models.Index(
                fields=["enterprise", "target_id", "-created_at"], name="provisioning_event_target_idx"
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
        TOKEN_CREATED = "token_created", "SCIM token created"
        TOKEN_REVOKED = "token_revoked", "SCIM token revoked"
        SCIM_ENABLED = "scim_enabled", "SCIM provisioning turned on"
        SCIM_DISABLED = "scim_disabled", "SCIM provisioning turned off"
        SSO_CONFIGURED = "sso_configured", "Single sign-on configured"
        CLIENT_SECRET_CREATED = "client_secret_created", "OAuth client secret created"
        CLIENT_SECRET_REVOKED = "client_secret_revoked", "OAuth client secret revoked"
        FEDERATION_CONFIGURED = "federation_configured", "Federation configured"
        FEDERATION_REVOKED = "federation_revoked", "Federation removed"
        TOKEN_LIFETIME_CHANGED = "token_lifetime_changed", "Access token lifetime changed"
        DOMAIN_ADDED = "domain_added", "Email domain added"
        DOMAIN_VERIFIED = "domain_verified", "Email domain verified"
        DOMAIN_REMOVED = "domain_removed", "Email domain removed"
        DOMAIN_RECLAIMED = "domain_reclaimed", "Email domain reclaimed by Plandisc support"
        ADMIN_GROUPS_CHANGED = "admin_groups_changed", "Admin groups changed"
        ADMIN_GRANTED = "admin_granted", "Enterprise admin role granted"
        ADMIN_REVOKED = "admin_revoked", "Enterprise admin role revoked"

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

    @property
    def done_by(self) -> str:
        """Who made the change, as the page says it: an admin, the identity provider through SCIM (a role
        granted or revoked through a group by a membership change), or else Plandisc support."""
        if self.actor_id:
            return self.actor.get_username()
        by_group = self.action in (self.Action.ADMIN_GRANTED, self.Action.ADMIN_REVOKED) and (
            " through group " in self.detail
        )
        if by_group:
            return "your identity provider (SCIM)"
        return "Plandisc support"


class SsoConnectionQuerySet(models.QuerySet):
    def for_enterprise(self, enterprise: Enterprise) -> "SsoConnection":
        """The enterprise's connection, or an unsaved one that still knows the service provider's URLs."""
        return self.filter(enterprise=enterprise).first() or SsoConnection(enterprise=enterprise)


class SsoConnection(models.Model):
    """
    An enterprise's SAML identity provider (Microsoft Entra ID), read from the Federation Metadata XML its
    admin pasted or uploaded.

    The XML is kept as given: pysaml2 takes the identity provider's signing certificates from it and from
    nowhere else. The columns beside it are copies for display. The service provider side (entity id, reply
    URL) is derived from PLANDISC_BASE_URL and the enterprise's public id, so it exists before the connection.
    """

    CERTIFICATE_WARNING = timedelta(days=30)

    enterprise = models.OneToOneField(Enterprise, on_delete=models.CASCADE, related_name="sso_connection")
    idp_metadata = models.TextField("Federation Metadata XML")
    idp_entity_id = models.CharField("identity provider entity id", max_length=1024)
    idp_sso_url = models.URLField("identity provider sign-in URL", max_length=2048)
    certificate_expires_at = models.DateTimeField(null=True, blank=True)
    certificate_thumbprint = models.CharField(max_length=40, blank=True, help_text="SHA-1, as Entra shows it")
    allow_jit = models.BooleanField(
        "create members at first sign-in",
        default=False,
        help_text="Only while SCIM provisioning is off; with SCIM on, only provisioned members sign in.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SsoConnectionQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.enterprise} ← {self.idp_entity_id}"

    def _url(self, name: str) -> str:
        return settings.PLANDISC_BASE_URL + reverse(name, args=[self.enterprise.public_id])

    @property
    def sp_entity_id(self) -> str:
        """Entra: Identifier (Entity ID). Also the address of Plandisc's SAML metadata for this enterprise."""
        return self._url("sso:metadata")

    @property
    def acs_url(self) -> str:
        """Entra: Reply URL (Assertion Consumer Service URL)."""
        return self._url("sso:acs")

    @property
    def sign_on_url(self) -> str:
        """Entra: Sign on URL. Also the link an enterprise gives its people to sign in to Plandisc."""
        return self._url("sso:login")

    @property
    def jit_allowed(self) -> bool:
        return self.allow_jit and not self.enterprise.scim_enabled

    def certificate_expires_soon(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        expires_at = self.certificate_expires_at
        return expires_at is not None and expires_at - now < self.CERTIFICATE_WARNING

    def certificate_expired(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.certificate_expires_at is not None and self.certificate_expires_at <= now


class SsoDomain(models.Model):
    """
    An email domain an enterprise claims for home-realm discovery: once verified, the sign-in page sends
    people who type an address at it to this connection's identity provider.

    Several enterprises may claim a domain; only the one that publishes its `token` in the domain's DNS (or
    that Plandisc support vouches for) verifies it, and a verified domain belongs to that enterprise alone.
    """

    TXT_PREFIX = "plandisc-verification="

    connection = models.ForeignKey(SsoConnection, on_delete=models.CASCADE, related_name="domains")
    # Stored lower-case.
    domain = models.CharField(max_length=253)
    # Not a secret (it is published in DNS), but random per claim: one claim's record never verifies another.
    token = models.CharField(max_length=64, editable=False)
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "domain"], name="sso_domain_unique_claim"),
            models.UniqueConstraint(
                fields=["domain"], condition=Q(verified_at__isnull=False), name="sso_domain_unique_verified"
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def txt_record(self) -> str:
        """The TXT record's value the enterprise publishes on the domain to verify it."""
        return self.TXT_PREFIX + self.token


class SamlRequest(models.Model):
    """
    An AuthnRequest sent to an enterprise's identity provider and not yet answered. A response that names it
    in InResponseTo, posted by the browser that started it, uses it up; kept in the database so any worker or
    host can check it.
    """

    LIFETIME = timedelta(minutes=15)

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="+")
    request_id = models.CharField(max_length=255, unique=True)
    # SHA-256 of the secret in the starting browser's cookie: the response must come back with that cookie.
    browser_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.request_id


class SamlAssertion(models.Model):
    """
    The id of an assertion that was used to sign in. The unique constraint is the replay protection: an
    assertion is accepted once, by whichever worker sees it first. Rows are pruned once the assertion has
    expired, because an expired assertion is refused anyway.
    """

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="+")
    assertion_id = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "assertion_id"], name="saml_assertion_unique_id")
        ]

    def __str__(self) -> str:
        return self.assertion_id


class SsoSession(models.Model):
    """A session that signed in through single sign-on as this member; deprovisioning the member ends it."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="sso_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.member} ({self.created_at:%Y-%m-%d %H:%M})"


class LoginAccount(models.Model):
    """
    The enterprise a login account belongs to: the one whose single sign-on (or whose admin set-up) made it.
    Single sign-on through an enterprise signs in only to accounts that enterprise owns.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_account"
    )
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="login_accounts")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"{self.user} of {self.enterprise}"


class SsoRefusal(models.Model):
    """
    A refused single sign-on attempt: the person sees a plain explanation and `reference`; the enterprise's
    admins see `detail` on the Enterprise page. Kept for RETENTION.
    """

    RETENTION = timedelta(days=30)

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="sso_refusals")
    reference = models.CharField(max_length=9, db_index=True)
    detail = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference

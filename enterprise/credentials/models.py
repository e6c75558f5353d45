import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from enterprise.models import Enterprise


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

    class Meta(Credential.Meta):
        db_table = "enterprise_scimtoken"

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

    class Meta:
        db_table = "enterprise_oauthclient"

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

    class Meta(Credential.Meta):
        db_table = "enterprise_clientsecret"

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

    class Meta(Credential.Meta):
        db_table = "enterprise_federationtrust"

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

    class Meta:
        db_table = "enterprise_accesstoken"

    def __str__(self) -> str:
        return f"{self.enterprise} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        """Which credential this token stands for, as activity shows it."""
        return self.secret.label if self.secret_id else self.trust.label

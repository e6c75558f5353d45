from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from enterprise.models import Enterprise


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

    class Meta:
        db_table = "enterprise_ssoconnection"

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
        db_table = "enterprise_ssodomain"
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

    class Meta:
        db_table = "enterprise_samlrequest"

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
        db_table = "enterprise_samlassertion"
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "assertion_id"], name="saml_assertion_unique_id")
        ]

    def __str__(self) -> str:
        return self.assertion_id


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

    class Meta:
        db_table = "enterprise_loginaccount"

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
        db_table = "enterprise_ssorefusal"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference

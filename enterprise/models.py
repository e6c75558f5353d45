import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse


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

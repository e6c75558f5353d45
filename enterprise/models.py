import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a person may do in an enterprise, lowest first: Viewers read the plans shared with them, Editors
    create and edit plans, Admins also manage the enterprise. Admins and Editors take a seat."""

    VIEWER = "viewer", _("Viewer")
    EDITOR = "editor", _("Editor")
    ADMIN = "admin", _("Admin")

    @classmethod
    def highest(cls, roles) -> "Role | None":
        """The highest of `roles` (blank ones ignored), or None."""
        ranked = [cls(role) for role in roles if role]
        return max(ranked, key=list(cls).index, default=None)

    @property
    def takes_seat(self) -> bool:
        return self in (Role.ADMIN, Role.EDITOR)

    @property
    def permissions(self) -> list[str]:
        """What the rest of Plandisc lets this role do."""
        granted = ["read_plans", "edit_plans", "manage_enterprise"]
        return granted[: list(Role).index(self) + 1]

    @property
    def description(self) -> str:
        return {
            Role.VIEWER: _("You can read the plans shared with you."),
            Role.EDITOR: _("You can create and edit plans."),
            Role.ADMIN: _("You can create and edit plans, and manage this enterprise in Plandisc."),
        }[self]


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
    # The role of members Entra gives no app role (or only its default access).
    default_role = models.CharField(max_length=16, choices=Role.choices, default=Role.EDITOR)
    seats = models.PositiveIntegerField(
        "licensed seats",
        null=True,
        blank=True,
        help_text="How many active Admins and Editors the enterprise has bought; empty for unlimited.",
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


class Profile(models.Model):
    """What a person chose for themselves, whichever enterprise they sign in through: their language, so a
    choice made on one device holds on every other (enterprise.language)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="profile"
    )
    # "" until the person picks one: then the browser's language, or Entra's preferredLanguage, decides.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.language or 'no language chosen'}"

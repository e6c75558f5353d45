"""What the Enterprise page and its API show of an enterprise's credentials: never a secret or a digest."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from enterprise.activity.models import ProvisioningEvent
from enterprise.credentials.models import ClientSecret, FederationTrust, OAuthClient, ScimToken
from enterprise.models import Enterprise


def scim_token_of(*, enterprise: Enterprise, token_id: int) -> ScimToken:
    token = enterprise.scim_tokens.filter(pk=token_id).first()
    if token is None:
        raise Http404("This enterprise has no such SCIM token.")
    return token


def live_scim_tokens(enterprise: Enterprise, now: datetime) -> QuerySet[ScimToken]:
    """Newest first: the first is the one the identity provider should have; older ones are overlapping."""
    return enterprise.scim_tokens.live(now).select_related("created_by")


def client_secret_of(*, enterprise: Enterprise, secret_id: int) -> ClientSecret:
    secret = ClientSecret.objects.filter(client__enterprise=enterprise, pk=secret_id).first()
    if secret is None:
        raise Http404("This enterprise has no such client secret.")
    return secret


@dataclass(frozen=True)
class OAuthSettings:
    """The enterprise's OAuth client as the page and the API show it: never a secret or a digest."""

    client: OAuthClient | None
    secrets: list[ClientSecret]  # live ones, newest first
    trust: FederationTrust | None
    last_token_request: ProvisioningEvent | None
    secret_warning: str


def oauth_settings(enterprise: Enterprise, now: datetime) -> OAuthSettings:
    client = OAuthClient.objects.filter(enterprise=enterprise).first()
    secrets = list(client.secrets.live(now).select_related("created_by")) if client else []
    warning = ""
    if secrets:
        last_expiry = max(secret.expires_at for secret in secrets)
        if last_expiry - now < ClientSecret.EXPIRY_WARNING:
            warning = _(
                "Your last live client secret expires on {moment} UTC. Create a new one and paste it into "
                "Entra's Client Secret before then, or provisioning stops."
            ).format(moment=f"{last_expiry:%Y-%m-%d %H:%M}")
    return OAuthSettings(
        client=client,
        secrets=secrets,
        trust=client.federation_trusts.live().first() if client else None,
        last_token_request=enterprise.provisioning_events.filter(path="/token").first(),
        secret_warning=warning,
    )


def has_live_credential(enterprise: Enterprise, now: datetime) -> bool:
    """Whether any way in is live: a SCIM token, an OAuth client secret or a federation trust."""
    return (
        enterprise.scim_tokens.live(now).exists()
        or ClientSecret.objects.live(now).filter(client__enterprise=enterprise).exists()
        or FederationTrust.objects.live().filter(client__enterprise=enterprise).exists()
    )

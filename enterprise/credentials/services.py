"""
The ways an enterprise's identity provider authenticates to its SCIM endpoint: SCIM tokens, and OAuth 2.0
(client secrets and a federation trust authenticate the enterprise's OAuth client at the token endpoint,
enterprise.credentials.views, which issues access tokens). Every change that alters what a credential may do
makes every worker forget what it cached (enterprise_credentials_changed).

Federation (PyJWT, and the cryptography library under it) is imported by the two services that need it,
when first called: a worker that answers SCIM requests with tokens never does, and does not pay for it.
"""

import secrets
import uuid
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprise.activity.models import AuditEvent
from enterprise.activity.services import audit_record
from enterprise.credentials.models import AccessToken, ClientSecret, FederationTrust, OAuthClient, ScimToken
from enterprise.models import Enterprise


@transaction.atomic
def scim_token_rotate(
    *, enterprise: Enterprise, actor: AbstractBaseUser | None = None
) -> tuple[ScimToken, str]:
    """
    Issue a new SCIM token and return it with its plaintext, which the caller shows once and forgets.

    Live tokens without an end date keep working for ScimToken.OVERLAP, or until the new token is first
    used (see scim_token_authenticate), so rotating never breaks a running provisioning job.
    """
    now = timezone.now()
    Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
    enterprise.scim_tokens.live(now).filter(expires_at__isnull=True).update(
        expires_at=now + ScimToken.OVERLAP
    )
    enterprise_credentials_changed(enterprise=enterprise)
    raw = ScimToken.generate()
    token = ScimToken.objects.create(
        enterprise=enterprise,
        digest=ScimToken.digest_of(raw),
        hint=ScimToken.hint_of(raw),
        created_at=now,
        created_by=actor,
    )
    audit_record(
        enterprise=enterprise, actor=actor, action=AuditEvent.Action.TOKEN_CREATED, detail=token.hint
    )
    return token, raw


def enterprise_credentials_key(public_id: uuid.UUID) -> str:
    """The shared-cache key whose value changes whenever what the enterprise's credentials may do changes."""
    return f"enterprise-credentials:{public_id}"


def enterprise_credentials_changed(*, enterprise: Enterprise) -> None:
    """
    Make every worker forget what it cached about the enterprise's credentials (which enterprise a token
    belongs to, whether provisioning is on). Workers compare the shared version on every request, so a
    revocation takes effect on the next one. It changes now and again after the caller's transaction
    commits, so a worker that read the old rows in between does not keep them.
    """
    key = enterprise_credentials_key(enterprise.public_id)

    def bump() -> None:
        cache.set(key, secrets.token_hex(8), timeout=None)

    bump()
    transaction.on_commit(bump, robust=True)


@transaction.atomic
def scim_token_revoke(*, token: ScimToken, actor: AbstractBaseUser | None = None) -> None:
    """End a token now (e.g. a leaked one). Revoking a revoked token changes nothing."""
    _credential_revoke(token, token.enterprise, AuditEvent.Action.TOKEN_REVOKED, actor)


def _credential_revoke(
    credential: ScimToken | ClientSecret, enterprise: Enterprise, action: str, actor
) -> None:
    """Mark a live token or secret revoked, make every worker forget it, and audit it (once, however often
    it is revoked)."""
    live = type(credential).objects.filter(pk=credential.pk, revoked_at__isnull=True)
    if live.update(revoked_at=timezone.now(), revoked_by=actor):
        credential.refresh_from_db()
        enterprise_credentials_changed(enterprise=enterprise)
        audit_record(enterprise=enterprise, actor=actor, action=action, detail=credential.hint)


# Last-used marks are written at most this often per token, so a busy provisioning cycle does not turn
# every read into a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def scim_token_authenticate(
    *, public_id: uuid.UUID, raw: str, now: datetime | None = None
) -> ScimToken | None:
    """
    Return the live token whose digest matches `raw`, of the enterprise with `public_id`, or None. Its
    enterprise comes with it, in one query (scim/auth.py caches the answer; see
    enterprise_credentials_changed).

    The lookup is by SHA-256 digest through a unique index (the digest of a 256-bit random token reveals
    nothing, and equality on it is not a timing oracle for the token). The first use of a token retires
    the tokens it replaced; later uses refresh its last-used mark at most once a minute.
    """
    if not raw.startswith(ScimToken.PREFIX):
        return None
    now = now or timezone.now()
    found = (
        ScimToken.objects.live(now)
        .select_related("enterprise")
        .filter(enterprise__public_id=public_id, digest=ScimToken.digest_of(raw))
    )
    token = next(iter(found.order_by()[:1]), None)
    if token is None:
        return None
    if token.last_used_at is None:
        with transaction.atomic():
            retired = token.enterprise.scim_tokens.live(now).filter(created_at__lt=token.created_at)
            if retired.update(expires_at=now):
                enterprise_credentials_changed(enterprise=token.enterprise)
            ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    elif now - token.last_used_at > LAST_USED_RESOLUTION:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def scim_token_used(*, token_id: int, now: datetime | None = None) -> None:
    """Refresh the last-used mark of a token that a SCIM worker has cached: at most once per
    LAST_USED_RESOLUTION across every worker and host, the shared cache deciding which one writes."""
    if cache.add(f"scim-token-used:{token_id}", 1, timeout=LAST_USED_RESOLUTION.total_seconds()):
        ScimToken.objects.filter(pk=token_id).update(last_used_at=now or timezone.now())


class ClientRefused(Exception):
    """Why client authentication failed, in words for the enterprise's admin (never for the caller)."""


def oauth_client_of(*, enterprise: Enterprise) -> OAuthClient:
    """The enterprise's OAuth client, created the first time anyone asks: its client id is not a secret."""
    client, _ = OAuthClient.objects.get_or_create(enterprise=enterprise)
    return client


@transaction.atomic
def client_secret_create(
    *, enterprise: Enterprise, years: int = ClientSecret.DEFAULT_YEARS, actor: AbstractBaseUser | None = None
) -> tuple[ClientSecret, str]:
    """
    Add a secret to the enterprise's OAuth client, expiring in `years` (1 to ClientSecret.MAX_YEARS), and
    return it with its plaintext, which the caller shows once and forgets. The client's other secrets stay
    live, so Entra can be switched to the new one without an interruption.
    """
    if not 1 <= years <= ClientSecret.MAX_YEARS:
        raise ValidationError(f"A client secret expires after 1 to {ClientSecret.MAX_YEARS} years.")
    now = timezone.now()
    raw = ClientSecret.generate()
    secret = ClientSecret.objects.create(
        client=oauth_client_of(enterprise=enterprise),
        digest=ClientSecret.digest_of(raw),
        hint=ClientSecret.hint_of(raw),
        created_at=now,
        created_by=actor,
        expires_at=now + timedelta(days=365 * years),
    )
    audit_record(
        enterprise=enterprise,
        actor=actor,
        action=AuditEvent.Action.CLIENT_SECRET_CREATED,
        detail=f"{secret.hint}, expires {secret.expires_at:%Y-%m-%d}",
    )
    return secret, raw


@transaction.atomic
def client_secret_revoke(*, secret: ClientSecret, actor: AbstractBaseUser | None = None) -> None:
    """End a client secret now, and with it every access token it obtained (AccessToken.objects.live)."""
    _credential_revoke(secret, secret.client.enterprise, AuditEvent.Action.CLIENT_SECRET_REVOKED, actor)


@transaction.atomic
def federation_trust_save(
    *,
    enterprise: Enterprise,
    issuer: str,
    jwks_url: str,
    subject: str,
    audience: str,
    actor: AbstractBaseUser | None = None,
) -> FederationTrust:
    """
    Trust JWTs that `issuer` signs (keys at `jwks_url`) for `subject` and `audience` as the enterprise's OAuth
    client. Replaces the current trust: tokens it issued end. Raises ValidationError for a missing value or a
    JWKS URL Plandisc will not fetch (not https, or a private address).
    """
    values = {"issuer": issuer, "jwks_url": jwks_url, "subject": subject, "audience": audience}
    values = {name: value.strip() for name, value in values.items()}
    missing = [name.replace("_", " ") for name, value in values.items() if not value]
    if missing:
        raise ValidationError(_("Enter the {names}.").format(names=", ".join(missing)))
    from enterprise.credentials import federation

    try:
        federation.vetted_address(values["jwks_url"])
    except federation.UnsafeUrl as exc:
        raise ValidationError(
            _("Plandisc cannot read keys from {url}: {problem}").format(url=values["jwks_url"], problem=exc)
        ) from None
    client = oauth_client_of(enterprise=enterprise)
    if client.federation_trusts.live().update(revoked_at=timezone.now(), revoked_by=actor):
        enterprise_credentials_changed(enterprise=enterprise)
    trust = FederationTrust.objects.create(client=client, created_by=actor, **values)
    audit_record(
        enterprise=enterprise,
        actor=actor,
        action=AuditEvent.Action.FEDERATION_CONFIGURED,
        detail=f"{trust.issuer}, subject {trust.subject}",
    )
    return trust


@transaction.atomic
def federation_trust_revoke(*, enterprise: Enterprise, actor: AbstractBaseUser | None = None) -> None:
    """Stop trusting the enterprise's federation issuer; the access tokens it obtained end now."""
    updated = FederationTrust.objects.live().filter(client__enterprise=enterprise)
    if updated.update(revoked_at=timezone.now(), revoked_by=actor):
        enterprise_credentials_changed(enterprise=enterprise)
        audit_record(enterprise=enterprise, actor=actor, action=AuditEvent.Action.FEDERATION_REVOKED)


@transaction.atomic
def access_token_lifetime_set(
    *, enterprise: Enterprise, hours: int, actor: AbstractBaseUser | None = None
) -> None:
    """How long the access tokens issued from now on work: 1 to 6 hours, as Entra requires."""
    if not 1 <= hours <= 6:
        raise ValidationError("Access tokens work for 1 to 6 hours.")
    enterprise.access_token_lifetime = hours * 3600
    enterprise.save(update_fields=["access_token_lifetime", "updated_at"])
    audit_record(
        enterprise=enterprise,
        actor=actor,
        action=AuditEvent.Action.TOKEN_LIFETIME_CHANGED,
        detail=f"{hours} hours",
    )


def _oauth_client_named(enterprise: Enterprise, client_id: str) -> OAuthClient:
    client = OAuthClient.objects.filter(enterprise=enterprise).first()
    if client is None or str(client.client_id) != client_id.strip().lower():
        raise ClientRefused(f"Client id {client_id[:64]} is not this enterprise's.")
    return client


def oauth_client_authenticate_secret(*, enterprise: Enterprise, client_id: str, raw: str) -> ClientSecret:
    """The live secret of the enterprise's client matching `raw`. Raises ClientRefused saying why not."""
    client = _oauth_client_named(enterprise, client_id)
    secret = client.secrets.filter(digest=ClientSecret.digest_of(raw)).first()
    now = timezone.now()
    if secret is None:
        raise ClientRefused("Wrong client secret.")
    if secret.revoked_at is not None:
        raise ClientRefused(
            f"Client secret {secret.hint} was revoked on {secret.revoked_at:%Y-%m-%d %H:%M} UTC."
        )
    if secret.expires_at <= now:
        raise ClientRefused(f"Client secret {secret.hint} expired on {secret.expires_at:%Y-%m-%d %H:%M} UTC.")
    ClientSecret.objects.filter(pk=secret.pk).update(last_used_at=now)
    return secret


def oauth_client_authenticate_assertion(
    *, enterprise: Enterprise, client_id: str, assertion: str
) -> FederationTrust:
    """The enterprise's live federation trust, if `assertion` is a JWT it accepts. Raises ClientRefused."""
    client = _oauth_client_named(enterprise, client_id)
    trust = client.federation_trusts.live().first()
    if trust is None:
        raise ClientRefused("Federation is not set up for this enterprise.")
    from enterprise.credentials import federation

    try:
        federation.verify_assertion(trust, assertion)
    except federation.AssertionRefused as exc:
        raise ClientRefused(str(exc)) from None
    FederationTrust.objects.filter(pk=trust.pk).update(last_used_at=timezone.now())
    return trust


@transaction.atomic
def access_token_issue(
    *, enterprise: Enterprise, secret: ClientSecret | None = None, trust: FederationTrust | None = None
) -> tuple[AccessToken, str]:
    """An access token for the enterprise's SCIM endpoint, standing for `secret` or `trust`, with its
    plaintext. The enterprise's expired access tokens are deleted on the way."""
    now = timezone.now()
    enterprise.access_tokens.filter(expires_at__lte=now).delete()
    raw = AccessToken.generate()
    token = AccessToken.objects.create(
        enterprise=enterprise,
        digest=AccessToken.digest_of(raw),
        secret=secret,
        trust=trust,
        created_at=now,
        expires_at=now + timedelta(seconds=enterprise.access_token_lifetime),
    )
    return token, raw


def scim_access_token_authenticate(
    *, public_id: uuid.UUID, raw: str, now: datetime | None = None
) -> AccessToken | None:
    """
    The live access token matching `raw` of the enterprise with `public_id`, or None; with its enterprise
    and the credential that issued it (one query). Live: unexpired, and that client secret or federation
    trust is still live, so revoking one ends its tokens on their next request.
    """
    if not raw.startswith(AccessToken.PREFIX):
        return None
    found = (
        AccessToken.objects.live(now or timezone.now())
        .select_related("enterprise", "secret", "trust")
        .filter(enterprise__public_id=public_id, digest=AccessToken.digest_of(raw))
    )
    return next(iter(found.order_by()[:1]), None)

"""
Everything that changes an enterprise's provisioning state. Views, the admin, the API, the management
commands and the SCIM adapters call these; they hold no rules of their own.
"""

import secrets
import uuid
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from enterprise import federation, saml
from enterprise.models import (
    AccessToken,
    AuditEvent,
    ClientSecret,
    Enterprise,
    FederationTrust,
    Member,
    OAuthClient,
    ProvisioningEvent,
    SamlAssertion,
    SamlRequest,
    ScimToken,
    SsoConnection,
    SsoDomain,
    SsoSession,
)
from enterprise.saml import SignInRefused

User = get_user_model()


@transaction.atomic
def enterprise_create(*, slug: str, name: str, admin: AbstractBaseUser | None = None) -> Enterprise:
    enterprise = Enterprise.objects.create(slug=slug, name=name)
    if admin is not None:
        enterprise.admins.add(admin)
    return enterprise


@transaction.atomic
def enterprise_admin_ensure(*, enterprise: Enterprise, email: str, password: str | None) -> AbstractBaseUser:
    """
    Make the account with this email an admin of the enterprise, creating it (or setting its password).
    Raises ValidationError, with the validators' messages, for a password AUTH_PASSWORD_VALIDATORS refuse.
    """
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(username=email, email=email)
    if password:
        validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
    enterprise.admins.add(user)
    return user


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
    raw = ScimToken.PREFIX + secrets.token_urlsafe(32)
    token = ScimToken.objects.create(
        enterprise=enterprise,
        digest=ScimToken.digest_of(raw),
        hint=ScimToken.hint_of(raw),
        created_at=now,
        created_by=actor,
    )
    AuditEvent.objects.create(
        enterprise=enterprise, actor=actor, action=AuditEvent.Action.TOKEN_CREATED, detail=token.hint
    )
    return token, raw


@transaction.atomic
def scim_token_revoke(*, token: ScimToken, actor: AbstractBaseUser | None = None) -> None:
    """End a token now (e.g. a leaked one). Revoking a revoked token changes nothing."""
    updated = ScimToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    if updated:
        token.refresh_from_db()
        AuditEvent.objects.create(
            enterprise=token.enterprise,
            actor=actor,
            action=AuditEvent.Action.TOKEN_REVOKED,
            detail=token.hint,
        )


# Last-used marks are written at most this often per token, so a busy provisioning cycle does not turn
# every read into a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def scim_token_authenticate(
    *, public_id: uuid.UUID, raw: str, now: datetime | None = None
) -> ScimToken | None:
    """
    Return the live token whose digest matches `raw`, of the enterprise with `public_id`, or None. Its
    enterprise comes with it (one query: this runs on every SCIM request).

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
            token.enterprise.scim_tokens.live(now).filter(created_at__lt=token.created_at).update(
                expires_at=now
            )
            ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    elif now - token.last_used_at > LAST_USED_RESOLUTION:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


# OAuth 2.0 for the SCIM endpoint: client secrets and a federation trust authenticate the enterprise's OAuth
# client at the token endpoint (enterprise/oauth.py), which issues access tokens for the SCIM endpoint.


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
    raw = ClientSecret.PREFIX + secrets.token_urlsafe(32)
    secret = ClientSecret.objects.create(
        client=oauth_client_of(enterprise=enterprise),
        digest=ClientSecret.digest_of(raw),
        hint=ClientSecret.hint_of(raw),
        created_at=now,
        created_by=actor,
        expires_at=now + timedelta(days=365 * years),
    )
    AuditEvent.objects.create(
        enterprise=enterprise,
        actor=actor,
        action=AuditEvent.Action.CLIENT_SECRET_CREATED,
        detail=f"{secret.hint}, expires {secret.expires_at:%Y-%m-%d}",
    )
    return secret, raw


@transaction.atomic
def client_secret_revoke(*, secret: ClientSecret, actor: AbstractBaseUser | None = None) -> None:
    """End a client secret now, and with it every access token it obtained (AccessToken.objects.live)."""
    updated = ClientSecret.objects.filter(pk=secret.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    if updated:
        secret.refresh_from_db()
        AuditEvent.objects.create(
            enterprise=secret.client.enterprise,
            actor=actor,
            action=AuditEvent.Action.CLIENT_SECRET_REVOKED,
            detail=secret.hint,
        )


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
        raise ValidationError(f"Enter the {', '.join(missing)}.")
    try:
        federation.vetted_address(values["jwks_url"])
    except federation.UnsafeUrl as exc:
        raise ValidationError(f"Plandisc cannot read keys from {values['jwks_url']}: {exc}") from None
    client = oauth_client_of(enterprise=enterprise)
    client.federation_trusts.live().update(revoked_at=timezone.now(), revoked_by=actor)
    trust = FederationTrust.objects.create(client=client, created_by=actor, **values)
    AuditEvent.objects.create(
        enterprise=enterprise,
        actor=actor,
        action=AuditEvent.Action.FEDERATION_CONFIGURED,
        detail=f"{trust.issuer}, subject {trust.subject}"[:255],
    )
    return trust


@transaction.atomic
def federation_trust_revoke(*, enterprise: Enterprise, actor: AbstractBaseUser | None = None) -> None:
    """Stop trusting the enterprise's federation issuer; the access tokens it obtained end now."""
    updated = FederationTrust.objects.live().filter(client__enterprise=enterprise)
    if updated.update(revoked_at=timezone.now(), revoked_by=actor):
        AuditEvent.objects.create(
            enterprise=enterprise, actor=actor, action=AuditEvent.Action.FEDERATION_REVOKED
        )


@transaction.atomic
def access_token_lifetime_set(
    *, enterprise: Enterprise, hours: int, actor: AbstractBaseUser | None = None
) -> None:
    """How long the access tokens issued from now on work: 1 to 6 hours, as Entra requires."""
    if not 1 <= hours <= 6:
        raise ValidationError("Access tokens work for 1 to 6 hours.")
    enterprise.access_token_lifetime = hours * 3600
    enterprise.save(update_fields=["access_token_lifetime", "updated_at"])
    AuditEvent.objects.create(
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
    raw = AccessToken.PREFIX + secrets.token_urlsafe(32)
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


def token_request_record(
    *, enterprise: Enterprise, status: int, detail: str, credential: str, user_agent: str, duration_ms: int
) -> None:
    """Record a token endpoint request in the enterprise's provisioning activity. No secret is stored."""
    ProvisioningEvent.objects.create(
        enterprise=enterprise,
        method="POST",
        path="/token",
        status=status,
        detail=_storable(detail, 500),
        credential=_storable(credential, 100),
        user_agent=_storable(user_agent, 255),
        duration_ms=duration_ms,
    )


def _storable(value: str, limit: int) -> str:
    """The reasons quote what the caller sent (a client id, JWT claims): without NUL bytes and unpaired
    surrogates, which PostgreSQL refuses."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit]


@transaction.atomic
def enterprise_scim_toggle(
    *, enterprise: Enterprise, enabled: bool, actor: AbstractBaseUser | None = None
) -> None:
    if enterprise.scim_enabled == enabled:
        return
    enterprise.scim_enabled = enabled
    enterprise.save(update_fields=["scim_enabled", "updated_at"])
    action = AuditEvent.Action.SCIM_ENABLED if enabled else AuditEvent.Action.SCIM_DISABLED
    AuditEvent.objects.create(enterprise=enterprise, actor=actor, action=action)


@transaction.atomic
def member_save(*, member: Member) -> None:
    """
    Store a provisioned member (the SCIM adapters call this for every create and change). A member who is not
    active keeps no single sign-on session: deactivation signs them out of this enterprise at once.
    """
    member.save()
    if not member.active:
        _sso_sessions_end(member=member)


@transaction.atomic
def member_delete(*, member: Member) -> None:
    """Delete a provisioned member; their group memberships and single sign-on sessions go with them."""
    _sso_sessions_end(member=member)
    member.delete()


def provisioning_events_prune(*, older_than: timedelta) -> int:
    """Delete provisioning activity older than `older_than`; returns how many rows went."""
    deleted, _ = ProvisioningEvent.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


# Single sign-on. enterprise/saml.py validates what the identity provider sends; the rules for who gets in,
# and the records that make "at once" and "only once" hold across workers, are here.

SSO_MEMBER_SESSION_KEY = "_sso_member_id"

NOT_PROVISIONED = (
    "You don't have access to Plandisc through {enterprise} yet. Ask your admin to assign you to the "
    "Plandisc application in Microsoft Entra ID."
)
DEACTIVATED = "Your access to Plandisc through {enterprise} is turned off. Ask your admin if you need it."
ACCOUNT_DISABLED = "Your Plandisc account is disabled. Ask Plandisc support if you need it."
ACCOUNT_ELSEWHERE = (
    "A Plandisc account with a password already uses {address}, and single sign-on through {enterprise} "
    "does not take it over. Sign in with your email and password instead."
)


@transaction.atomic
def sso_connection_save(
    *,
    enterprise: Enterprise,
    metadata_xml: str | None,
    email_domains: list[str],
    allow_jit: bool,
    actor: AbstractBaseUser | None = None,
) -> SsoConnection:
    """
    Set up or change an enterprise's single sign-on. `metadata_xml` None keeps the current identity provider.
    Raises ValidationError on metadata that cannot be used, or on a domain another enterprise already has.
    """
    connection = SsoConnection.objects.select_for_update().filter(enterprise=enterprise).first()
    connection = connection or SsoConnection(enterprise=enterprise)
    if metadata_xml is not None:
        try:
            idp = saml.read_idp_metadata(metadata_xml)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        newest = max(idp.certificates, key=lambda certificate: certificate.expires_at)
        if newest.expires_at <= timezone.now():
            raise ValidationError(
                f"The signing certificate in this metadata expired on {newest.expires_at:%Y-%m-%d}. "
                "Download the current Federation Metadata XML from Entra."
            )
        connection.idp_metadata = metadata_xml
        connection.idp_entity_id = idp.entity_id
        connection.idp_sso_url = idp.sso_url
        connection.certificate_expires_at = newest.expires_at
        connection.certificate_thumbprint = newest.thumbprint
    elif connection.pk is None:
        raise ValidationError("Upload or paste the Federation Metadata XML from Entra.")
    taken = SsoDomain.objects.filter(domain__in=email_domains).exclude(connection__enterprise=enterprise)
    if taken:
        domains = ", ".join(map(str, taken))
        raise ValidationError(f"Another enterprise already signs in people from {domains}.")
    connection.allow_jit = allow_jit
    connection.save()
    connection.domains.exclude(domain__in=email_domains).delete()
    kept = set(connection.domains.values_list("domain", flat=True))
    SsoDomain.objects.bulk_create(
        [SsoDomain(connection=connection, domain=domain) for domain in email_domains if domain not in kept]
    )
    AuditEvent.objects.create(
        enterprise=enterprise,
        actor=actor,
        action=AuditEvent.Action.SSO_CONFIGURED,
        detail=f"certificate {connection.certificate_thumbprint}, {connection.idp_entity_id}"[:255],
    )
    return connection


def sso_request_start(*, connection: SsoConnection, relay_state: str) -> str:
    """Begin an SP-initiated sign-in: remember the AuthnRequest's id and return the identity provider URL."""
    request_id, url = saml.authn_request(connection, relay_state=relay_state)
    now = timezone.now()
    SamlRequest.objects.filter(created_at__lt=now - SamlRequest.LIFETIME).delete()
    SamlRequest.objects.create(enterprise=connection.enterprise, request_id=request_id, created_at=now)
    return url


def sso_sign_in(*, connection: SsoConnection, saml_response: str) -> Member:
    """
    Validate a SAML response for the connection's enterprise and return the member it signs in, with their
    login account (Member.user) set. Raises SignInRefused.

    A response naming a request (SP-initiated) uses up that unexpired request; the assertion id is recorded so
    the assertion is accepted once. Both writes commit on their own, so they stand when the person is then
    refused. Who gets in: the enterprise's member whose userName, then work email, equals the NameID or the
    email claim (ignoring case), and only while active. Nobody else, unless SCIM is off and the admin allows
    members to be created at first sign-in.
    """
    assertion = saml.read_response(connection, saml_response)
    enterprise = connection.enterprise
    now = timezone.now()
    if assertion.in_response_to:
        answered, _ = SamlRequest.objects.filter(
            enterprise=enterprise,
            request_id=assertion.in_response_to,
            created_at__gte=now - SamlRequest.LIFETIME,
        ).delete()
        if not answered:
            raise SignInRefused(saml.INVALID_RESPONSE, "The response answers no open sign-in request.")
    SamlAssertion.objects.filter(expires_at__lt=now).delete()
    used = SamlAssertion(
        enterprise=enterprise,
        assertion_id=assertion.id,
        expires_at=assertion.expires_at + timedelta(seconds=settings.SAML_CLOCK_SKEW_SECONDS),
    )
    try:
        with transaction.atomic():
            used.save()
    except IntegrityError:
        raise SignInRefused(saml.INVALID_RESPONSE, "This assertion was used to sign in already.") from None

    member = _sso_member(connection=connection, assertion=assertion)
    if not member.active:
        raise SignInRefused(DEACTIVATED.format(enterprise=enterprise), f"{member} is deactivated.")
    if member.user is None:
        _sso_login_account_link(member=member)
    if not member.user.is_active:
        raise SignInRefused(ACCOUNT_DISABLED, f"The login account {member.user} is disabled.")
    return member


def _sso_member(*, connection: SsoConnection, assertion: saml.Assertion) -> Member:
    enterprise = connection.enterprise
    names = [name for name in dict.fromkeys([assertion.name_id, assertion.claim(saml.CLAIM_EMAIL)]) if name]
    members = enterprise.members.select_related("user")
    for lookup in ("user_name__iexact", "email__iexact"):
        for name in names:
            found = list(members.filter(**{lookup: name})[:2])
            if len(found) == 1:
                return found[0]
    if connection.jit_allowed:
        return _sso_member_create(enterprise=enterprise, assertion=assertion)
    raise SignInRefused(
        NOT_PROVISIONED.format(enterprise=enterprise),
        f"No member of {enterprise} has the userName or work email {' or '.join(names)}.",
    )


def _sso_member_create(*, enterprise: Enterprise, assertion: saml.Assertion) -> Member:
    """Just-in-time: a member stored the way the SCIM adapter stores one, so SCIM can take it over later."""
    email = assertion.claim(saml.CLAIM_EMAIL) or (assertion.name_id if "@" in assertion.name_id else "")
    given, family = assertion.claim(saml.CLAIM_GIVEN_NAME), assertion.claim(saml.CLAIM_SURNAME)
    display = assertion.claim(saml.CLAIM_DISPLAY_NAME) or " ".join(filter(None, [given, family]))
    profile = {"userName": assertion.name_id, "active": True}
    if display:
        profile["displayName"] = display
    if given or family:
        profile["name"] = {k: v for k, v in (("givenName", given), ("familyName", family)) if v}
    if email:
        profile["emails"] = [{"value": email, "type": "work", "primary": True}]
    member = Member(
        enterprise=enterprise,
        user_name=assertion.name_id,
        email=email,
        email_type="work" if email else "",
        display_name=display,
        given_name=given,
        family_name=family,
        profile=profile,
    )
    try:
        with transaction.atomic():
            member_save(member=member)
    except IntegrityError:
        # Another sign-in of the same person created them a moment ago.
        return enterprise.members.get(user_name__iexact=assertion.name_id)
    return member


def _sso_may_link(*, user: AbstractBaseUser, enterprise: Enterprise) -> bool:
    """
    An identity provider vouches for its own enterprise's people only, so it never takes over an account that
    something else protects: one with a password (it keeps password sign-in), staff, or an admin of another
    enterprise. What is left are accounts that only single sign-on reaches, such as the one a person who
    belongs to two enterprises got at their first sign-in through the other.
    """
    if user.is_staff or user.is_superuser or user.has_usable_password():
        return False
    return not user.administered_enterprises.exclude(pk=enterprise.pk).exists()


@transaction.atomic
def _sso_login_account_link(*, member: Member) -> None:
    """Give a member their login account: an existing one it may use, or a new one without a password."""
    locked = Member.objects.select_for_update().get(pk=member.pk)
    if locked.user_id is not None:
        member.user = locked.user
        return
    addresses = Q()
    for address in filter(None, [member.user_name, member.email]):
        addresses |= Q(username__iexact=address) | Q(email__iexact=address)
    candidates = list(User.objects.filter(addresses)[:2])
    enterprise = member.enterprise
    if len(candidates) > 1 or (candidates and not _sso_may_link(user=candidates[0], enterprise=enterprise)):
        address = member.email or member.user_name
        raise SignInRefused(
            ACCOUNT_ELSEWHERE.format(address=address, enterprise=enterprise),
            f"The login account for {address} is not one single sign-on may use.",
        )
    member.user = (
        candidates[0]
        if candidates
        else User.objects.create_user(username=member.user_name, email=member.email or member.user_name)
    )
    member.save(update_fields=["user"])


def sso_session_start(*, member: Member, session: SessionBase) -> None:
    """
    Mark a session that has just signed in as `member`'s (enterprise.middleware checks the mark on every
    request) and record it, so that deactivating or deleting the member deletes it server-side. Records of
    the member's sessions that have ended on their own are dropped here.
    """
    store = _session_store()
    session[SSO_MEMBER_SESSION_KEY] = member.pk
    session.save()
    for record in member.sso_sessions.exclude(session_key=session.session_key):
        if not store().exists(record.session_key):
            record.delete()
    SsoSession.objects.update_or_create(session_key=session.session_key, defaults={"member": member})


def _sso_sessions_end(*, member: Member) -> None:
    """Delete every session the member signed in to through single sign-on, whatever the session backend."""
    store = _session_store()
    for session_key in member.sso_sessions.values_list("session_key", flat=True):
        store(session_key=session_key).delete()
    member.sso_sessions.all().delete()


def _session_store() -> type:
    return import_module(settings.SESSION_ENGINE).SessionStore

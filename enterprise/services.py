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
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from enterprise import saml
from enterprise.models import (
    AuditEvent,
    Enterprise,
    Group,
    GroupMembership,
    Member,
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
    """Make the account with this email an admin of the enterprise, creating it (or setting its password)."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(username=email, email=email)
    if password:
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
    enterprise_credentials_changed(enterprise=enterprise)
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
    updated = ScimToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    if updated:
        token.refresh_from_db()
        enterprise_credentials_changed(enterprise=token.enterprise)
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


@transaction.atomic
def enterprise_scim_toggle(
    *, enterprise: Enterprise, enabled: bool, actor: AbstractBaseUser | None = None
) -> None:
    if enterprise.scim_enabled == enabled:
        return
    enterprise.scim_enabled = enabled
    enterprise.save(update_fields=["scim_enabled", "updated_at"])
    enterprise_credentials_changed(enterprise=enterprise)
    action = AuditEvent.Action.SCIM_ENABLED if enabled else AuditEvent.Action.SCIM_DISABLED
    AuditEvent.objects.create(enterprise=enterprise, actor=actor, action=action)


# Provisioned members and groups. The SCIM adapters call these inside the request's one transaction; they
# join it without a savepoint (`savepoint=False`), so an error anywhere rolls the whole request back.


def _touch(resource: Member | Group) -> None:
    resource.updated_at = timezone.now()
    if resource.pk is not None:
        resource.version += 1


def _check_lengths(resource: Member | Group, fields) -> None:
    """Refuse values longer than their column: PostgreSQL would refuse them, SQLite would keep them."""
    for field in fields:
        limit = resource._meta.get_field(field).max_length
        if len(getattr(resource, field) or "") > limit:
            raise ValidationError(f"'{field}' is longer than {limit} characters.")


def _member_store(member: Member, profile: dict, manager: Member | None) -> None:
    if manager is not None and (manager.enterprise_id != member.enterprise_id or manager.pk == member.pk):
        raise ValidationError(f"The manager '{manager.scim_id}' is not another member of this enterprise.")
    member.set_profile(profile)
    member.manager = manager
    _check_lengths(member, [c for c in Member.PROFILE_COLUMNS if c != "active"])
    _touch(member)
    member.save()


@transaction.atomic(savepoint=False)
def member_create(*, enterprise: Enterprise, profile: dict, manager: Member | None = None) -> Member:
    """
    Store a new member from their profile (Member.set_profile maps it onto the columns). Raises
    ValidationError for a value that does not fit or a manager who is not another member of the enterprise,
    IntegrityError when the userName or externalId is taken.
    """
    member = Member(enterprise=enterprise)
    _member_store(member, profile, manager)
    return member


@transaction.atomic(savepoint=False)
def member_update(*, member: Member, profile: dict, manager: Member | None = None) -> None:
    """
    Replace a member's profile (what member_create raises, this raises). A profile that makes an active
    member inactive is a deactivation, and ends their sessions as member_deactivate does.
    """
    was_active = member.active
    _member_store(member, profile, manager)
    if was_active and not member.active:
        member_deactivate(member=member)


@transaction.atomic(savepoint=False)
def member_deactivate(*, member: Member) -> None:
    """Turn off a member's access at once: marked not active, and signed out of every session."""
    if member.active:
        member.set_profile({**member.profile, "active": False})
        _touch(member)
        member.save(update_fields=["profile", "active", "updated_at", "version"])
    member_sessions_end(member=member)


@transaction.atomic(savepoint=False)
def member_delete(*, member: Member) -> None:
    """Delete a member; their group memberships and sessions go with them."""
    member_sessions_end(member=member)
    member.delete()


def member_sessions_end(*, member: Member) -> None:
    """Delete every session the member signed in to through single sign-on, whatever the session backend."""
    store = _session_store()
    keys = list(member.sso_sessions.values_list("session_key", flat=True))
    for session_key in keys:
        store(session_key=session_key).delete()
    if keys:
        member.sso_sessions.all().delete()


@transaction.atomic(savepoint=False)
def group_save(*, group: Group, display_name: str, external_id: str | None) -> None:
    """
    Create a group (no pk yet) or rename it, and mark it changed either way (its members may have changed).
    Raises ValidationError for a name that does not fit, IntegrityError when the name or externalId is taken.
    """
    renamed = group.pk is None or (group.display_name, group.external_id) != (display_name, external_id)
    group.display_name, group.external_id = display_name, external_id
    _check_lengths(group, ["display_name", "external_id"])
    _touch(group)
    if renamed:
        group.save()
    else:
        group.save(update_fields=["updated_at", "version"])


def group_members_add(*, group: Group, member_ids: list[int]) -> None:
    """Add members by primary key (they must be the group's enterprise's); ones already in stay as they are.
    One INSERT whatever the group's size: its members are never loaded."""
    GroupMembership.objects.bulk_create(
        [GroupMembership(group=group, member_id=pk) for pk in member_ids],
        ignore_conflicts=True,
        batch_size=1000,
    )


def group_members_remove(*, group: Group, where: Q | None = None, keep: list[int] | None = None) -> None:
    """Remove the memberships matching `where` (all without it), except those of the members in `keep`."""
    memberships = GroupMembership.objects.filter(group=group)
    if where is not None:
        memberships = memberships.filter(where)
    if keep is not None:
        memberships = memberships.exclude(member__in=keep)
    memberships.delete()


@transaction.atomic(savepoint=False)
def group_delete(*, group: Group) -> None:
    group.delete()


def provisioning_events_record(*, events: list[dict]) -> None:
    """
    Store a batch of provisioning activity rows, each a dict of ProvisioningEvent.RECORDED columns, with one
    statement sent for all of them (psycopg pipelines them). Written out rather than bulk_create, which
    prepares every value of every row through its model field and cost more CPU than the SCIM request a
    row describes.
    """
    columns = ProvisioningEvent.RECORDED
    insert = (
        f'INSERT INTO "{ProvisioningEvent._meta.db_table}" ({", ".join(columns)}) '
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    adapt = connection.ops.adapt_datetimefield_value
    rows = [[adapt(e[c]) if c == "created_at" else e[c] for c in columns] for e in events]
    with connection.cursor() as cursor:
        cursor.executemany(insert, rows)


def provisioning_refusals_record(
    *, event: ProvisioningEvent | None, enterprise: Enterprise, address: str, refused: int
) -> ProvisioningEvent:
    """
    The one activity row that stands for many refused requests from `address` in a minute: created with the
    first, then its count kept up to date (`event` is the row made so far).
    """
    detail = f"{refused} requests with an invalid token from {address} in the last minute"
    if event is not None:
        ProvisioningEvent.objects.filter(pk=event.pk).update(detail=detail[:500])
        return event
    return ProvisioningEvent.objects.create(
        enterprise=enterprise, method="*", path="*", status=429, scim_type="", detail=detail[:500]
    )


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
    """Just-in-time: a member created from a profile, as SCIM creates one, so SCIM can take it over later."""
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
    try:
        with transaction.atomic():
            return member_create(enterprise=enterprise, profile=profile)
    except IntegrityError:
        # Another sign-in of the same person created them a moment ago.
        return enterprise.members.get(user_name__iexact=assertion.name_id)


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


def _session_store() -> type:
    return import_module(settings.SESSION_ENGINE).SessionStore

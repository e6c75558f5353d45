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
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from enterprise import federation, selectors
from enterprise.models import (
    AccessToken,
    AuditEvent,
    ClientSecret,
    Enterprise,
    FederationTrust,
    Group,
    GroupMembership,
    LoginAccount,
    Member,
    OAuthClient,
    ProvisioningEvent,
    ScimToken,
)

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
    Accounts that belong to another enterprise are never chosen: that enterprise's identity provider signs in
    as them.
    """
    mine = Q(login_account__isnull=True) | Q(login_account__enterprise=enterprise)
    user = User.objects.filter(mine, email__iexact=email).order_by("pk").first()
    if user is None:
        user = login_account_create(enterprise=enterprise, name=email, email=email)
    if password:
        validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
    before = set(enterprise.admins.values_list("pk", flat=True))
    if user.pk not in before:
        enterprise.admins.add(user)
        enterprise_admins_by_hand_recorded(enterprise=enterprise, before=before)
    return user


def enterprise_admins_by_hand_recorded(
    *, enterprise: Enterprise, before: set[int], actor: AbstractBaseUser | None = None
) -> None:
    """Record who became or stopped being an admin by hand since the admins were `before` (user pks), e.g.
    after support staff edited them in the Django admin."""
    after = dict(enterprise.admins.values_list("pk", "username"))
    gone = dict(User.objects.filter(pk__in=before - set(after)).values_list("pk", "username"))
    changes = [(AuditEvent.Action.ADMIN_GRANTED, after[pk]) for pk in sorted(set(after) - before)]
    changes += [(AuditEvent.Action.ADMIN_REVOKED, gone[pk]) for pk in sorted(gone)]
    AuditEvent.objects.bulk_create(
        AuditEvent(enterprise=enterprise, actor=actor, action=action, detail=f"{name} by hand"[:255])
        for action, name in changes
    )


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
        AuditEvent.objects.create(enterprise=enterprise, actor=actor, action=action, detail=credential.hint)


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
    raw = ClientSecret.generate()
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
        raise ValidationError(f"Enter the {', '.join(missing)}.")
    try:
        federation.vetted_address(values["jwks_url"])
    except federation.UnsafeUrl as exc:
        raise ValidationError(f"Plandisc cannot read keys from {values['jwks_url']}: {exc}") from None
    client = oauth_client_of(enterprise=enterprise)
    if client.federation_trusts.live().update(revoked_at=timezone.now(), revoked_by=actor):
        enterprise_credentials_changed(enterprise=enterprise)
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
        enterprise_credentials_changed(enterprise=enterprise)
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


def token_request_record(
    *,
    enterprise: Enterprise,
    method: str,
    status: int,
    detail: str,
    credential: str,
    user_agent: str,
    duration_ms: int,
) -> None:
    """Record a token endpoint request in the enterprise's provisioning activity. No secret is stored."""
    ProvisioningEvent.objects.create(
        enterprise=enterprise,
        method=ProvisioningEvent.storable(method, 10),
        path="/token",
        status=status,
        detail=ProvisioningEvent.storable(detail, 500),
        credential=ProvisioningEvent.storable(credential, 100),
        user_agent=ProvisioningEvent.storable(user_agent, 255),
        duration_ms=duration_ms,
    )


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
    if member.pk is None:
        Member.objects.insert(member)
    else:
        member.save()


def member_create(*, enterprise: Enterprise, profile: dict, manager: Member | None = None) -> Member:
    """
    Store a new member from their profile (Member.set_profile maps it onto the columns). Raises
    ValidationError for a value that does not fit or a manager who is not another member of the enterprise,
    IntegrityError when the userName is taken. It writes one row with one INSERT, a transaction of its own,
    so it opens none: SCIM creates users in autocommit, without BEGIN and COMMIT round trips.
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
        member_admin_role_recorded(member=member, granted=False, why="deactivated")
        member_deactivate(member=member)
    elif member.active and not was_active:
        member_admin_role_recorded(member=member, granted=True, why="reactivated")


@transaction.atomic(savepoint=False)
def member_deactivate(*, member: Member) -> None:
    """Turn off a member's access at once: marked not active, and signed out of every session."""
    if member.active:
        member.set_profile({**member.profile, "active": False})
        _touch(member)
        member.save(update_fields=["profile", "active", "updated_at", "version"])
        member_admin_role_recorded(member=member, granted=False, why="deactivated")
    member_sessions_end(member=member)


@transaction.atomic(savepoint=False)
def member_delete(*, member: Member) -> None:
    """Delete a provisioned member; their group memberships and sessions go with them."""
    member_sessions_end(member=member)
    if member.active:
        member_admin_role_recorded(member=member, granted=False, why="deleted")
    member.delete()


@transaction.atomic(savepoint=False)
def group_save(*, group: Group, display_name: str, external_id: str | None) -> None:
    """
    Create a group (no pk yet) or rename it, and mark it changed either way (its members may have changed).
    Raises ValidationError for a name that does not fit, IntegrityError when the name is taken.
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
    One INSERT whatever the group's size: its members are never loaded (except for an admin group, whose new
    members are granted the admin role and recorded)."""
    if group.grants_admin and member_ids:
        present = GroupMembership.objects.filter(group=group, member__in=member_ids).values("member")
        added = Member.objects.filter(pk__in=member_ids).exclude(pk__in=present)
        _admin_role_through_group(group=group, members=added, granted=True)
    GroupMembership.objects.bulk_create(
        [GroupMembership(group=group, member_id=pk) for pk in member_ids],
        ignore_conflicts=True,
        batch_size=1000,
    )


def group_members_remove(*, group: Group, where: Q | None = None, keep: list[int] | None = None) -> int:
    """Remove the memberships matching `where` (all without it), except those of the members in `keep`;
    returns how many went."""
    memberships = GroupMembership.objects.filter(group=group)
    if where is not None:
        memberships = memberships.filter(where)
    if keep is not None:
        memberships = memberships.exclude(member__in=keep)
    if group.grants_admin:
        members = Member.objects.filter(pk__in=list(memberships.values_list("member", flat=True)))
        _admin_role_through_group(group=group, members=members, granted=False)
    removed, _ = memberships.delete()
    return removed


@transaction.atomic(savepoint=False)
def group_delete(*, group: Group) -> None:
    if group.grants_admin:
        _admin_role_through_group(
            group=group, members=group.members.all(), granted=False, why="group deleted"
        )
    group.delete()


# The Enterprise admin role through admin groups. Who holds it is decided on each request
# (selectors.administered_enterprises); these record each grant and revoke as it happens.


def _owned(members, enterprise_id: int):
    """The active members whose login account the enterprise owns: the only ones a group makes admins."""
    return members.filter(active=True, user__login_account__enterprise=enterprise_id)


def _admin_role_recorded(
    *, enterprise_id: int, user_names: list[str], group: str, granted: bool, why: str = "", actor=None
) -> None:
    action = AuditEvent.Action.ADMIN_GRANTED if granted else AuditEvent.Action.ADMIN_REVOKED
    reason = f" ({why})" if why else ""
    AuditEvent.objects.bulk_create(
        AuditEvent(
            enterprise_id=enterprise_id,
            actor=actor,
            action=action,
            detail=f"{name} through group {group}{reason}"[:255],
        )
        for name in user_names
    )


def _admin_role_through_group(
    *, group: Group, members, granted: bool, why: str = "", actor: AbstractBaseUser | None = None
) -> None:
    names = list(_owned(members, group.enterprise_id).values_list("user_name", flat=True))
    _admin_role_recorded(
        enterprise_id=group.enterprise_id,
        user_names=names,
        group=group.display_name,
        granted=granted,
        why=why,
        actor=actor,
    )


def member_admin_role_recorded(*, member: Member, granted: bool, why: str) -> None:
    """A member of admin groups became active or stopped being, or got their login account: record the
    role's grant or revoke through each of those groups. Costs a query only for a member with a login
    account (one who signed in through single sign-on)."""
    if member.user_id is None:
        return
    groups = Group.objects.filter(
        memberships__member=member,
        grants_admin=True,
        enterprise__login_accounts__user=member.user_id,
    ).values_list("display_name", flat=True)
    for name in groups:
        _admin_role_recorded(
            enterprise_id=member.enterprise_id,
            user_names=[member.user_name],
            group=name,
            granted=granted,
            why=why,
        )


@transaction.atomic
def enterprise_admin_groups_set(
    *, enterprise: Enterprise, groups: list[Group], actor: AbstractBaseUser | None = None
) -> None:
    """
    Make exactly these of the enterprise's groups grant the Enterprise admin role to their active members
    (whose login accounts the enterprise owns). Records the change, and each member who gains or loses the
    role through it. Raises ValidationError, changing nothing, when no admin would remain.
    """
    Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
    chosen = {group.pk for group in groups if group.enterprise_id == enterprise.pk}
    current = set(enterprise.groups.filter(grants_admin=True).values_list("pk", flat=True))
    if chosen == current:
        return
    enterprise.groups.filter(pk__in=current - chosen).update(grants_admin=False)
    enterprise.groups.filter(pk__in=chosen - current).update(grants_admin=True)
    if not selectors.enterprise_admins(enterprise):
        raise ValidationError("This would leave the enterprise without an admin: keep at least one.")
    for pk, granted in [*((pk, True) for pk in chosen - current), *((pk, False) for pk in current - chosen)]:
        group = Group.objects.get(pk=pk)
        _admin_role_through_group(group=group, members=group.members.all(), granted=granted, actor=actor)
    names = (
        enterprise.groups.filter(grants_admin=True)
        .order_by("display_name")
        .values_list("display_name", flat=True)
    )
    AuditEvent.objects.create(
        enterprise=enterprise,
        actor=actor,
        action=AuditEvent.Action.ADMIN_GROUPS_CHANGED,
        detail=(", ".join(names) or "none")[:255],
    )


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


@transaction.atomic(savepoint=False)
def member_sessions_end(*, member: Member) -> None:
    """
    Sign the member out everywhere: delete every session recorded as theirs (SsoSession), whatever the
    session backend. Deprovisioning calls this; the same person's sessions through other enterprises belong to
    other members and login accounts, and stay.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(member.sso_sessions.values_list("session_key", flat=True))
    for session_key in keys:
        store(session_key=session_key).delete()
    if keys:
        member.sso_sessions.all().delete()


def login_account_create(*, enterprise: Enterprise, name: str, email: str) -> AbstractBaseUser:
    """
    Make a password-less login account that belongs to `enterprise`. Its username is `name`, or, when another
    account already has that name, `name` qualified by the enterprise's slug (or, failing that, a random one):
    an account name is never shared between enterprises.
    """
    qualified = f"{enterprise.slug}/{name}"[:150]
    for username in (name[:150], qualified, f"{qualified[:117]}/{uuid.uuid4()}"):
        if not User.objects.filter(username__iexact=username).exists():
            break
    user = User.objects.create_user(username=username, email=email)
    LoginAccount.objects.create(user=user, enterprise=enterprise)
    return user

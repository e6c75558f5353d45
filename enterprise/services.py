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
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from enterprise.models import (
    AuditEvent,
    Enterprise,
    LoginAccount,
    Member,
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
    Accounts that belong to another enterprise are never chosen: that enterprise's identity provider signs in
    as them.
    """
    mine = Q(login_account__isnull=True) | Q(login_account__enterprise=enterprise)
    user = User.objects.filter(mine, email__iexact=email).order_by("pk").first()
    if user is None:
        user = login_account_create(enterprise=enterprise, name=email, email=email)
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
    active keeps no session: deactivation signs them out of this enterprise at once.
    """
    member.save()
    if not member.active:
        member_sessions_end(member=member)


@transaction.atomic
def member_delete(*, member: Member) -> None:
    """Delete a provisioned member; their group memberships and sessions go with them."""
    member_sessions_end(member=member)
    member.delete()


def provisioning_events_prune(*, older_than: timedelta) -> int:
    """Delete provisioning activity older than `older_than`; returns how many rows went."""
    deleted, _ = ProvisioningEvent.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


@transaction.atomic
def member_sessions_end(*, member: Member) -> None:
    """
    Sign the member out everywhere: delete every session recorded as theirs (SsoSession), whatever the
    session backend. Deprovisioning calls this; the same person's sessions through other enterprises belong to
    other members and login accounts, and stay.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for session_key in member.sso_sessions.values_list("session_key", flat=True):
        store(session_key=session_key).delete()
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

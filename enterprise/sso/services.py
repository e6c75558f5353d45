"""
Single sign-on's rules: setting up an enterprise's identity provider, verifying the email domains that
route people to it, and deciding who a signed SAML response signs in. enterprise.sso.saml validates what the
identity provider sends; the records here make "only once", "only in the browser that asked" and "only the
enterprise's own accounts" hold across workers and hosts.
"""

import hashlib
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enterprise.activity.models import AuditEvent
from enterprise.activity.services import audit_record
from enterprise.directory.models import Member, MemberSession
from enterprise.directory.services import member_create
from enterprise.models import Enterprise
from enterprise.roles.services import enterprise_admins_by_hand_recorded, member_admin_role_recorded
from enterprise.sso import saml
from enterprise.sso.middleware import SSO_MEMBER_SESSION_KEY
from enterprise.sso.models import (
    LoginAccount,
    SamlAssertion,
    SamlRequest,
    SsoConnection,
    SsoDomain,
    SsoRefusal,
)
from plandisc.counters import cache_count

User = get_user_model()

# What the refused person reads, in the language of the page that tells them (lazy: chosen per request).
INVALID_RESPONSE = _(
    "Plandisc could not accept the sign-in response from your organisation's identity provider. Start again "
    "from the sign-in page; if it happens again, ask your admin to check the single sign-on settings."
)
NOT_PROVISIONED = _(
    "You don't have access to Plandisc through {enterprise} yet. Ask your admin to assign you to the "
    "Plandisc application in Microsoft Entra ID."
)
DEACTIVATED = _("Your access to Plandisc through {enterprise} is turned off. Ask your admin if you need it.")
ACCOUNT_REFUSED = _(
    "Single sign-on through {enterprise} can't sign you in to your Plandisc account. Ask your admin, and "
    "give them the reference below."
)
ACCOUNT_DISABLED = _("Your Plandisc account is disabled. Ask Plandisc support if you need it.")


class SignInRefused(Exception):
    """A single sign-on attempt that does not get in: `message` is for the person, `detail` for admins."""

    def __init__(self, message: str, detail: str):
        super().__init__(detail)
        self.message = message
        self.detail = detail


@transaction.atomic
def sso_connection_save(
    *,
    enterprise: Enterprise,
    metadata_xml: str | None,
    allow_jit: bool,
    actor: AbstractBaseUser | None = None,
) -> SsoConnection:
    """
    Set up or change an enterprise's single sign-on. `metadata_xml` None keeps the current identity provider.
    Raises ValidationError on metadata that cannot be used.
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
                _(
                    "The signing certificate in this metadata expired on {date}. "
                    "Download the current Federation Metadata XML from Entra."
                ).format(date=f"{newest.expires_at:%Y-%m-%d}")
            )
        connection.idp_metadata = metadata_xml
        connection.idp_entity_id = idp.entity_id
        connection.idp_sso_url = idp.sso_url
        connection.certificate_expires_at = newest.expires_at
        connection.certificate_thumbprint = newest.thumbprint
    elif connection.pk is None:
        raise ValidationError(_("Upload or paste the Federation Metadata XML from Entra."))
    connection.allow_jit = allow_jit
    connection.save()
    audit_record(
        enterprise=enterprise,
        actor=actor,
        action=AuditEvent.Action.SSO_CONFIGURED,
        detail=f"certificate {connection.certificate_thumbprint}, {connection.idp_entity_id}",
    )
    return connection


# Email domains. A claim routes nobody until it is verified; a verified domain is one enterprise's alone.


VERIFIED_ELSEWHERE = _("Another enterprise has verified {domain}: its people sign in there.")


def _refuse_if_verified_elsewhere(*, connection: SsoConnection, domain: str) -> None:
    taken = SsoDomain.objects.filter(domain=domain, verified_at__isnull=False).exclude(connection=connection)
    if taken.exists():
        raise ValidationError(VERIFIED_ELSEWHERE.format(domain=domain))


def _domain_audit(*, domain: SsoDomain, action: str, actor: AbstractBaseUser | None) -> None:
    audit_record(enterprise=domain.connection.enterprise, actor=actor, action=action, detail=domain.domain)


@transaction.atomic
def sso_domain_add(*, connection: SsoConnection, domain: str, actor: AbstractBaseUser | None) -> SsoDomain:
    """Claim an email domain (lower-case) for the connection, unverified. Raises ValidationError when
    another enterprise has verified it. Adding a domain the enterprise has already claimed changes nothing."""
    _refuse_if_verified_elsewhere(connection=connection, domain=domain)
    claim, created = SsoDomain.objects.get_or_create(
        connection=connection, domain=domain, defaults={"token": secrets.token_urlsafe(24)}
    )
    if created:
        _domain_audit(domain=claim, action=AuditEvent.Action.DOMAIN_ADDED, actor=actor)
    return claim


def sso_domain_verify(*, domain: SsoDomain, actor: AbstractBaseUser | None) -> None:
    """
    Look up the domain's TXT records and mark it verified when one is the claim's record (a verified domain
    stays verified). Raises ValidationError, with a message for the admin, when the record is not there (a
    verified domain is then unverified: it stops routing sign-ins) or DNS does not answer (nothing changes).
    The lookup runs outside any transaction: it can take up to SSO_DNS_TIMEOUT_SECONDS.
    """
    from enterprise.sso import dns_lookup  # dnspython, imported where a domain is checked

    try:
        records = dns_lookup.txt_records(domain.domain)
    except dns_lookup.LookupFailed:
        raise ValidationError(
            _("DNS did not answer when Plandisc looked up {domain}. Try again in a few minutes.").format(
                domain=domain.domain
            )
        ) from None
    # The token is no secret (the page shows it, DNS publishes it): a plain comparison will do.
    if domain.txt_record not in records:
        if sso_domain_unverify(domain=domain, actor=actor):
            raise ValidationError(
                _(
                    "Plandisc did not find the TXT record on {domain}, so it is no longer verified: people "
                    "with an address at it no longer go to your identity provider. Publish the record and "
                    "verify it again."
                ).format(domain=domain.domain)
            )
        raise ValidationError(
            _(
                "Plandisc did not find the TXT record on {domain}. Publish it at your DNS provider and "
                "try again; a new record can take a while to show."
            ).format(domain=domain.domain)
        )
    sso_domain_mark_verified(domain=domain, actor=actor)


@transaction.atomic
def sso_domain_unverify(*, domain: SsoDomain, actor: AbstractBaseUser | None) -> bool:
    """A verified domain whose TXT record is gone stops routing sign-ins: it is unverified, with an audit
    event. Returns whether it was verified. A DNS lookup that fails never gets here: it proves nothing."""
    unverified = SsoDomain.objects.filter(pk=domain.pk, verified_at__isnull=False).update(verified_at=None)
    domain.verified_at = None
    if unverified:
        _domain_audit(domain=domain, action=AuditEvent.Action.DOMAIN_UNVERIFIED, actor=actor)
    return bool(unverified)


@transaction.atomic
def sso_domain_mark_verified(*, domain: SsoDomain, actor: AbstractBaseUser | None) -> None:
    """Verify a claim: after a DNS check, or Plandisc support vouching for it in the Django admin."""
    claim = SsoDomain.objects.select_for_update().get(pk=domain.pk)
    if claim.verified_at is not None:
        return
    _refuse_if_verified_elsewhere(connection=claim.connection, domain=claim.domain)
    claim.verified_at = timezone.now()
    try:
        with transaction.atomic():
            claim.save(update_fields=["verified_at"])
    except IntegrityError:
        # Another enterprise's verification of the same domain committed first.
        raise ValidationError(VERIFIED_ELSEWHERE.format(domain=claim.domain)) from None
    domain.verified_at = claim.verified_at
    _domain_audit(domain=claim, action=AuditEvent.Action.DOMAIN_VERIFIED, actor=actor)


@transaction.atomic
def sso_domain_remove(
    *, domain: SsoDomain, actor: AbstractBaseUser | None, action: str = AuditEvent.Action.DOMAIN_REMOVED
) -> None:
    """Drop a claim: its admin removing it, or support reclaiming it (action DOMAIN_RECLAIMED)."""
    domain.delete()
    _domain_audit(domain=domain, action=action, actor=actor)


def sso_connection_for_email(email: str) -> SsoConnection | None:
    """The connection whose verified domain is the email's (home-realm discovery), if any."""
    if "@" not in email:
        return None
    verified = SsoDomain.objects.filter(domain=email.rpartition("@")[2].lower(), verified_at__isnull=False)
    claim = verified.select_related("connection__enterprise").first()
    return claim.connection if claim else None


# Signing in.


def _browser_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def sso_request_start(*, connection: SsoConnection, relay_state: str, browser: str) -> str:
    """
    Begin an SP-initiated sign-in: remember the AuthnRequest's id with the digest of `browser`, the secret
    the starting browser holds in a cookie, and return the identity provider URL.
    """
    request_id, url = saml.authn_request(connection, relay_state=relay_state)
    now = timezone.now()
    SamlRequest.objects.create(
        enterprise=connection.enterprise,
        request_id=request_id,
        browser_digest=_browser_digest(browser),
        created_at=now,
    )
    return url


def sso_sign_in(*, connection: SsoConnection, saml_response: str, browser: str) -> Member:
    """
    Validate a SAML response for the connection's enterprise and return the member it signs in, with their
    login account (Member.user) set. Raises SignInRefused.

    A response naming a request (SP-initiated) uses up that unexpired request, and only when posted by the
    browser that started it (`browser`: the secret from its cookie, "" without one). The assertion id is
    recorded so the assertion is accepted once. Both writes commit on their own, so they stand when the person
    is then refused. Who gets in: the enterprise's member whose userName, then work email, equals the NameID
    or the email claim (ignoring case), only while active, and only into a login account the enterprise owns.
    Nobody else, unless SCIM is off and the admin allows members to be created at first sign-in.
    """
    try:
        assertion = saml.read_response(connection, saml_response)
    except saml.InvalidResponse as exc:
        raise SignInRefused(INVALID_RESPONSE, str(exc)) from None
    enterprise = connection.enterprise
    now = timezone.now()
    if assertion.in_response_to:
        open_requests = SamlRequest.objects.filter(
            enterprise=enterprise,
            request_id=assertion.in_response_to,
            created_at__gte=now - SamlRequest.LIFETIME,
        )
        answered, _ = open_requests.filter(browser_digest=_browser_digest(browser)).delete()
        if not answered:
            elsewhere = open_requests.exists()
            raise SignInRefused(
                INVALID_RESPONSE,
                "The response answers a sign-in request started in another browser."
                if elsewhere
                else "The response answers no open sign-in request.",
            )
    used = SamlAssertion(
        enterprise=enterprise,
        assertion_id=assertion.id,
        expires_at=assertion.expires_at + timedelta(seconds=settings.SAML_CLOCK_SKEW_SECONDS),
    )
    try:
        with transaction.atomic():
            used.save()
    except IntegrityError:
        raise SignInRefused(INVALID_RESPONSE, "This assertion was used to sign in already.") from None

    member = _sso_member(connection=connection, assertion=assertion)
    if not member.active:
        raise SignInRefused(DEACTIVATED.format(enterprise=enterprise), f"{member} is deactivated.")
    member.user = _sso_login_account(member=member)
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
    try:
        with transaction.atomic():
            member, _ = member_create(enterprise=enterprise, profile=profile)
            return member
    except IntegrityError:
        # Another sign-in of the same person created them a moment ago.
        return enterprise.members.get(user_name__iexact=assertion.name_id)
    except ValidationError as error:
        detail = f"The identity provider's claims do not fit: {error.messages[0]}"
        raise SignInRefused(INVALID_RESPONSE, detail) from None


def _why_not_signed_in(*, user: AbstractBaseUser, enterprise: Enterprise) -> str:
    """
    Why single sign-on through `enterprise` may not sign in as `user` ("" when it may). An identity provider
    vouches for its own enterprise's accounts only: never one another enterprise owns (or nobody does), one
    with a password (it keeps password sign-in), staff, or an admin of another enterprise.
    """
    owner = LoginAccount.objects.filter(user=user).values_list("enterprise_id", flat=True).first()
    if owner != enterprise.pk:
        return f"The login account {user} does not belong to {enterprise}."
    if user.is_staff or user.is_superuser or user.has_usable_password():
        return f"The login account {user} has a password or is Plandisc staff."
    if user.administered_enterprises.exclude(pk=enterprise.pk).exists():
        return f"The login account {user} administers another enterprise."
    if not user.is_active:
        return f"The login account {user} is disabled."
    return ""


@transaction.atomic
def _sso_login_account(*, member: Member) -> AbstractBaseUser:
    """
    The member's login account, checked at every sign-in. At the first, the member gets one their enterprise
    owns: a password-less one it made earlier for the same address and nobody uses now, or a new one.
    """
    enterprise = member.enterprise
    locked = Member.objects.select_for_update().get(pk=member.pk)
    account = locked.user
    if account is None:
        addresses = Q(username__iexact=member.user_name) | (
            Q(email__iexact=member.email) if member.email else Q()
        )
        owned = get_user_model().objects.filter(login_account__enterprise=enterprise)
        unused = owned.filter(addresses, enterprise_memberships__isnull=True)
        account = unused.order_by("pk").first() or login_account_create(
            enterprise=enterprise, name=member.user_name, email=member.email
        )
        locked.user = account
        locked.save(update_fields=["user"])
        if locked.active:
            member_admin_role_recorded(member=locked, granted=True, why="first sign-in")
    why_not = _why_not_signed_in(user=account, enterprise=enterprise)
    if why_not:
        message = ACCOUNT_DISABLED if not account.is_active else ACCOUNT_REFUSED.format(enterprise=enterprise)
        raise SignInRefused(message, why_not)
    return account


def sso_session_start(*, member: Member, session: SessionBase) -> None:
    """
    Mark a session that has just signed in as `member`'s (enterprise.sso.middleware checks the mark on every
    request) and record it, so that deprovisioning the member deletes it server-side. Records of the member's
    sessions that have ended on their own are dropped here.
    """
    session[SSO_MEMBER_SESSION_KEY] = member.pk
    session.save()
    for record in member.sessions.exclude(session_key=session.session_key):
        if not type(session)().exists(record.session_key):
            record.delete()
    MemberSession.objects.update_or_create(session_key=session.session_key, defaults={"member": member})


def sso_refusal_record(*, enterprise: Enterprise, detail: str) -> str:
    """
    Record why a sign-in was refused, for the enterprise's admins, and return the reference shown to the
    person (sso_records_prune removes them after SsoRefusal.RETENTION). Anyone can post to a reply URL, so
    at most SSO_REFUSALS_PER_MINUTE are recorded per enterprise and minute; beyond that nothing is, and the
    reference is "".
    """
    now = timezone.now()
    minute = int(now.timestamp()) // 60
    if cache_count(f"sso-refusals:{enterprise.pk}:{minute}", 120) > settings.SSO_REFUSALS_PER_MINUTE:
        return ""
    code = secrets.token_hex(4).upper()
    reference = f"{code[:4]}-{code[4:]}"
    SsoRefusal.objects.create(
        enterprise=enterprise, reference=reference, detail=detail[:1000], created_at=now
    )
    return reference


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


def sso_records_prune() -> dict[str, int]:
    """
    Remove what single sign-on no longer needs, on the worker (enterprise.sso.tasks): sign-in requests past
    their lifetime (a response to one is refused anyway), used assertion ids past their assertion's expiry
    (the assertion itself is refused then), and refusals older than SsoRefusal.RETENTION. Returns how many of
    each went.
    """
    now = timezone.now()
    requests, _ = SamlRequest.objects.filter(created_at__lt=now - SamlRequest.LIFETIME).delete()
    assertions, _ = SamlAssertion.objects.filter(expires_at__lt=now).delete()
    refusals, _ = SsoRefusal.objects.filter(created_at__lt=now - SsoRefusal.RETENTION).delete()
    return {"requests": requests, "assertions": assertions, "refusals": refusals}

"""
Changes to an enterprise itself: creating it and switching its SCIM provisioning on or off. The rooms inside
enterprise/ (directory, credentials, sso, activity, roles) hold the rest.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from enterprise.activity.models import AuditEvent
from enterprise.activity.services import audit_record
from enterprise.credentials.services import enterprise_credentials_changed
from enterprise.models import Enterprise
from enterprise.roles.services import enterprise_members_deactivate


@transaction.atomic
def enterprise_create(*, slug: str, name: str, admin: AbstractBaseUser | None = None) -> Enterprise:
    enterprise = Enterprise.objects.create(slug=slug, name=name)
    if admin is not None:
        enterprise.admins.add(admin)
    return enterprise


@transaction.atomic
def enterprise_scim_toggle(
    *,
    enterprise: Enterprise,
    enabled: bool,
    actor: AbstractBaseUser | None = None,
    deactivate_members: bool = False,
) -> int:
    """
    Switch provisioning on or off. Turning it off keeps the people it provisioned active (managed by hand
    from then on), or with `deactivate_members` deactivates them all (signed out at once); the audit event
    says which. Returns how many were deactivated.
    """
    if enterprise.scim_enabled == enabled:
        return 0
    enterprise.scim_enabled = enabled
    enterprise.save(update_fields=["scim_enabled", "updated_at"])
    enterprise_credentials_changed(enterprise=enterprise)
    if enabled:
        audit_record(enterprise=enterprise, actor=actor, action=AuditEvent.Action.SCIM_ENABLED)
        return 0
    deactivated = enterprise_members_deactivate(enterprise=enterprise) if deactivate_members else 0
    detail = (
        f"deactivated {deactivated} member{'s' if deactivated != 1 else ''}"
        if deactivate_members
        else "members kept active, managed by hand"
    )
    audit_record(enterprise=enterprise, actor=actor, action=AuditEvent.Action.SCIM_DISABLED, detail=detail)
    return deactivated

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


@transaction.atomic
def enterprise_create(*, slug: str, name: str, admin: AbstractBaseUser | None = None) -> Enterprise:
    enterprise = Enterprise.objects.create(slug=slug, name=name)
    if admin is not None:
        enterprise.admins.add(admin)
    return enterprise


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
    audit_record(enterprise=enterprise, actor=actor, action=action)

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from enterprise.directory.admin import MemberAdmin
from enterprise.directory.models import Member
from enterprise.models import Role
from enterprise.roles.services import SeatsExhausted, member_role_set


def _role_by_hand(role: str, description: str):
    @admin.action(description=description)
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        for member in queryset.select_related("enterprise"):
            try:
                member_role_set(member=member, role=role, actor=request.user)
            except (ValidationError, SeatsExhausted) as exc:
                text = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
                modeladmin.message_user(request, f"{member}: {text}", messages.ERROR)
        modeladmin.message_user(request, "Roles by hand saved where they could be.", messages.SUCCESS)

    action.__name__ = f"role_by_hand_{role or 'none'}"
    return action


# Support gives members a role by hand from the directory's member list: the same service as the page's, so
# each is audited and counted against the seats.
admin.site.unregister(Member)


@admin.register(Member)
class MemberRolesAdmin(MemberAdmin):
    list_display = [*MemberAdmin.list_display, "app_role", "role_by_hand"]
    actions = [
        *(_role_by_hand(role.value, f"Make selected members {role.label}s by hand") for role in Role),
        _role_by_hand("", "Take back the role given by hand"),
    ]

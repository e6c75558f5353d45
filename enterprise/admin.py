from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from enterprise.activity.models import AuditEvent
from enterprise.activity.services import audit_record
from enterprise.credentials.admin import ScimTokenInline
from enterprise.credentials.services import enterprise_credentials_changed
from enterprise.models import Enterprise
from enterprise.roles.services import enterprise_admins_by_hand_recorded
from enterprise.services import enterprise_scim_toggle


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "scim_enabled", "seats", "member_count", "created_at"]
    list_filter = ["scim_enabled"]
    search_fields = ["name", "slug", "public_id"]
    readonly_fields = ["public_id", "scim_endpoint", "token_endpoint", "created_at", "updated_at"]
    filter_horizontal = ["admins"]
    inlines = [ScimTokenInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(ordering="member_count", description="members")
    def member_count(self, obj: Enterprise) -> int:
        return obj.member_count

    def save_model(self, request: HttpRequest, obj: Enterprise, form, change: bool) -> None:
        # The provisioning switch goes through its service: an audit row, and SCIM workers stop at once.
        enabled = obj.scim_enabled
        switched = change and "scim_enabled" in form.changed_data
        if switched:
            obj.scim_enabled = not enabled
        super().save_model(request, obj, form, change)
        if switched:
            enterprise_scim_toggle(enterprise=obj, enabled=enabled, actor=request.user)
        if change and {"seats", "default_role"} & set(form.changed_data):
            # SCIM workers cache the enterprise with its credentials: they read the new values at once.
            enterprise_credentials_changed(enterprise=obj)
        if change and "seats" in form.changed_data:
            seats = "unlimited" if obj.seats is None else str(obj.seats)
            audit_record(
                enterprise=obj,
                actor=request.user,
                action=AuditEvent.Action.SEATS_CHANGED,
                detail=f"{seats} seats",
            )

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        before = set(form.instance.admins.values_list("pk", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        enterprise_admins_by_hand_recorded(enterprise=form.instance, before=before, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Enterprise) -> None:
        super().delete_model(request, obj)
        enterprise_credentials_changed(enterprise=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        enterprises = list(queryset)
        super().delete_queryset(request, queryset)
        for enterprise in enterprises:
            enterprise_credentials_changed(enterprise=enterprise)

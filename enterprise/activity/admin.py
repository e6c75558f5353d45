from django.contrib import admin

from enterprise.activity.models import AuditEvent, ProvisioningEvent
from plandisc.admin import ReadOnlyAdmin


@admin.register(ProvisioningEvent)
class ProvisioningEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "enterprise", "summary", "method", "path", "status", "duration_ms"]
    list_filter = ["status", "action", "method", "resource_type", "enterprise"]
    search_fields = ["path", "resource_id", "=target_id", "target_label", "detail", "enterprise__slug"]
    list_select_related = ["enterprise"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "enterprise", "action", "actor", "detail"]
    list_filter = ["action", "enterprise"]
    search_fields = ["enterprise__slug", "actor__email", "detail"]
    list_select_related = ["enterprise", "actor"]

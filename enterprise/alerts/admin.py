from django.contrib import admin

from enterprise.alerts.models import Alert
from plandisc.admin import ReadOnlyAdmin


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["kind", "headline", "enterprise", "opened_at", "sent_at", "resolved_at"]
    list_filter = ["kind", "enterprise"]
    list_select_related = ["enterprise"]
    readonly_fields = [f.name for f in Alert._meta.fields]

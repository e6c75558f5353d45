from django.contrib import admin

from enterprise.directory.models import Group, Member
from plandisc.admin import ReadOnlyAdmin


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ["user_name", "display_name", "email", "enterprise", "active", "deleted_at", "updated_at"]
    list_filter = ["active", "enterprise"]
    search_fields = ["user_name", "display_name", "email", "external_id", "=scim_id"]
    list_select_related = ["enterprise"]
    readonly_fields = [f.name for f in Member._meta.fields]
    show_full_result_count = False

    def get_queryset(self, request):
        # Support staff see recently deleted members too (the default manager leaves them out).
        return Member._base_manager.select_related("enterprise")


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    list_display = ["display_name", "enterprise", "role", "external_id", "updated_at"]
    list_filter = ["role", "enterprise"]
    search_fields = ["display_name", "external_id", "=scim_id"]
    list_select_related = ["enterprise"]
    readonly_fields = [f.name for f in Group._meta.fields]

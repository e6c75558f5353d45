from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from enterprise.activity.models import AuditEvent
from enterprise.sso import services
from enterprise.sso.models import LoginAccount, SsoConnection, SsoDomain
from plandisc.admin import ReadOnlyAdmin


class SsoDomainInline(admin.TabularInline):
    model = SsoDomain
    fields = ["domain", "verified_at", "created_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SsoConnection)
class SsoConnectionAdmin(ReadOnlyAdmin):
    """Set up by the enterprise's admins on the Enterprise page; support looks, or deletes a wrong one."""

    list_display = ["enterprise", "idp_entity_id", "certificate_expires_at", "allow_jit", "updated_at"]
    list_filter = ["allow_jit"]
    search_fields = ["enterprise__name", "enterprise__slug", "idp_entity_id", "domains__domain"]
    list_select_related = ["enterprise"]
    readonly_fields = [f.name for f in SsoConnection._meta.fields]
    inlines = [SsoDomainInline]


@admin.register(SsoDomain)
class SsoDomainAdmin(ReadOnlyAdmin):
    """
    Email domains enterprises claim. Support verifies one whose owner cannot publish a TXT record, or reclaims
    one (removes the claim, verified or not) from an enterprise that should not have it; both are audited.
    """

    list_display = ["domain", "enterprise", "verified_at", "created_at"]
    list_filter = [("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["domain", "connection__enterprise__slug", "connection__enterprise__name"]
    list_select_related = ["connection__enterprise"]
    fields = ["domain", "connection", "verified_at", "created_at"]
    readonly_fields = fields
    actions = ["verify", "reclaim"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(ordering="connection__enterprise__name")
    def enterprise(self, obj: SsoDomain) -> str:
        return str(obj.connection.enterprise)

    @admin.action(description="Verify selected domains (Plandisc support vouches for them)")
    def verify(self, request: HttpRequest, queryset: QuerySet) -> None:
        for domain in queryset.select_related("connection__enterprise"):
            try:
                services.sso_domain_mark_verified(domain=domain, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{domain} is not verified: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{domain} is verified.", messages.SUCCESS)

    @admin.action(description="Reclaim selected domains (remove them from their enterprise)")
    def reclaim(self, request: HttpRequest, queryset: QuerySet) -> None:
        for domain in queryset.select_related("connection__enterprise"):
            services.sso_domain_remove(
                domain=domain, actor=request.user, action=AuditEvent.Action.DOMAIN_RECLAIMED
            )
        self.message_user(request, "The selected domains are reclaimed.", messages.SUCCESS)


@admin.register(LoginAccount)
class LoginAccountAdmin(ReadOnlyAdmin):
    """The enterprise each login account belongs to: only its single sign-on signs in as the account."""

    list_display = ["user", "enterprise", "created_at"]
    list_filter = ["enterprise"]
    search_fields = ["user__username", "user__email", "enterprise__slug"]
    list_select_related = ["user", "enterprise"]
    readonly_fields = ["user", "enterprise", "created_at"]

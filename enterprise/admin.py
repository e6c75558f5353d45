from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from enterprise import services
from enterprise.models import (
    AuditEvent,
    ClientSecret,
    Enterprise,
    FederationTrust,
    Group,
    LoginAccount,
    Member,
    ProvisioningEvent,
    ScimToken,
    SsoConnection,
    SsoDomain,
)
from enterprise.sso import services as sso_services


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the identity provider or by services: support staff look, they do not edit."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ScimTokenInline(admin.TabularInline):
    model = ScimToken
    fields = ScimToken.DISPLAY_FIELDS
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "scim_enabled", "member_count", "created_at"]
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
            services.enterprise_scim_toggle(enterprise=obj, enabled=enabled, actor=request.user)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        before = set(form.instance.admins.values_list("pk", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        services.enterprise_admins_by_hand_recorded(
            enterprise=form.instance, before=before, actor=request.user
        )

    def delete_model(self, request: HttpRequest, obj: Enterprise) -> None:
        super().delete_model(request, obj)
        services.enterprise_credentials_changed(enterprise=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        enterprises = list(queryset)
        super().delete_queryset(request, queryset)
        for enterprise in enterprises:
            services.enterprise_credentials_changed(enterprise=enterprise)


@admin.register(ScimToken)
class ScimTokenAdmin(ReadOnlyAdmin):
    list_display = ["hint", "enterprise", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["hint", "enterprise__name", "enterprise__slug"]
    list_select_related = ["enterprise"]
    # The digest is never shown: it is a secret's fingerprint and of no use to support staff.
    fields = ["enterprise", *ScimToken.DISPLAY_FIELDS]
    readonly_fields = fields
    actions = ["revoke"]

    @admin.action(description="Revoke selected tokens now")
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            services.scim_token_revoke(token=token, actor=request.user)
        self.message_user(request, "The selected tokens are revoked.", messages.SUCCESS)


class OAuthCredentialAdmin(ReadOnlyAdmin):
    """Client secrets and federation trusts: support looks and revokes. They are created by the enterprise's
    admins on the Enterprise page, or by `create_scim_client` / `configure_scim_federation` (so a secret's
    plaintext is shown once, never in an admin message)."""

    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["client__enterprise"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["enterprise", "client", *self.model.DISPLAY_FIELDS]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return self.get_fields(request, obj)

    @admin.display(description="enterprise")
    def enterprise(self, obj: ClientSecret | FederationTrust) -> Enterprise:
        return obj.client.enterprise


@admin.register(ClientSecret)
class ClientSecretAdmin(OAuthCredentialAdmin):
    list_display = ["hint", "enterprise", "created_at", "last_used_at", "expires_at", "revoked_at"]
    search_fields = ["hint", "client__enterprise__name", "client__enterprise__slug", "=client__client_id"]

    @admin.action(description="Revoke selected client secrets now (their access tokens end too)")
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        for secret in queryset.filter(revoked_at__isnull=True):
            services.client_secret_revoke(secret=secret, actor=request.user)
        self.message_user(request, "The selected client secrets are revoked.", messages.SUCCESS)


@admin.register(FederationTrust)
class FederationTrustAdmin(OAuthCredentialAdmin):
    list_display = ["enterprise", "issuer", "subject", "audience", "last_used_at", "revoked_at"]
    search_fields = ["issuer", "subject", "audience", "client__enterprise__slug", "=client__client_id"]

    @admin.action(description="Remove the selected federation trusts now (their access tokens end too)")
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        for trust in queryset.filter(revoked_at__isnull=True).select_related("client__enterprise"):
            services.federation_trust_revoke(enterprise=trust.client.enterprise, actor=request.user)
        self.message_user(request, "The selected federation trusts are removed.", messages.SUCCESS)


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ["user_name", "display_name", "email", "enterprise", "active", "updated_at"]
    list_filter = ["active", "enterprise"]
    search_fields = ["user_name", "display_name", "email", "external_id", "=scim_id"]
    list_select_related = ["enterprise"]
    readonly_fields = [f.name for f in Member._meta.fields]
    show_full_result_count = False


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    list_display = ["display_name", "enterprise", "grants_admin", "external_id", "updated_at"]
    list_filter = ["grants_admin", "enterprise"]
    search_fields = ["display_name", "external_id", "=scim_id"]
    list_select_related = ["enterprise"]
    readonly_fields = [f.name for f in Group._meta.fields]


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
                sso_services.sso_domain_mark_verified(domain=domain, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{domain} is not verified: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{domain} is verified.", messages.SUCCESS)

    @admin.action(description="Reclaim selected domains (remove them from their enterprise)")
    def reclaim(self, request: HttpRequest, queryset: QuerySet) -> None:
        for domain in queryset.select_related("connection__enterprise"):
            sso_services.sso_domain_remove(
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

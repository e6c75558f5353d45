from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from enterprise.credentials import services
from enterprise.credentials.models import ClientSecret, FederationTrust, ScimToken
from enterprise.models import Enterprise
from plandisc.admin import ReadOnlyAdmin


class ScimTokenInline(admin.TabularInline):
    model = ScimToken
    fields = ScimToken.DISPLAY_FIELDS
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


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

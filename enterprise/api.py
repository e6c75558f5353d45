"""
The Enterprise page's actions as a JSON API, for scripts and automation: session authentication with
CSRF, the same permission rule (admins of the enterprise in the URL) and the same services as the page.
"""

import dataclasses

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from enterprise.activity.models import ProvisioningEvent
from enterprise.activity.selectors import (
    ACTIVITY_FIELDS,
    ActivityFilter,
    CappedPaginator,
    Outcome,
    provisioning_activity,
)
from enterprise.credentials import services as credentials
from enterprise.credentials.models import ClientSecret, FederationTrust, ScimToken
from enterprise.credentials.selectors import client_secret_of, live_scim_tokens, oauth_settings, scim_token_of
from enterprise.forms import FederationForm
from enterprise.models import Role
from enterprise.roles.selectors import account_roles, admin_warning, enterprise_admins, enterprise_for_admin
from enterprise.roles.services import enterprise_admin_groups_set
from enterprise.selectors import scim_status
from enterprise.services import enterprise_scim_toggle
from enterprise.setup_check import setup_check


class CredentialSerializer(serializers.ModelSerializer):
    """A way into the SCIM endpoint as its DISPLAY_FIELDS show it: never a secret or its digest."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    revoked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)


class ScimTokenSerializer(CredentialSerializer):
    class Meta:
        model = ScimToken
        fields = ["id", *ScimToken.DISPLAY_FIELDS]


class ClientSecretSerializer(CredentialSerializer):
    class Meta:
        model = ClientSecret
        fields = ["id", *ClientSecret.DISPLAY_FIELDS]


class FederationTrustSerializer(CredentialSerializer):
    class Meta:
        model = FederationTrust
        fields = FederationTrust.DISPLAY_FIELDS


class TokenRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProvisioningEvent
        fields = ["created_at", "status", "credential", "detail"]


class OAuthSettingsSerializer(serializers.Serializer):
    client_id = serializers.UUIDField(source="client.client_id", default=None)
    client_secrets = ClientSecretSerializer(source="secrets", many=True)
    federation = FederationTrustSerializer(source="trust")
    secret_warning = serializers.CharField()
    last_token_request = TokenRequestSerializer()


class HealthSerializer(serializers.Serializer):
    level = serializers.CharField()
    text = serializers.CharField()


class ScimStatusSerializer(serializers.Serializer):
    last_request_at = serializers.DateTimeField(source="last_request.created_at", default=None)
    active_members = serializers.IntegerField()
    deactivated_members = serializers.IntegerField()
    groups = serializers.IntegerField()
    health = HealthSerializer()


class ProvisioningEventSerializer(serializers.ModelSerializer):
    outcome = serializers.SerializerMethodField()

    class Meta:
        model = ProvisioningEvent
        fields = ["created_at", *ACTIVITY_FIELDS]

    def get_outcome(self, event: ProvisioningEvent) -> str:
        return Outcome.of(event.status).value


class ScimToggleSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    # Turning provisioning off: keep its members active (managed by hand), or deactivate them all.
    members = serializers.ChoiceField(choices=["keep", "deactivate"], default="keep")


@api_view(["GET"])
def scim_settings(request: Request, slug: str) -> Response:
    """The SCIM endpoint, whether provisioning is on, the live tokens (newest first, masked), the status."""
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    now = timezone.now()
    return Response(
        {
            "enterprise": enterprise.slug,
            "scim_endpoint": enterprise.scim_endpoint,
            "scim_enabled": enterprise.scim_enabled,
            "tokens": ScimTokenSerializer(live_scim_tokens(enterprise, now), many=True).data,
            "token_endpoint": enterprise.token_endpoint,
            "access_token_lifetime": enterprise.access_token_lifetime,
            "oauth": OAuthSettingsSerializer(oauth_settings(enterprise, now)).data,
            "status": ScimStatusSerializer(scim_status(enterprise, now)).data,
        }
    )


class ClientSecretCreateSerializer(serializers.Serializer):
    years = serializers.IntegerField(
        default=ClientSecret.DEFAULT_YEARS, min_value=1, max_value=ClientSecret.MAX_YEARS
    )


class TokenLifetimeSerializer(serializers.Serializer):
    hours = serializers.IntegerField(min_value=1, max_value=6)


@api_view(["POST"])
@parser_classes([JSONParser])
def client_secret_create(request: Request, slug: str) -> Response:
    """Add a client secret to the enterprise's OAuth client; `plaintext` is in this response only."""
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    serializer = ClientSecretCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    secret, plaintext = credentials.client_secret_create(
        enterprise=enterprise, years=serializer.validated_data["years"], actor=request.user
    )
    response = Response(
        {
            "client_id": str(secret.client.client_id),
            "token_endpoint": enterprise.token_endpoint,
            "client_secret": ClientSecretSerializer(secret).data,
            "plaintext": plaintext,
        },
        status.HTTP_201_CREATED,
    )
    add_never_cache_headers(response)
    return response


@api_view(["POST"])
def client_secret_revoke(request: Request, slug: str, secret_id: int) -> Response:
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    secret = client_secret_of(enterprise=enterprise, secret_id=secret_id)
    credentials.client_secret_revoke(secret=secret, actor=request.user)
    return Response(ClientSecretSerializer(secret).data)


@api_view(["POST"])
@parser_classes([JSONParser])
def token_lifetime(request: Request, slug: str) -> Response:
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    serializer = TokenLifetimeSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    credentials.access_token_lifetime_set(
        enterprise=enterprise, hours=serializer.validated_data["hours"], actor=request.user
    )
    return Response({"access_token_lifetime": enterprise.access_token_lifetime})


@api_view(["POST"])
@parser_classes([JSONParser])
def federation_save(request: Request, slug: str) -> Response:
    """Trust an issuer's JWTs for a subject and audience (`tenant_id` alone gives Entra's issuer and keys)."""
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    form = FederationForm(data=request.data)
    if not form.is_valid():
        return Response(form.errors, status.HTTP_400_BAD_REQUEST)
    values = {name: form.cleaned_data[name] for name in ("issuer", "jwks_url", "subject", "audience")}
    try:
        trust = credentials.federation_trust_save(enterprise=enterprise, actor=request.user, **values)
    except ValidationError as exc:
        return Response({"__all__": exc.messages}, status.HTTP_400_BAD_REQUEST)
    return Response(
        {
            "client_id": str(trust.client.client_id),
            "token_endpoint": enterprise.token_endpoint,
            "scim_endpoint": enterprise.scim_endpoint,
            "federation": FederationTrustSerializer(trust).data,
        },
        status.HTTP_201_CREATED,
    )


@api_view(["POST"])
def federation_revoke(request: Request, slug: str) -> Response:
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    credentials.federation_trust_revoke(enterprise=enterprise, actor=request.user)
    return Response({"federation": None})


@api_view(["POST"])
def token_rotate(request: Request, slug: str) -> Response:
    """Issue a token; `plaintext` is in this response only. Previous tokens keep working until the new one is
    first used, or for 24 hours."""
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    token, plaintext = credentials.scim_token_rotate(enterprise=enterprise, actor=request.user)
    response = Response(
        {"token": ScimTokenSerializer(token).data, "plaintext": plaintext}, status.HTTP_201_CREATED
    )
    add_never_cache_headers(response)
    return response


@api_view(["POST"])
def token_revoke(request: Request, slug: str, token_id: int) -> Response:
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    token = scim_token_of(enterprise=enterprise, token_id=token_id)
    credentials.scim_token_revoke(token=token, actor=request.user)
    return Response(ScimTokenSerializer(token).data)


@api_view(["POST"])
# JSON only: a form post that leaves `enabled` out would read as false and turn provisioning off.
@parser_classes([JSONParser])
def scim_toggle(request: Request, slug: str) -> Response:
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    serializer = ScimToggleSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    deactivated = enterprise_scim_toggle(
        enterprise=enterprise,
        enabled=serializer.validated_data["enabled"],
        actor=request.user,
        deactivate_members=serializer.validated_data["members"] == "deactivate",
    )
    return Response({"scim_enabled": enterprise.scim_enabled, "deactivated_members": deactivated})


class ActivityPagination(PageNumberPagination):
    """DRF's page shape, `count` counted at most to the cap (CappedPaginator): 10,001 means "more than
    10,000" (further on, one more than the requests up to the page asked for), and `next` stays a link."""

    django_paginator_class = CappedPaginator


@api_view(["GET"])
def activity(request: Request, slug: str) -> Response:
    """The enterprise's SCIM requests of a period, newest first, paged; `?period=` 24h, 7d (the default), 30d
    or 90d (the default with `target`); `?kind=errors` keeps the failed ones, `?kind=changes` the changes,
    `?target=<SCIM id>` those about one member or group. `count` stops at 10,001: "more than 10,000"."""
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    events = provisioning_activity(enterprise, ActivityFilter.of(request.query_params))
    paginator = ActivityPagination()
    page = paginator.paginate_queryset(events, request)
    return paginator.get_paginated_response(ProvisioningEventSerializer(page, many=True).data)


@api_view(["GET"])
def setup_check_lines(request: Request, slug: str) -> Response:
    """What "Check my setup" finds, checked now: one line per thing, each ok, warning or problem."""
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    lines = setup_check(enterprise, timezone.now())
    response = Response({"lines": [dataclasses.asdict(line) for line in lines]})
    add_never_cache_headers(response)
    return response


def _admins_body(enterprise) -> dict:
    admins = enterprise_admins(enterprise)
    return {
        "admins": [
            {"username": a.user.get_username(), "by_hand": a.by_hand, "groups": a.groups} for a in admins
        ],
        "admin_groups": [
            {"id": str(g.scim_id), "display_name": g.display_name}
            for g in enterprise.groups.filter(role=Role.ADMIN).order_by("display_name")
        ],
        "warning": admin_warning(admins),
    }


@api_view(["GET"])
def admins(request: Request, slug: str) -> Response:
    """The enterprise's admins, each with where the role comes from (by hand, through which groups), and the
    groups that grant it (by SCIM id)."""
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    return Response(_admins_body(enterprise))


class AdminGroupsSerializer(serializers.Serializer):
    groups = serializers.ListField(child=serializers.UUIDField(), allow_empty=True)


@api_view(["POST"])
@parser_classes([JSONParser])
def admin_groups(request: Request, slug: str) -> Response:
    """Set the groups (SCIM ids) whose active members are admins; 400 if no admin would remain."""
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    serializer = AdminGroupsSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    wanted = set(serializer.validated_data["groups"])
    groups = list(enterprise.groups.filter(scim_id__in=wanted))
    if len(groups) != len(wanted):
        return Response(
            {"groups": ["Every group must be one of this enterprise's."]}, status.HTTP_400_BAD_REQUEST
        )
    try:
        enterprise_admin_groups_set(enterprise=enterprise, groups=groups, actor=request.user)
    except ValidationError as exc:
        return Response({"__all__": exc.messages}, status.HTTP_400_BAD_REQUEST)
    return Response(_admins_body(enterprise))


@api_view(["GET"])
def me(request: Request) -> Response:
    """What the signed-in login account may do: its role in each enterprise it may use, where the role comes
    from, and what the role allows. For the rest of Plandisc; any signed-in account may ask about itself."""
    return Response(
        {
            "username": request.user.get_username(),
            "enterprises": [
                {
                    "slug": found.enterprise.slug,
                    "name": found.enterprise.name,
                    "role": found.role.value,
                    "role_from": found.source,
                    "permissions": found.role.permissions,
                }
                for found in account_roles(request.user)
            ],
        }
    )

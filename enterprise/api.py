"""
The Enterprise page's actions as a JSON API, for scripts and automation: session authentication with
CSRF, the same permission rule (admins of the enterprise in the URL) and the same services as the page.
"""

from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from enterprise import selectors, services
from enterprise.models import ProvisioningEvent, ScimToken


class ScimTokenSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    revoked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ScimToken
        fields = ["id", *ScimToken.DISPLAY_FIELDS]


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
        fields = ["created_at", *selectors.ACTIVITY_FIELDS]

    def get_outcome(self, event: ProvisioningEvent) -> str:
        return selectors.Outcome.of(event.status).value


class ScimToggleSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()


@api_view(["GET"])
def scim_settings(request: Request, slug: str) -> Response:
    """The SCIM endpoint, whether provisioning is on, the live tokens (newest first, masked), the status."""
    enterprise = selectors.enterprise_for_admin(user=request.user, slug=slug)
    now = timezone.now()
    return Response(
        {
            "enterprise": enterprise.slug,
            "scim_endpoint": enterprise.scim_endpoint,
            "scim_enabled": enterprise.scim_enabled,
            "tokens": ScimTokenSerializer(selectors.live_scim_tokens(enterprise, now), many=True).data,
            "status": ScimStatusSerializer(selectors.scim_status(enterprise, now)).data,
        }
    )


@api_view(["POST"])
def token_rotate(request: Request, slug: str) -> Response:
    """Issue a token; `plaintext` is in this response only. Previous tokens keep working until the new one is
    first used, or for 24 hours."""
    enterprise = selectors.enterprise_for_admin(user=request.user, slug=slug)
    token, plaintext = services.scim_token_rotate(enterprise=enterprise, actor=request.user)
    response = Response(
        {"token": ScimTokenSerializer(token).data, "plaintext": plaintext}, status.HTTP_201_CREATED
    )
    add_never_cache_headers(response)
    return response


@api_view(["POST"])
def token_revoke(request: Request, slug: str, token_id: int) -> Response:
    enterprise = selectors.enterprise_for_admin(user=request.user, slug=slug)
    token = selectors.scim_token_of(enterprise=enterprise, token_id=token_id)
    services.scim_token_revoke(token=token, actor=request.user)
    return Response(ScimTokenSerializer(token).data)


@api_view(["POST"])
# JSON only: a form post that leaves `enabled` out would read as false and turn provisioning off.
@parser_classes([JSONParser])
def scim_toggle(request: Request, slug: str) -> Response:
    enterprise = selectors.enterprise_for_admin(user=request.user, slug=slug)
    serializer = ScimToggleSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    services.enterprise_scim_toggle(
        enterprise=enterprise, enabled=serializer.validated_data["enabled"], actor=request.user
    )
    return Response({"scim_enabled": enterprise.scim_enabled})


@api_view(["GET"])
def activity(request: Request, slug: str) -> Response:
    """The enterprise's SCIM requests, newest first, paged; `?errors=1` keeps the failed ones."""
    enterprise = selectors.enterprise_for_admin(user=request.user, slug=slug)
    events = selectors.provisioning_activity(
        enterprise, errors_only=request.query_params.get("errors") == "1"
    )
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(events, request)
    return paginator.get_paginated_response(ProvisioningEventSerializer(page, many=True).data)

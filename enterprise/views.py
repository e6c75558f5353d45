from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from enterprise.models import Enterprise


def _get_enterprise_for_admin(request: HttpRequest) -> Enterprise:
    enterprise = request.user.administered_enterprises.order_by("name").first()
    if enterprise is None:
        raise PermissionDenied("You are not an admin of any enterprise.")
    return enterprise


@login_required
def home(request: HttpRequest) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request)
    tokens = enterprise.scim_tokens.live()
    return render(request, "enterprise/home.html", {"enterprise": enterprise, "tokens": tokens})

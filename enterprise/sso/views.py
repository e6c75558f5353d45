"""
Single sign-on views: finding a person's identity provider from their work email, sending them there
(SP-initiated), receiving the signed response (SP- or IdP-initiated), the page a signed-in member lands on,
Plandisc's SAML metadata, and the Enterprise page's single sign-on settings and email domains. The rules live
in enterprise.sso.services.
"""

import logging
import secrets
from http import HTTPStatus
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from enterprise.directory.models import Member
from enterprise.language import chosen_language, session_language_set
from enterprise.models import Enterprise
from enterprise.roles.selectors import administered_enterprises, enterprise_for_admin, member_roles
from enterprise.sso import saml, services
from enterprise.sso.forms import SsoConnectionForm, SsoDomainForm
from enterprise.sso.models import SamlRequest, SsoConnection, SsoDomain

logger = logging.getLogger(__name__)

UNKNOWN_DOMAIN = _(
    "Plandisc doesn't know single sign-on for this address. Sign in with your password, or use the sign-in "
    "link your organisation gave you."
)
# The secret that ties an SP-initiated sign-in to the browser that started it. Entra posts the response from
# its own site, so the cookie must be SameSite=None (and so Secure) to come back with it.
BROWSER_COOKIE = "plandisc_sso_browser"


def _safe_next(request: HttpRequest, url: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else ""


def _connection(public_id) -> SsoConnection:
    return get_object_or_404(
        SsoConnection.objects.select_related("enterprise"), enterprise__public_id=public_id
    )


@require_POST
def discover(request: HttpRequest) -> HttpResponse:
    """The sign-in page's "Sign in with single sign-on": a verified email domain leads to its enterprise."""
    email = request.POST.get("email", "").strip()
    next_url = _safe_next(request, request.POST.get("next", ""))
    connection = services.sso_connection_for_email(email)
    if connection is None:
        context = {
            "form": AuthenticationForm(request),
            "next": next_url,
            "sso_email": email,
            "sso_error": UNKNOWN_DOMAIN,
        }
        return render(request, "registration/login.html", context)
    url = reverse("sso:login", args=[connection.enterprise.public_id])
    return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)


@require_GET
def login(request: HttpRequest, public_id: str) -> HttpResponse:
    """SP-initiated sign-in (the enterprise's sign-in link, Entra's Sign on URL): off to the IdP."""
    connection = _connection(public_id)
    next_url = _safe_next(request, request.GET.get("next", ""))
    browser = request.COOKIES.get(BROWSER_COOKIE) or secrets.token_urlsafe(32)
    response = redirect(
        services.sso_request_start(connection=connection, relay_state=next_url, browser=browser)
    )
    response.set_cookie(
        BROWSER_COOKIE,
        browser,
        max_age=int(SamlRequest.LIFETIME.total_seconds()),
        # Sent to this enterprise's single sign-on URLs only (/sso/<enterprise id>/).
        path=reverse("sso:login", args=[public_id]).removesuffix("login/"),
        secure=True,
        httponly=True,
        samesite="None",
    )
    return response


# The identity provider's page posts the response here from its own site, so there is no CSRF token; the
# signed, audience-bound, single-use assertion is what proves the request.
@csrf_exempt
@require_POST
def acs(request: HttpRequest, public_id: str) -> HttpResponse:
    """The reply URL: a signed SAML response signs its member in, or a page says why not."""
    connection = _connection(public_id)
    enterprise = connection.enterprise
    try:
        member = services.sso_sign_in(
            connection=connection,
            saml_response=request.POST.get("SAMLResponse", ""),
            browser=request.COOKIES.get(BROWSER_COOKIE, ""),
        )
    except services.SignInRefused as refusal:
        reference = services.sso_refusal_record(enterprise=enterprise, detail=refusal.detail)
        logger.warning(
            "Single sign-on to %s refused (%s): %.500s", enterprise.slug, reference, refusal.detail
        )
        context = {"enterprise": enterprise, "message": refusal.message, "reference": reference}
        return render(request, "sso/refused.html", context, status=HTTPStatus.FORBIDDEN)
    auth_login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
    services.sso_session_start(member=member, session=request.session)
    # The language the person chose themselves, else the one Entra's preferredLanguage gives.
    session_language_set(request, chosen_language(member.user) or member.language)
    next_url = _safe_next(request, request.POST.get("RelayState", ""))
    return redirect(next_url or "sso:signed-in")


@login_required
@require_GET
def signed_in(request: HttpRequest) -> HttpResponse:
    """Where a single sign-on lands: who the person is, through which enterprise. Other sessions go on."""
    member = (
        Member.objects.select_related("enterprise")
        .filter(pk=request.session.get(services.SSO_MEMBER_SESSION_KEY), user=request.user)
        .first()
    )
    if member is None:
        return redirect(resolve_url(settings.LOGIN_REDIRECT_URL))
    is_admin = administered_enterprises(request.user).filter(pk=member.enterprise_id).exists()
    role = member_roles([member])[member.pk]
    return render(request, "sso/signed_in.html", {"member": member, "is_admin": is_admin, "role": role})


@require_GET
def metadata(request: HttpRequest, public_id: str) -> HttpResponse:
    """Plandisc's SAML metadata for the enterprise; its URL is also the service provider's entity id."""
    enterprise = get_object_or_404(Enterprise, public_id=public_id)
    response = HttpResponse(
        saml.sp_metadata(SsoConnection.objects.for_enterprise(enterprise)),
        content_type="application/samlmetadata+xml",
    )
    response["Content-Disposition"] = f'attachment; filename="plandisc-{enterprise.slug}-saml.xml"'
    return response


def _section(enterprise: Enterprise, anchor: str = "sso") -> HttpResponse:
    return redirect(reverse("enterprise:detail", args=[enterprise.slug]) + f"#{anchor}")


@login_required
@require_POST
def configure(request: HttpRequest, slug: str) -> HttpResponse:
    """Save the Enterprise page's single sign-on settings (Entra's metadata, members at first sign-in)."""
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    form = SsoConnectionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.sso_connection_save(
                enterprise=enterprise,
                metadata_xml=form.cleaned_data["metadata"],
                allow_jit=form.cleaned_data["allow_jit"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Single sign-on settings saved."))
            return _section(enterprise)
    context = {"enterprise": enterprise, "form": form}
    return render(request, "sso/configure.html", context, status=HTTPStatus.BAD_REQUEST)


@login_required
@require_POST
def domain_add(request: HttpRequest, slug: str) -> HttpResponse:
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    connection = get_object_or_404(SsoConnection, enterprise=enterprise)
    form = SsoDomainForm(request.POST)
    if form.is_valid():
        try:
            services.sso_domain_add(
                connection=connection, domain=form.cleaned_data["domain"], actor=request.user
            )
        except ValidationError as exc:
            form.add_error("domain", exc)
        else:
            return _section(enterprise, "sso-domains")
    context = {"enterprise": enterprise, "form": form}
    return render(request, "sso/domain_add.html", context, status=HTTPStatus.BAD_REQUEST)


def _domain_of(request: HttpRequest, slug: str, domain_id: int) -> SsoDomain:
    enterprise = enterprise_for_admin(user=request.user, slug=slug)
    return get_object_or_404(
        SsoDomain.objects.select_related("connection__enterprise"),
        pk=domain_id,
        connection__enterprise=enterprise,
    )


@login_required
@require_POST
def domain_verify(request: HttpRequest, slug: str, domain_id: int) -> HttpResponse:
    """Look for the domain's TXT record now; the page says what was found."""
    domain = _domain_of(request, slug, domain_id)
    try:
        services.sso_domain_verify(domain=domain, actor=request.user)
    except ValidationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "{domain} is verified: people who sign in with an address at it go to your identity provider."
            ).format(domain=domain),
        )
    return _section(domain.connection.enterprise, "sso-domains")


@login_required
@require_POST
def domain_remove(request: HttpRequest, slug: str, domain_id: int) -> HttpResponse:
    domain = _domain_of(request, slug, domain_id)
    services.sso_domain_remove(domain=domain, actor=request.user)
    messages.success(
        request,
        _("{domain} is removed: it no longer leads anyone to your identity provider.").format(domain=domain),
    )
    return _section(domain.connection.enterprise, "sso-domains")

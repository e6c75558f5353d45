"""
Single sign-on views: finding a person's identity provider from their work email, sending them there
(SP-initiated), receiving the signed response (SP- or IdP-initiated), Plandisc's SAML metadata, and the
Enterprise page's settings form. The rules live in enterprise.services; SAML itself in enterprise.saml.
"""

import logging
import re
from http import HTTPStatus
from urllib.parse import urlencode

from django import forms
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
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from enterprise import saml, selectors, services
from enterprise.models import Enterprise, SsoConnection
from enterprise.saml import SignInRefused

logger = logging.getLogger(__name__)

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
UNKNOWN_DOMAIN = (
    "Plandisc doesn't know single sign-on for this address. Sign in with your password, or use the sign-in "
    "link your organisation gave you."
)


class SsoConnectionForm(forms.Form):
    MAX_METADATA_BYTES = 1024 * 1024

    metadata_file = forms.FileField(label="Federation Metadata XML file", required=False)
    metadata_xml = forms.CharField(
        label="or paste the XML",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )
    email_domains = forms.CharField(
        label="Work email domains",
        required=False,
        help_text="People who type an address at these domains on the sign-in page go to your Entra tenant.",
    )
    allow_jit = forms.BooleanField(
        label="Create members at their first sign-in while SCIM provisioning is off", required=False
    )

    def clean_email_domains(self) -> list[str]:
        domains = sorted(
            {d.lstrip("@").lower() for d in re.split(r"[\s,;]+", self.cleaned_data["email_domains"]) if d}
        )
        wrong = [domain for domain in domains if not DOMAIN.match(domain)]
        if wrong:
            raise ValidationError(f"Not a domain: {', '.join(wrong)}")
        return domains

    def clean(self) -> dict:
        cleaned = super().clean()
        upload = cleaned.get("metadata_file")
        if upload is not None and upload.size > self.MAX_METADATA_BYTES:
            raise ValidationError("The metadata file is larger than 1 MB.")
        try:
            text = (
                upload.read().decode("utf-8-sig") if upload is not None else cleaned.get("metadata_xml", "")
            )
        except UnicodeDecodeError:
            raise ValidationError("The metadata file is not UTF-8 XML.") from None
        cleaned["metadata"] = text.strip() or None
        return cleaned


def settings_form(connection: SsoConnection) -> SsoConnectionForm:
    """The Enterprise page's form, filled in with the connection's current choices."""
    domains = " ".join(d.domain for d in connection.domains.all()) if connection.pk else ""
    return SsoConnectionForm(initial={"email_domains": domains, "allow_jit": connection.allow_jit})


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
    """The sign-in page's "Sign in with single sign-on": a work email's domain leads to its enterprise."""
    email = request.POST.get("email", "").strip()
    next_url = _safe_next(request, request.POST.get("next", ""))
    domain = email.rpartition("@")[2].lower()
    connection = SsoConnection.objects.select_related("enterprise").filter(domains__domain=domain).first()
    if "@" not in email or connection is None:
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
    return redirect(services.sso_request_start(connection=connection, relay_state=next_url))


# The identity provider's page posts the response here from its own site, so there is no CSRF token; the
# signed, audience-bound, single-use assertion is what proves the request.
@csrf_exempt
@require_POST
def acs(request: HttpRequest, public_id: str) -> HttpResponse:
    """The reply URL: a signed SAML response signs its member in, or a page says why not."""
    connection = _connection(public_id)
    try:
        member = services.sso_sign_in(
            connection=connection, saml_response=request.POST.get("SAMLResponse", "")
        )
    except SignInRefused as refusal:
        logger.warning("Single sign-on to %s refused: %s", connection.enterprise.slug, refusal)
        context = {"enterprise": connection.enterprise, "refusal": refusal}
        return render(request, "sso/refused.html", context, status=HTTPStatus.FORBIDDEN)
    auth_login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
    services.sso_session_start(member=member, session=request.session)
    next_url = _safe_next(request, request.POST.get("RelayState", ""))
    return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


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


@login_required
@require_POST
def configure(request: HttpRequest, slug: str) -> HttpResponse:
    """Save the Enterprise page's single sign-on settings (Entra's metadata, email domains, JIT)."""
    enterprise = selectors.enterprise_for_admin(user=request.user, slug=slug)
    form = SsoConnectionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.sso_connection_save(
                enterprise=enterprise,
                metadata_xml=form.cleaned_data["metadata"],
                email_domains=form.cleaned_data["email_domains"],
                allow_jit=form.cleaned_data["allow_jit"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Single sign-on settings saved.")
            return redirect(reverse("enterprise:detail", args=[enterprise.slug]) + "#sso")
    context = {"enterprise": enterprise, "form": form}
    return render(request, "sso/configure.html", context, status=HTTPStatus.BAD_REQUEST)

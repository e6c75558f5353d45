"""
The Enterprise page an enterprise's admins use to connect their identity provider: the SCIM endpoint,
the SCIM token (generate, rotate, revoke), the provisioning switch, status and activity, and the members
view. Every state change is one POST view that calls one service.
"""

import csv
import dataclasses
import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from enterprise.activity.models import ProvisioningEvent
from enterprise.activity.selectors import (
    ACTIVITY_FIELDS,
    ActivityChart,
    ActivityFilter,
    CappedPaginator,
    Outcome,
    activity_chart,
    activity_target_label,
    kept_activity,
    last_changes,
    provisioning_activity,
)
from enterprise.alerts.kinds import KINDS
from enterprise.alerts.models import Alert
from enterprise.alerts.selectors import (
    episode_deleted_members,
    in_reader_words,
    notification_email,
    open_alerts,
    opted_out_kinds,
    restorable_episodes,
)
from enterprise.alerts.services import alert_opt_outs_set, alert_settings_save
from enterprise.credentials import services as credentials
from enterprise.credentials.selectors import (
    OAuthSettings,
    client_secret_of,
    live_scim_tokens,
    oauth_settings,
    scim_token_of,
)
from enterprise.directory.selectors import group_listing, provisioned_members, recently_deleted_members
from enterprise.forms import (
    AdminGroupsForm,
    AlertKindsForm,
    ClientSecretForm,
    DefaultRoleForm,
    FederationForm,
    MemberSearchForm,
    NotificationAddressForm,
    RoleForm,
    ScimToggleForm,
    TokenLifetimeForm,
)
from enterprise.models import Enterprise
from enterprise.roles.selectors import (
    admin_warning,
    administered_enterprises,
    enterprise_admins,
    enterprise_for_admin,
    member_roles,
    seats,
)
from enterprise.roles.services import (
    SeatsExhausted,
    enterprise_admin_groups_set,
    enterprise_default_role_set,
    group_role_set,
    member_restore,
    member_role_set,
    members_restore,
)
from enterprise.selectors import scim_status
from enterprise.services import enterprise_scim_toggle
from enterprise.setup_check import setup_check
from enterprise.sso.forms import SsoConnectionForm, SsoDomainForm
from enterprise.sso.middleware import SSO_MEMBER_SESSION_KEY
from enterprise.sso.models import SsoConnection

ACTIVITY_PAGE_SIZE = 20
MEMBERS_PAGE_SIZE = 50


def _get_enterprise_for_admin(request: HttpRequest, slug: str) -> Enterprise:
    return enterprise_for_admin(user=request.user, slug=slug)


def _back_to(slug: str, section: str) -> HttpResponse:
    """After an action: the Enterprise page, at the section the action belongs to."""
    return redirect(reverse("enterprise:detail", args=[slug]) + f"#{section}")


def _render(
    request: HttpRequest, enterprise: Enterprise, template: str, context: dict, status: int = 200
) -> HttpResponse:
    """Render an enterprise page, with the admin's other enterprises for the switcher."""
    enterprises = administered_enterprises(request.user)
    return render(
        request, template, {"enterprise": enterprise, "enterprises": enterprises, **context}, status=status
    )


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The Enterprise link: straight to the admin's enterprise, or a choice when they administer several."""
    enterprises = list(administered_enterprises(request.user))
    if not enterprises and SSO_MEMBER_SESSION_KEY in request.session:
        # A member signed in through single sign-on: the page that says who they are, not a refusal.
        return redirect("sso:signed-in")
    if not enterprises:
        raise PermissionDenied(_("You are not an admin of any enterprise."))
    if len(enterprises) == 1:
        return redirect("enterprise:detail", slug=enterprises[0].slug)
    return render(request, "enterprise/choose.html", {"enterprises": enterprises})


@login_required
@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _render_detail(request, _get_enterprise_for_admin(request, slug))


def _render_detail(
    request: HttpRequest,
    enterprise: Enterprise,
    plaintext: str = "",
    client_secret: str = "",
    federation_form: FederationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    oauth = oauth_settings(enterprise, now)
    trust = oauth.trust
    initial = {"subject": trust.subject, "audience": trust.audience, "issuer": trust.issuer} if trust else {}
    if trust:
        initial["jwks_url"] = trust.jwks_url
    shown = ActivityFilter.of(request.GET)
    events = provisioning_activity(enterprise, shown, now)
    activity = CappedPaginator(events, ACTIVITY_PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(
        request,
        enterprise,
        "enterprise/home.html",
        {
            "tokens": list(live_scim_tokens(enterprise, now)),
            "plaintext": plaintext,
            "status": scim_status(enterprise, now),
            "chart": _chart_drawing(activity_chart(enterprise, now)),
            "activity": activity,
            "activity_rows": [(event, Outcome.of(event.status)) for event in activity],
            # Whether the days kept hold any request, asked only when the period shown has none.
            "any_activity": bool(activity.object_list) or kept_activity(enterprise, now).exists(),
            "shown": shown,
            "activity_kinds": ActivityFilter.KINDS.items(),
            "activity_periods": ActivityFilter.period_choices(),
            "target_label": activity_target_label(enterprise, shown.target) if shown.target else "",
            "changes": enterprise.audit_events.select_related("actor")[:10],
            "oauth": oauth,
            "client_secret": client_secret,
            "secret_form": ClientSecretForm(),
            "lifetime_form": TokenLifetimeForm(initial={"hours": enterprise.access_token_lifetime // 3600}),
            "federation_form": federation_form or FederationForm(initial=initial),
            "auth_method": _auth_method(oauth, plaintext, client_secret, federation_form),
            "sso": _sso_section(enterprise),
            # Shown once, on the page the check redirected to.
            "setup_check": request.session.pop(_setup_check_key(enterprise), None),
            **_admins_section(enterprise),
            **_alerts_section(request, enterprise),
        },
        status=status,
    )


def _auth_method(oauth: OAuthSettings, plaintext: str, client_secret: str, federation_form) -> str:
    """Which way in the page opens: the one just acted on, else the one set up (newest kind first)."""
    if plaintext:
        return "token"
    if client_secret:
        return "oauth"
    if federation_form is not None or oauth.trust:
        return "federation"
    return "oauth" if oauth.secrets else "token"


def _admins_section(enterprise: Enterprise) -> dict:
    admins = enterprise_admins(enterprise)
    return {
        "admins": admins,
        "admin_warning": admin_warning(admins),
        "admin_groups_form": AdminGroupsForm(enterprise=enterprise),
        "seats": seats(enterprise),
        "default_role_form": DefaultRoleForm(initial={"role": enterprise.default_role}),
    }


def _alerts_section(request: HttpRequest, enterprise: Enterprise) -> dict:
    """The open alerts (banners at the top of the page) and the Alerts section: the notification address and
    the kinds the signed-in admin gets emails of."""
    opted_out = opted_out_kinds(enterprise, request.user)
    return {
        "open_alerts": [
            (in_reader_words(alert, enterprise, timezone.now()), KINDS[alert.kind])
            for alert in open_alerts(enterprise)
        ],
        "address_form": NotificationAddressForm(
            initial={"notification_email": notification_email(enterprise)}
        ),
        "kinds_form": AlertKindsForm(
            kinds=KINDS, initial={"kinds": [k for k in KINDS if k not in opted_out]}
        ),
    }


@login_required
@require_POST
def alert_address(request: HttpRequest, slug: str) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    form = NotificationAddressForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(
            _("Enter an email address, or nothing to send alerts to the admins only.")
        )
    address = form.cleaned_data["notification_email"]
    alert_settings_save(enterprise=enterprise, notification_email=address, actor=request.user)
    if address:
        messages.success(
            request,
            _("Alerts go to %(address)s too, besides the admins who want them.") % {"address": address},
        )
    else:
        messages.success(request, _("Alerts go to the admins who want them only."))
    return _back_to(slug, "alerts")


@login_required
@require_POST
def alert_kinds(request: HttpRequest, slug: str) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    form = AlertKindsForm(request.POST, kinds=KINDS)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose among the kinds of alert."))
    wanted = set(form.cleaned_data["kinds"])
    alert_opt_outs_set(enterprise=enterprise, user=request.user, kinds=set(KINDS) - wanted)
    messages.success(request, _("Your alert emails are saved."))
    return _back_to(slug, "alerts")


def _sso_section(enterprise: Enterprise) -> dict:
    """The Single sign-on section: the connection (unsaved before set-up), its email domains, its settings and
    domain forms, and the latest refused sign-ins with their detail."""
    connection = SsoConnection.objects.for_enterprise(enterprise)
    return {
        "connection": connection,
        "form": SsoConnectionForm.for_connection(connection),
        "domains": list(connection.domains.all()) if connection.pk else [],
        "domain_form": SsoDomainForm(),
        "refusals": list(enterprise.sso_refusals.all()[:10]),
    }


def _setup_check_key(enterprise: Enterprise) -> str:
    return f"setup-check-{enterprise.pk}"


@login_required
@require_POST
def setup_check_run(request: HttpRequest, slug: str) -> HttpResponse:
    """Check what Plandisc can check of the enterprise's setup; the page it redirects to shows the lines."""
    enterprise = _get_enterprise_for_admin(request, slug)
    lines = [dataclasses.asdict(line) for line in setup_check(enterprise, timezone.now())]
    request.session[_setup_check_key(enterprise)] = {"lines": lines}
    return _back_to(slug, "setup-check")


@login_required
@require_POST
@never_cache
def token_rotate(request: HttpRequest, slug: str) -> HttpResponse:
    """Issue a token. Its plaintext is rendered into this response only: not redirected to, not put in a
    message or the session, not logged, and `never_cache` keeps it out of the browser's history cache."""
    enterprise = _get_enterprise_for_admin(request, slug)
    _, plaintext = credentials.scim_token_rotate(enterprise=enterprise, actor=request.user)
    return _render_detail(request, enterprise, plaintext=plaintext)


@login_required
@require_POST
def token_revoke(request: HttpRequest, slug: str, token_id: int) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    token = scim_token_of(enterprise=enterprise, token_id=token_id)
    credentials.scim_token_revoke(token=token, actor=request.user)
    messages.success(
        request,
        _("Token %(hint)s is revoked: requests that use it are refused from now on.") % {"hint": token.hint},
    )
    return _back_to(slug, "scim-token")


@login_required
@require_POST
@never_cache
def client_secret_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a client secret. Like a SCIM token, its plaintext is rendered into this response only."""
    enterprise = _get_enterprise_for_admin(request, slug)
    form = ClientSecretForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose when the secret expires: after 1, 2 or 3 years."))
    _secret, raw = credentials.client_secret_create(
        enterprise=enterprise, years=form.cleaned_data["years"], actor=request.user
    )
    return _render_detail(request, enterprise, client_secret=raw)


@login_required
@require_POST
def client_secret_revoke(request: HttpRequest, slug: str, secret_id: int) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    secret = client_secret_of(enterprise=enterprise, secret_id=secret_id)
    credentials.client_secret_revoke(secret=secret, actor=request.user)
    messages.success(
        request,
        _("Client secret %(hint)s is revoked, and the access tokens it obtained end now.")
        % {"hint": secret.hint},
    )
    return _back_to(slug, "scim-oauth")


@login_required
@require_POST
def token_lifetime(request: HttpRequest, slug: str) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    form = TokenLifetimeForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Access tokens work for 1 to 6 hours."))
    hours = form.cleaned_data["hours"]
    credentials.access_token_lifetime_set(enterprise=enterprise, hours=hours, actor=request.user)
    messages.success(
        request,
        ngettext(
            "Access tokens issued from now on work for %(hours)d hour.",
            "Access tokens issued from now on work for %(hours)d hours.",
            hours,
        )
        % {"hours": hours},
    )
    return _back_to(slug, "scim-oauth")


@login_required
@require_POST
def federation_save(request: HttpRequest, slug: str) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    form = FederationForm(request.POST)
    if form.is_valid():
        values = {name: form.cleaned_data[name] for name in ("issuer", "jwks_url", "subject", "audience")}
        try:
            credentials.federation_trust_save(enterprise=enterprise, actor=request.user, **values)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Federation is set up: copy the values below into Entra."))
            return _back_to(slug, "scim-federation")
    return _render_detail(request, enterprise, federation_form=form, status=400)


@login_required
@require_POST
def federation_revoke(request: HttpRequest, slug: str) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    credentials.federation_trust_revoke(enterprise=enterprise, actor=request.user)
    messages.success(request, _("Federation is removed: the access tokens it obtained end now."))
    return _back_to(slug, "scim-federation")


@login_required
@require_POST
def scim_toggle(request: HttpRequest, slug: str) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    form = ScimToggleForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(
            _(
                "Say whether provisioning should be on (true) or off (false), and when off, whether its "
                "members stay active (keep) or are deactivated (deactivate)."
            )
        )
    enabled = form.cleaned_data["enabled"]
    deactivate = form.cleaned_data["members"] == "deactivate"
    deactivated = enterprise_scim_toggle(
        enterprise=enterprise, enabled=enabled, actor=request.user, deactivate_members=deactivate
    )
    if enabled:
        messages.success(
            request, _("Provisioning is on: your identity provider can create and update members.")
        )
    elif deactivate:
        messages.success(
            request,
            ngettext(
                "Provisioning is off, and %(count)d member deactivated: they lost access at once. Requests "
                "from your identity provider are refused with 403.",
                "Provisioning is off, and %(count)d members deactivated: they lost access at once. Requests "
                "from your identity provider are refused with 403.",
                deactivated,
            )
            % {"count": deactivated},
        )
    else:
        messages.success(
            request,
            _(
                "Provisioning is off: its members stay active and are yours to manage by hand. Requests from "
                "your identity provider are refused with 403."
            ),
        )
    return _back_to(slug, "provisioning")


@login_required
@require_POST
def admin_groups(request: HttpRequest, slug: str) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    form = AdminGroupsForm(request.POST, enterprise=enterprise)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose admin groups among this enterprise's groups."))
    try:
        enterprise_admin_groups_set(
            enterprise=enterprise, groups=list(form.cleaned_data["groups"]), actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Admin groups saved: their active members are admins from now on."))
    return _back_to(slug, "admins")


def _role_posted(request: HttpRequest, form: forms.Form, change, done: str) -> HttpResponse | None:
    """Make the role change the posted form asks for (`change(role)`), and say on the next page whether it was
    made or why not. A form that is not valid is a 400."""
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose one of Plandisc's roles."))
    try:
        change(form.cleaned_data["role"])
    except (ValidationError, SeatsExhausted) as exc:
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, done)
    return None


@login_required
@require_POST
def default_role(request: HttpRequest, slug: str) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    refused = _role_posted(
        request,
        DefaultRoleForm(request.POST),
        lambda role: _default_role_set(enterprise, role, request.user),
        _("Default role saved."),
    )
    return refused or _back_to(slug, "roles")


def _default_role_set(enterprise: Enterprise, role: str, actor) -> None:
    enterprise_default_role_set(enterprise=enterprise, role=role, actor=actor)
    # SCIM workers cache the enterprise with its credentials; a user created next must get the new role.
    credentials.enterprise_credentials_changed(enterprise=enterprise)


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str, scim_id: str) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    member = get_object_or_404(enterprise.members, scim_id=scim_id)
    refused = _role_posted(
        request,
        RoleForm(request.POST),
        lambda role: member_role_set(member=member, role=role, actor=request.user),
        _("Role by hand saved for %(name)s.") % {"name": member.user_name},
    )
    return refused or redirect(reverse("enterprise:members", args=[slug]) + f"#member-{member.scim_id}")


@login_required
@require_POST
def group_role(request: HttpRequest, slug: str, scim_id: str) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    group = get_object_or_404(enterprise.groups, scim_id=scim_id)
    refused = _role_posted(
        request,
        RoleForm(request.POST),
        lambda role: group_role_set(group=group, role=role, actor=request.user),
        _("Role saved for group %(name)s.") % {"name": group.display_name},
    )
    return refused or redirect(reverse("enterprise:members", args=[slug]) + f"#group-{group.scim_id}")


CSV_COLUMNS = ["time", *ACTIVITY_FIELDS]


class _Echo:
    """A file that hands back what is written, so csv.writer can feed a streaming response row by row."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: object) -> object:
    # Spreadsheets run cells that start like a formula, and paths and user agents come from whoever
    # calls the endpoint; a leading apostrophe makes them text. Every cell is also quoted (QUOTE_ALL), so a
    # spreadsheet whose list separator is ";" cannot split `probe;=1+2` into a cell that starts with "=".
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_row(event: ProvisioningEvent) -> list:
    computed = {"time": event.created_at.isoformat(), "outcome": Outcome.of(event.status).value}
    return [_csv_cell(computed[c] if c in computed else getattr(event, c)) for c in CSV_COLUMNS]


@login_required
@require_GET
def activity_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    events = provisioning_activity(enterprise, ActivityFilter.of(request.GET))
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow(_csv_row(event))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{enterprise.slug}-scim-activity.csv"'
    return response


@login_required
@require_GET
def members(request: HttpRequest, slug: str) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    form = MemberSearchForm(request.GET)
    search = form.cleaned_data if form.is_valid() else {}
    found = provisioned_members(
        enterprise,
        search=search.get("q", ""),
        state=search.get("state", ""),
        order=search.get("sort") or "name",
    )
    page = Paginator(found, MEMBERS_PAGE_SIZE).get_page(request.GET.get("page"))
    changes = last_changes(enterprise, [str(member.scim_id) for member in page])
    roles = member_roles(list(page))
    rows = [(member, changes.get(str(member.scim_id)), roles[member.pk]) for member in page]
    groups = group_listing(enterprise)
    return _render(
        request,
        enterprise,
        "enterprise/members.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "groups": groups,
            "role_choices": RoleForm.base_fields["role"].choices,
            "deleted": recently_deleted_members(enterprise)[:MEMBERS_PAGE_SIZE],
            "episodes": restorable_episodes(enterprise, timezone.now()),
            "retention_days": settings.MEMBER_RETENTION_DAYS,
        },
    )


def _back_to_members(slug: str) -> HttpResponse:
    return redirect(reverse("enterprise:members", args=[slug]) + "#recently-deleted")


@login_required
@require_POST
def member_restore_view(request: HttpRequest, slug: str, scim_id: uuid.UUID) -> HttpResponse:
    enterprise = _get_enterprise_for_admin(request, slug)
    member = get_object_or_404(recently_deleted_members(enterprise), scim_id=scim_id)
    try:
        member_restore(member=member, actor=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except SeatsExhausted as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("%(name)s is restored: active again, with their groups.") % {"name": member.user_name}
        )
    return _back_to_members(slug)


@login_required
@require_POST
def episode_restore(request: HttpRequest, slug: str, alert_id: int) -> HttpResponse:
    """Restore every member a mass deprovisioning episode deleted, in one action."""
    enterprise = _get_enterprise_for_admin(request, slug)
    alert = get_object_or_404(Alert, pk=alert_id, enterprise=enterprise, kind="mass_deprovisioning")
    members = list(episode_deleted_members(alert, timezone.now()))
    restored, refusals = members_restore(members=members, actor=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d member restored: active again, with their groups.",
            "%(count)d members restored: active again, with their groups.",
            restored,
        )
        % {"count": restored},
    )
    for refusal in refusals:
        messages.error(request, refusal)
    return _back_to_members(slug)


# The activity chart's drawing, in SVG user units. Each hour is a slot holding one stacked bar.
CHART_LEFT, CHART_TOP, CHART_HEIGHT, CHART_SLOT, CHART_BAR = 40, 12, 140, 5, 4


def _chart_drawing(chart: ActivityChart) -> dict:
    """Bars, day marks and scale of the activity chart, drawn by templates/enterprise/_chart.svg."""
    baseline = CHART_TOP + CHART_HEIGHT
    plot_right = CHART_LEFT + len(chart.hours) * CHART_SLOT
    scale = CHART_HEIGHT / max(chart.peak, 1)
    bars, days = [], []
    for i, hour in enumerate(chart.hours):
        x = CHART_LEFT + i * CHART_SLOT
        if hour.start.hour == 0:
            days.append({"x": x, "label": date_format(hour.start, "D d M")})
        if not hour.total:
            continue
        rects, top = [], baseline
        for outcome, count in [
            ("success", hour.success),
            ("client_error", hour.client_error),
            ("server_error", hour.server_error),
        ]:
            if count:
                height = max(count * scale, 1)
                top -= height
                rects.append({"outcome": outcome, "y": round(top, 1), "height": round(height, 1)})
        end = hour.start + timedelta(hours=1)
        bars.append({"x": x, "rects": rects, "hour": hour, "end": end})
    return {
        "data": chart,
        "bars": bars,
        "days": days,
        # Room on the right for a day label that starts in the last hours.
        "width": plot_right + 50,
        "height": baseline + 22,
        "left": CHART_LEFT,
        "plot_right": plot_right,
        "plot_middle": (CHART_LEFT + plot_right) / 2,
        "top": CHART_TOP,
        "middle": CHART_TOP + CHART_HEIGHT / 2,
        "baseline": baseline,
        "bar_width": CHART_BAR,
    }

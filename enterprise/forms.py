from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from enterprise.credentials.models import FederationTrust
from enterprise.directory.models import Group
from enterprise.models import Enterprise, Role

# Choice labels in the page's language, worked out when the form is shown.
_years = lazy(lambda n: ngettext("%(n)d year", "%(n)d years", n) % {"n": n}, str)
_hours = lazy(lambda n: ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}, str)


class ScimToggleForm(forms.Form):
    """Turn SCIM provisioning on or off. The choice is explicit, so an empty POST changes nothing; turning it
    off also says what happens to the people it provisioned."""

    enabled = forms.TypedChoiceField(
        choices=[("true", _("On")), ("false", _("Off"))], coerce=lambda value: value == "true"
    )
    members = forms.ChoiceField(
        label=_("The people provisioning created"),
        required=False,
        choices=[
            ("keep", _("Keep them active: manage them by hand from now on")),
            ("deactivate", _("Deactivate them all: they lose access at once")),
        ],
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("enabled") is False and not data.get("members"):
            raise forms.ValidationError(
                _("Choose whether the provisioned people stay active or are deactivated.")
            )
        return data


class NotificationAddressForm(forms.Form):
    notification_email = forms.EmailField(label=_("Notification address"), required=False, max_length=254)


class AlertKindsForm(forms.Form):
    """The kinds of alert the signed-in admin wants emails of."""

    kinds = forms.MultipleChoiceField(
        label=_("Email me about"), required=False, choices=[], widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, kinds: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kinds"].choices = [(name, f"{k.title}: {k.description}") for name, k in kinds.items()]


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200, strip=True)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), ("active", _("Active")), ("deactivated", _("Deactivated"))],
    )
    # directory.selectors.MEMBER_ORDERS
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[("name", _("Name")), ("state", _("State")), ("changed", _("Last change"))],
    )


class ClientSecretForm(forms.Form):
    years = forms.TypedChoiceField(
        label=_("Expires after"),
        choices=[(years, _years(years)) for years in (1, 2, 3)],
        coerce=int,
        initial=1,
    )


class TokenLifetimeForm(forms.Form):
    hours = forms.TypedChoiceField(
        label=_("Access tokens work for"),
        choices=[(hours, _hours(hours)) for hours in range(1, 7)],
        coerce=int,
    )


class FederationForm(forms.Form):
    """What Entra shows for a workload identity. With only the tenant id, the issuer and JWKS URL are Entra's
    for that tenant; both can be entered for other issuers."""

    tenant_id = forms.UUIDField(label=_("Entra tenant ID"), required=False)
    issuer = forms.URLField(label=_("Issuer"), required=False, max_length=500, assume_scheme="https")
    jwks_url = forms.URLField(label="JWKS URL", required=False, max_length=500, assume_scheme="https")
    subject = forms.CharField(label=_("Subject"), max_length=255)
    audience = forms.CharField(label=_("Audience"), max_length=255)

    def clean(self) -> dict:
        data = super().clean()
        tenant = data.get("tenant_id")
        if tenant:
            data["issuer"] = data.get("issuer") or FederationTrust.ENTRA_ISSUER.format(tenant=tenant)
            data["jwks_url"] = data.get("jwks_url") or FederationTrust.ENTRA_JWKS_URL.format(tenant=tenant)
        if not (data.get("issuer") and data.get("jwks_url")):
            raise forms.ValidationError(_("Enter the Entra tenant ID, or both the issuer and the JWKS URL."))
        return data


class AdminGroupsForm(forms.Form):
    """The enterprise's groups whose active members are its admins."""

    groups = forms.ModelMultipleChoiceField(
        label=_("Admin groups"),
        queryset=Group.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, enterprise: Enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        groups = enterprise.groups.order_by("display_name")
        self.fields["groups"].queryset = groups
        self.fields["groups"].initial = [g.pk for g in groups if g.role == Role.ADMIN]


class RoleForm(forms.Form):
    """A role given by hand to a member or by a group: one of Plandisc's roles, or none."""

    role = forms.ChoiceField(label=_("Role"), choices=[("", _("No role")), *Role.choices], required=False)


class DefaultRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Default role"), choices=Role.choices)

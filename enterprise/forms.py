from django import forms


class ScimToggleForm(forms.Form):
    """Turn SCIM provisioning on or off. The choice is explicit, so an empty POST changes nothing."""

    enabled = forms.TypedChoiceField(
        choices=[("true", "On"), ("false", "Off")], coerce=lambda value: value == "true"
    )


class MemberSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200, strip=True)
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", "All"), ("active", "Active"), ("deactivated", "Deactivated")],
    )

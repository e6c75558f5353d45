import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enterprise.sso.models import SsoConnection

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class SsoConnectionForm(forms.Form):
    MAX_METADATA_BYTES = 1024 * 1024

    metadata_file = forms.FileField(label=_("Federation Metadata XML file"), required=False)
    metadata_xml = forms.CharField(
        label=_("or paste the XML"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )
    allow_jit = forms.BooleanField(
        label=_("Create members at their first sign-in while SCIM provisioning is off"), required=False
    )

    @classmethod
    def for_connection(cls, connection: SsoConnection) -> "SsoConnectionForm":
        """The Enterprise page's form, filled in with the connection's current choices."""
        return cls(initial={"allow_jit": connection.allow_jit})

    def clean(self) -> dict:
        cleaned = super().clean()
        upload = cleaned.get("metadata_file")
        if upload is not None and upload.size > self.MAX_METADATA_BYTES:
            raise ValidationError(_("The metadata file is larger than 1 MB."))
        try:
            text = (
                upload.read().decode("utf-8-sig") if upload is not None else cleaned.get("metadata_xml", "")
            )
        except UnicodeDecodeError:
            raise ValidationError(_("The metadata file is not UTF-8 XML.")) from None
        cleaned["metadata"] = text.strip() or None
        return cleaned


class SsoDomainForm(forms.Form):
    domain = forms.CharField(
        label=_("Work email domain"),
        max_length=254,
        help_text=_(
            "For example contoso.com: people who type an address at it on the sign-in page go to your "
            "identity provider once the domain is verified."
        ),
    )

    def clean_domain(self) -> str:
        domain = self.cleaned_data["domain"].strip().lstrip("@").lower()
        if not DOMAIN.match(domain):
            raise ValidationError(_("Not a domain: %(domain)s") % {"domain": domain})
        return domain

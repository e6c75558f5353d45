"""
pysaml2 glue: the SAML service provider each enterprise's identity provider talks to, and what it sends.

Each enterprise is its own service provider (entity id and reply URL from SsoConnection), trusting exactly one
identity provider: the one in the Federation Metadata XML its admin gave. Signing certificates come from that
XML only, never from the response itself. Nothing here touches the database; enterprise.sso.services records
request and assertion ids and decides who gets in.

pysaml2 (with xmlschema, which compiles the SAML schemas) costs a worker more CPU to import than the rest of
the app together, and most workers never sign anyone in: they answer SCIM. So the functions here import
pysaml2 when first called (`_pysaml2`, once per process, under a lock: two threads of one worker importing it
at the same moment could meet its circular imports half done), and a worker pays for it at its first sign-in.
"""

import base64
import binascii
import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils.translation import gettext as _

from enterprise.sso.models import SsoConnection

# The claims Microsoft Entra ID sends by default (Attributes & Claims of a SAML application), named by these
# URIs and without a NameFormat.
CLAIM_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
CLAIM_GIVEN_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
CLAIM_SURNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
CLAIM_DISPLAY_NAME = "http://schemas.microsoft.com/identity/claims/displayname"


_IMPORTING = threading.Lock()


def _pysaml2() -> None:
    """Import the parts of pysaml2 this module uses, once; the functions then name what they need."""
    with _IMPORTING:
        import saml2.attribute_converter  # noqa: F401
        import saml2.client  # noqa: F401
        import saml2.config  # noqa: F401
        import saml2.mdstore  # noqa: F401
        import saml2.metadata  # noqa: F401
        import saml2.time_util  # noqa: F401


class InvalidResponse(Exception):
    """A SAML response that is refused; the message says why, for the enterprise's admins."""


@dataclass(frozen=True)
class Certificate:
    thumbprint: str
    expires_at: datetime


@dataclass(frozen=True)
class IdentityProvider:
    """What the Enterprise page keeps from a Federation Metadata XML."""

    entity_id: str
    sso_url: str
    certificates: list[Certificate]


def read_idp_metadata(xml: str) -> IdentityProvider:
    """Read Entra's Federation Metadata XML. Raises ValueError with a message for the admin."""
    _pysaml2()
    from cryptography import x509
    from saml2 import BINDING_HTTP_REDIRECT, SAMLError
    from saml2.attribute_converter import ac_factory
    from saml2.mdstore import InMemoryMetaData

    metadata = InMemoryMetaData(ac_factory(), xml)
    try:
        metadata.load()
    except SAMLError:
        raise ValueError(
            _("This is not SAML metadata. Upload the Federation Metadata XML from Entra.")
        ) from None
    providers = [entity_id for entity_id, entity in metadata.items() if "idpsso_descriptor" in entity]
    if len(providers) != 1:
        raise ValueError(_("The metadata must describe exactly one identity provider (an IDPSSODescriptor)."))
    entity_id = providers[0]
    endpoints = metadata.service(
        entity_id, "idpsso_descriptor", "single_sign_on_service", BINDING_HTTP_REDIRECT
    )
    if not endpoints:
        raise ValueError(_("The metadata has no SingleSignOnService with the HTTP-Redirect binding."))
    certificates = []
    for _use, encoded in metadata.certs(entity_id, "idpsso", "signing"):
        try:
            der = base64.b64decode("".join(encoded.split()), validate=True)
            certificate = x509.load_der_x509_certificate(der)
        except (binascii.Error, ValueError):
            raise ValueError(_("A signing certificate in the metadata cannot be read.")) from None
        thumbprint = hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()
        certificates.append(Certificate(thumbprint, certificate.not_valid_after_utc))
    if not certificates:
        raise ValueError(_("The metadata has no signing certificate for the identity provider."))
    return IdentityProvider(entity_id, endpoints[0]["location"], certificates)


def sp_config(connection: SsoConnection):
    """The service provider for one enterprise (a pysaml2 SPConfig), trusting only its identity provider's
    metadata."""
    _pysaml2()
    from saml2 import BINDING_HTTP_POST
    from saml2.config import SPConfig

    config = SPConfig()
    config.load(
        {
            "entityid": connection.sp_entity_id,
            "metadata": {"inline": [connection.idp_metadata]} if connection.idp_metadata else {},
            "accepted_time_diff": settings.SAML_CLOCK_SKEW_SECONDS,
            "allow_unknown_attributes": True,
            "only_use_keys_in_metadata": True,
            "service": {
                "sp": {
                    "endpoints": {"assertion_consumer_service": [(connection.acs_url, BINDING_HTTP_POST)]},
                    # IdP-initiated sign-in (Entra's My Apps) has no request to answer; services checks that a
                    # response which does name a request names one of ours, exactly once.
                    "allow_unsolicited": True,
                    # Entra signs the assertion by default, or the response, or both; either covers it.
                    "want_response_signed": False,
                    "want_assertions_signed": False,
                    "want_assertions_or_response_signed": True,
                    "authn_requests_signed": False,
                }
            },
        }
    )
    return config


def sp_metadata(connection: SsoConnection) -> str:
    """Plandisc's SAML metadata for the enterprise (Entra: Basic SAML Configuration, Upload metadata file)."""
    _pysaml2()
    from saml2.metadata import entity_descriptor

    return str(entity_descriptor(sp_config(connection)))


def authn_request(connection: SsoConnection, *, relay_state: str) -> tuple[str, str]:
    """An AuthnRequest for the enterprise's identity provider: its id, and the redirect URL carrying it."""
    _pysaml2()
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.client import Saml2Client

    client = Saml2Client(config=sp_config(connection))
    request_id, info = client.prepare_for_authenticate(
        entityid=connection.idp_entity_id, relay_state=relay_state, binding=BINDING_HTTP_REDIRECT
    )
    return request_id, dict(info["headers"])["Location"]


@dataclass(frozen=True)
class Assertion:
    """A validated assertion: who it names and the ids services needs for InResponseTo and replay checks."""

    id: str
    name_id: str
    in_response_to: str
    expires_at: datetime
    attributes: dict[str, list[str]]

    def claim(self, name: str) -> str:
        values = self.attributes.get(name) or [""]
        return str(values[0]).strip()


def read_response(connection: SsoConnection, saml_response: str) -> Assertion:
    """
    Validate a base64 SAMLResponse posted to the enterprise's reply URL, or raise InvalidResponse.

    pysaml2 checks the XML schema, the signature (on the response or the assertion) against the metadata's
    certificates, the status, the Destination, NotBefore/NotOnOrAfter with SAML_CLOCK_SKEW_SECONDS of
    slack, and the audience when there is one. The checks it leaves optional are made here: an audience
    restriction naming this enterprise's entity id, the issuer, every bearer confirmation's Recipient and
    NotOnOrAfter, and a single InResponseTo.
    """
    _pysaml2()
    from saml2 import BINDING_HTTP_POST
    from saml2.client import Saml2Client
    from saml2.saml import SCM_BEARER
    from saml2.time_util import str_to_time

    client = Saml2Client(config=sp_config(connection))
    try:
        response = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST, outstanding={})
    # pysaml2 reports each failed check with its own exception class (and some with bare Exception); every
    # one of them means the same here: the response is refused.
    except Exception as exc:
        raise InvalidResponse(f"{type(exc).__name__}: {exc}") from exc
    if response is None or response.assertion is None:
        raise InvalidResponse("The response is not a SAML response for this reply URL.")
    assertion = response.assertion

    if assertion.issuer is None or assertion.issuer.text.strip() != connection.idp_entity_id:
        raise InvalidResponse("The assertion is not issued by this enterprise's identity provider.")
    conditions = assertion.conditions
    audiences = [
        audience.text.strip()
        for restriction in (conditions.audience_restriction if conditions else [])
        for audience in restriction.audience
    ]
    if connection.sp_entity_id not in audiences:
        raise InvalidResponse(f"The assertion's audience is not {connection.sp_entity_id}.")
    confirmations = [c for c in assertion.subject.subject_confirmation if c.method == SCM_BEARER]
    data = [c.subject_confirmation_data for c in confirmations if c.subject_confirmation_data is not None]
    if not data or len(data) != len(confirmations):
        raise InvalidResponse("The assertion has no bearer subject confirmation.")
    if any(d.recipient != connection.acs_url for d in data):
        raise InvalidResponse(f"The assertion's recipient is not {connection.acs_url}.")
    if any(not d.not_on_or_after for d in data):
        raise InvalidResponse("The assertion's subject confirmation has no NotOnOrAfter.")
    in_response_to = {response.in_response_to or ""} | {d.in_response_to or "" for d in data}
    if len(in_response_to) != 1:
        raise InvalidResponse("The response and its assertion answer different requests.")
    if not response.name_id or not (response.name_id.text or "").strip():
        raise InvalidResponse("The assertion has no NameID.")
    expiries = [d.not_on_or_after for d in data] + (
        [conditions.not_on_or_after] if conditions.not_on_or_after else []
    )
    expires_at = max(datetime(*str_to_time(value)[:6], tzinfo=UTC) for value in expiries)
    return Assertion(
        id=assertion.id,
        name_id=response.name_id.text.strip(),
        in_response_to=in_response_to.pop(),
        expires_at=expires_at,
        attributes=_claims(assertion),
    )


def _claims(assertion) -> dict[str, list[str]]:
    """
    The assertion's attributes by their Name, exactly as sent. pysaml2's `ava` renames attributes through
    its attribute maps, and for attributes without a NameFormat (Entra's) it maps Entra's claim URIs away.
    """
    claims: dict[str, list[str]] = {}
    for statement in assertion.attribute_statement:
        for attribute in statement.attribute:
            values = [value.text or "" for value in attribute.attribute_value]
            claims.setdefault(attribute.name, []).extend(values)
    return claims

"""
Microsoft Entra ID, simulated: its Federation Metadata XML (the shape Entra publishes, with a certificate made
here), and SAML responses built and signed by pysaml2's own identity provider with that certificate's key.
Nothing on the Plandisc side is replaced: responses go through the real reply URL, validator and xmlsec1.
"""

import base64
import datetime
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.test import Client
from django.urls import reverse
from saml2 import BINDING_HTTP_REDIRECT
from saml2.attribute_converter import AttributeConverter, do_ava
from saml2.config import IdPConfig
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, Attribute, NameID
from saml2.samlp import AuthnRequest
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from enterprise.sso import services as sso_services
from enterprise.sso.models import SsoConnection

METADATA_TEMPLATE = (Path(__file__).parent / "entra_federation_metadata.xml").read_text()
CONTOSO_TENANT = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"
FABRIKAM_TENANT = "2d4b7c1e-91a3-4f6e-8c0d-5b7a9e3f1c24"
PASSWORD_PROTECTED_TRANSPORT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
# The claims of a new Entra SAML application (Attributes & Claims): full URIs, sent without NameFormat.
ENTRA_CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
EMAIL_CLAIM = ENTRA_CLAIMS + "emailaddress"
GIVEN_NAME_CLAIM = ENTRA_CLAIMS + "givenname"
SURNAME_CLAIM = ENTRA_CLAIMS + "surname"
NAME_CLAIM = ENTRA_CLAIMS + "name"
DISPLAY_NAME_CLAIM = "http://schemas.microsoft.com/identity/claims/displayname"
OBJECT_ID_CLAIM = "http://schemas.microsoft.com/identity/claims/objectidentifier"
AS_ENTRA_SENDS = "entra-no-name-format"


class ClaimsAsEntraSendsThem(AttributeConverter):
    """
    pysaml2's identity provider writes attributes through the converter of the policy's name format, and its
    converters always add a NameFormat. This one writes each claim as Entra does: <Attribute Name="full URI">.
    """

    def __init__(self):
        super().__init__(AS_ENTRA_SENDS)

    def to_(self, attrvals: dict) -> list:
        attributes = [
            Attribute(name=name, attribute_value=do_ava(values)) for name, values in attrvals.items()
        ]
        for attribute in attributes:
            attribute.name_format = None
        return attributes


@dataclass(frozen=True)
class SigningKey:
    key_file: str
    cert_file: str
    certificate: str  # base64 DER, as in <X509Certificate>


def make_signing_key(directory: Path, *, days: int = 3 * 365) -> SigningKey:
    """A key and self-signed certificate like the one Entra makes for a SAML application."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Microsoft Azure Federated SSO Certificate")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    key_file, cert_file = directory / "key.pem", directory / "cert.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    der = certificate.public_bytes(serialization.Encoding.DER)
    return SigningKey(str(key_file), str(cert_file), base64.b64encode(der).decode())


class Entra:
    """One Entra tenant's SAML side."""

    def __init__(self, tenant: str, key: SigningKey):
        self.entity_id = f"https://sts.windows.net/{tenant}/"
        self.sso_url = f"https://login.microsoftonline.com/{tenant}/saml2"
        self.tenant = tenant
        self.key = key

    def metadata(self, *rollover: SigningKey) -> str:
        """
        The Federation Metadata XML the admin downloads from Entra's SAML Certificates section. During a
        certificate rollover Entra lists the new certificates beside the active one.
        """
        signing_keys = "".join(
            '<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data>'
            f"<X509Certificate>{key.certificate}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>"
            for key in [self.key, *rollover]
        )
        return METADATA_TEMPLATE.format(
            tenant=self.tenant, certificate=self.key.certificate, idp_signing_keys=signing_keys
        )

    def server(self, key: SigningKey | None = None, sp_metadata: str | None = None) -> Server:
        """pysaml2's identity provider, knowing the Plandisc application from its SAML metadata when given."""
        key = key or self.key
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "key_file": key.key_file,
                "cert_file": key.cert_file,
                "metadata": {"inline": [sp_metadata]} if sp_metadata else {},
                "service": {
                    "idp": {
                        "endpoints": {"single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]},
                        "policy": {"default": {"lifetime": {"minutes": 60}, "name_form": AS_ENTRA_SENDS}},
                    }
                },
            }
        )
        server = Server(config=config)
        server.config.attribute_converters = [ClaimsAsEntraSendsThem()]
        return server

    def read_request(self, location: str) -> AuthnRequest:
        """The AuthnRequest a browser was redirected to Entra with."""
        assert location.startswith(self.sso_url + "?"), location
        query = parse_qs(urlsplit(location).query)
        return self.server().parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT).message

    def response(
        self,
        connection: SsoConnection,
        name_id: str,
        *,
        email: str | None = None,
        in_response_to: str | None = None,
        audience: str | None = None,
        destination: str | None = None,
        recipient: str | None = None,
        key: SigningKey | None = None,
        sign_response: bool = False,
        sign: bool = True,
    ) -> str:
        """A base64 SAMLResponse as Entra posts it: NameID the UPN, default claims, assertion signed."""
        identity = {
            GIVEN_NAME_CLAIM: ["Ada"],
            SURNAME_CLAIM: ["Lovelace"],
            EMAIL_CLAIM: [email or name_id],
            NAME_CLAIM: [name_id],
            OBJECT_ID_CLAIM: ["4f6e8c0d-2b34-4da1-9baa-5b7a9e3f1c24"],
            DISPLAY_NAME_CLAIM: ["Ada Lovelace"],
        }
        # The admin uploaded Plandisc's SAML metadata in Entra's Basic SAML Configuration.
        sp_metadata = (
            Client().get(reverse("sso:metadata", args=[connection.enterprise.public_id])).content.decode()
        )
        server = self.server(key, sp_metadata)
        destination = destination or connection.acs_url
        arguments = {
            "name_id": NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=name_id),
            "authn": {"class_ref": PASSWORD_PROTECTED_TRANSPORT},
            "sign_assertion": sign and not sign_response,
            "sign_response": sign and sign_response,
            "sign_alg": SIG_RSA_SHA256,
            "digest_alg": DIGEST_SHA256,
        }
        if recipient is None:
            response = server.create_authn_response(
                identity,
                in_response_to,
                destination,
                audience or connection.sp_entity_id,
                release_policy=server.config.getattr("policy", "idp"),
                **arguments,
            )
        else:
            # Entra always confirms the subject for the Destination; pysaml2's public call does too, so a
            # response whose Recipient differs is built one layer down.
            response = server._authn_response(
                in_response_to,
                destination,
                audience or connection.sp_entity_id,
                identity,
                policy=server.config.getattr("policy", "idp"),
                farg=Server.update_farg(in_response_to, recipient),
                **arguments,
            )
        return base64.b64encode(str(response).encode()).decode()


def post_response(client: Client, connection: SsoConnection, saml_response: str, relay_state: str = ""):
    """What the browser does with Entra's auto-submitting form."""
    return client.post(
        reverse("sso:acs", args=[connection.enterprise.public_id]),
        {"SAMLResponse": saml_response, "RelayState": relay_state},
    )


def sign_in(connection: SsoConnection, entra: "Entra", name_id: str) -> Client:
    """A browser signed in through the connection's identity provider (IdP-initiated)."""
    client = Client()
    response = post_response(client, connection, entra.response(connection, name_id))
    assert response.status_code == 302, response.content
    return client


def signed_in_user(client: Client):
    """Who the next request of this browser is signed in as (None when signed out)."""
    user = client.get(reverse("login")).wsgi_request.user
    return user if user.is_authenticated else None


def entra_user(user_name: str, email: str | None = None) -> dict:
    """Entra's POST /Users body (reference/entra-scim.md §2.2)."""
    return {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ],
        "externalId": user_name.split("@")[0],
        "userName": user_name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": email or user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
        "roles": [],
    }


def provision(scim, user_name: str, email: str | None = None) -> str:
    """Create a user through the enterprise's SCIM endpoint, as Entra does; returns its SCIM id."""
    response = scim.post("/Users", entra_user(user_name, email))
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory) -> SigningKey:
    return make_signing_key(tmp_path_factory.mktemp("entra"))


@pytest.fixture(scope="session")
def attacker_key(tmp_path_factory) -> SigningKey:
    return make_signing_key(tmp_path_factory.mktemp("attacker"))


@pytest.fixture
def entra(signing_key) -> Entra:
    return Entra(CONTOSO_TENANT, signing_key)


@pytest.fixture
def fabrikam_entra(tmp_path_factory) -> Entra:
    return Entra(FABRIKAM_TENANT, make_signing_key(tmp_path_factory.mktemp("fabrikam")))


def connect(enterprise, entra: Entra, domain: str | None) -> SsoConnection:
    """
    Set up single sign-on the way an admin does: the settings form, then the email domain form on the
    Enterprise page. The domain is verified as Plandisc support does it (test_domains.py does it by DNS).
    """
    admin = enterprise.admins.first()
    client = Client()
    client.force_login(admin)
    response = client.post(
        reverse("sso:configure", args=[enterprise.slug]), {"metadata_xml": entra.metadata()}
    )
    assert response.status_code == 302, response.content
    connection = SsoConnection.objects.get(enterprise=enterprise)
    if domain:
        response = client.post(reverse("sso:domain-add", args=[enterprise.slug]), {"domain": domain})
        assert response.status_code == 302, response.content
        sso_services.sso_domain_mark_verified(domain=connection.domains.get(), actor=None)
    return connection


@pytest.fixture
def sso(enterprise, entra) -> SsoConnection:
    """Contoso's single sign-on, connected to its Entra tenant, for people at contoso.example."""
    return connect(enterprise, entra, "contoso.example")


@pytest.fixture
def other_sso(other_enterprise, fabrikam_entra, django_user_model) -> SsoConnection:
    """Fabrikam's single sign-on, connected to its own Entra tenant."""
    other_enterprise.admins.add(
        django_user_model.objects.create_user("admin@fabrikam.example", password="x" * 12)
    )
    return connect(other_enterprise, fabrikam_entra, "fabrikam.example")

"""
Single sign-on (SAML) from an enterprise's identity provider: pysaml2 glue (saml), the rules for who signs in
(services), the DNS lookup that verifies email domains (dns_lookup), the views, forms and URLs, and the
middleware that signs out sessions of deprovisioned members.
"""

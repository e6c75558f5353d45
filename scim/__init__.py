"""
The SCIM 2.0 service provider: `/scim/v2/<enterprise public id>/…`, for Microsoft Entra ID and Okta.

Read it in request order: pipeline.py (route, authenticate, admit, transaction, handler, error body,
activity), auth.py (credential → enterprise), limits.py (what lives in the shared cache), resources.py (the
User and Group resource types and the path matcher), views.py (one handler per endpoint and method),
adapters.py (resource bodies to and from enterprise.directory, through enterprise.roles), documents.py
(checking bodies, applying PATCH), filters.py, schemas.py, errors.py, activity.py.

What comes from django-scim2 (the design card builds the service on it): the RFC 7643 schema documents it
ships (schemas.py loads and trims them), its SCIM constants and SCIMException (errors.py subclasses it), and
through it scim2-filter-parser, whose Django Q transpiler filters.py subclasses. Everything else is ours:
django-scim2's views, adapters, URLconf, auth-check middleware and settings object are not used, because a
multi-tenant endpoint needs its own tenancy, authentication, transactions, error bodies, paging and PATCH
dialects (see ../shared/reference/django-scim2.md for where the stock parts break).
"""

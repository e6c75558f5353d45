"""
The bench's baseline: a stock django-scim2 app that does nothing but SCIM, served and replayed like ours.

django-scim2's own views, adapters, filter parser and auth-check middleware, on the models its test suite
uses (bench/stock/models.py), with the only configuration a stock deployment needs: a group filter parser
that maps `displayName` (Entra matches groups by it; the library's default maps nothing, so every match
would find nothing without a query), and a static bearer token checked in the library's auth-check hook.
No tenancy, no hashed tokens, no rate limit, no activity records. bench/stock/run.py replays the cycle
against it.
"""

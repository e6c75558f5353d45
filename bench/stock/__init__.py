"""
The bench's baseline: a stock django-scim2 app that does nothing but SCIM, served and replayed like ours.

django-scim2's own views, adapters, filter parser and auth-check middleware, on the models its test suite
uses (bench/stock/models.py), with the only configuration a stock deployment needs: a group filter parser
that maps `displayName` (Entra matches groups by it; the library's default maps nothing, so every match
would find nothing without a query), and a static bearer token checked in the library's auth-check hook.
No tenancy, no hashed tokens, no rate limit, no activity records. bench/stock/run.py replays the cycle
against it.
"""

# What stock gets instead of Entra's requests: run.py's StockReplay sends it, bench/report.py prints it.
RESHAPED = (
    "Stock gets Entra's requests (capitalized ops, value-list `Remove`) except where stock django-scim2 "
    "refuses Entra's shape; there it gets the closest one it answers: the user update replaces "
    '`name.givenName` and `emails` instead of `displayName` and `emails[type eq "work"].value`, and has no '
    "enterprise `department` (stock has no enterprise extension: 3 operations to our 4), and deactivation "
    'sends `false`, not `"False"`.'
)

"""
Reading the environment: settings.py and gunicorn.conf.py parse their variables the same way.

Only the standard library and Django's exception, so gunicorn's master can import it without loading the app.
"""

import os

from django.core.exceptions import ImproperlyConfigured

BOOLEANS = dict.fromkeys(["1", "true", "yes", "on"], True) | dict.fromkeys(["0", "false", "no", "off"], False)


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name) or default
    if value.lower() not in BOOLEANS:
        raise ImproperlyConfigured(
            f"Unexpected value {name}={value}, use one of 1/0, true/false, yes/no, on/off"
        )
    return BOOLEANS[value.lower()]


def envint(name: str, default: str) -> int:
    value = os.getenv(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"Unexpected value {name}={value}, use a whole number") from None

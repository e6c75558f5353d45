"""Test settings: the real settings plus a fixed secret key and a fast password hasher."""

from plandisc.settings import *  # noqa: F403

SECRET_KEY = "tests-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Activity rows are written at the end of each request, so tests read them at once.
SCIM_ACTIVITY_BATCH = 1

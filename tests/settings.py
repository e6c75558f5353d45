"""Test settings: the real settings plus a fixed secret key and a fast password hasher.

The test client and the live server speak plain http, so the https-only settings of production are off here;
tests/production.py starts the real settings module the production way, for the tests that check them there.
"""

from plandisc.settings import *  # noqa: F403

SECRET_KEY = "tests-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
# Templates link plain static names; nothing has to be collected first. The live server serves them itself.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_AUTOREFRESH = True
# Activity rows are written at the end of each request, so tests read them at once.
SCIM_ACTIVITY_BATCH = 1

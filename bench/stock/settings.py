"""Settings of the stock django-scim2 app: production-like (DEBUG off, persistent connections like ours)."""

import os

import dj_database_url

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django_scim", "bench.stock"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "bench.stock.urls"
DATABASES = {"default": dj_database_url.config(conn_max_age=60)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "stock.User"
USE_TZ = True

STOCK_SCIM_TOKEN = os.environ["STOCK_SCIM_TOKEN"]
SCIM_SERVICE_PROVIDER = {
    "NETLOC": os.environ["STOCK_NETLOC"],
    "SCHEME": "http",
    "AUTHENTICATION_SCHEMES": [{"type": "oauthbearertoken", "name": "OAuth Bearer Token"}],
    "GROUP_MODEL": "bench.stock.models.Group",
    "GROUP_FILTER_PARSER": "bench.stock.filters.GroupFilterQuery",
    "AUTH_CHECK_MIDDLEWARE": "bench.stock.auth.StaticBearerToken",
}

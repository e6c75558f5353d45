from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security)
def secret_key_check(app_configs, **kwargs) -> list[Error]:
    """Production (DEBUG off) refuses to start without a real DJANGO_SECRET_KEY."""
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to hand out an empty key
        key = ""
    if settings.DEBUG or len(key) >= 32:
        return []
    return [
        Error(
            "DJANGO_SECRET_KEY is missing or shorter than 32 characters.",
            hint="Set DJANGO_SECRET_KEY to a long random value, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
            id="plandisc.E001",
        )
    ]


@register(Tags.security)
def base_url_check(app_configs, **kwargs) -> list[Error]:
    """Production (DEBUG off) refuses to start unless PLANDISC_BASE_URL, which every link shown to admins and
    identity providers is built on, is https."""
    if settings.DEBUG or settings.PLANDISC_BASE_URL.startswith("https://"):
        return []
    return [
        Error(
            f"PLANDISC_BASE_URL is {settings.PLANDISC_BASE_URL!r}; production needs an https address.",
            hint="Set PLANDISC_BASE_URL to the public https address of this service, e.g. "
            "https://plandisc.example.com.",
            id="plandisc.E002",
        )
    ]


@register()
def periodic_claims_check(app_configs, **kwargs) -> list[Error]:
    """Periodic jobs claim their period in the cache (plandisc.periodic): with workers on a broker, the cache
    must be the shared one, or each worker would claim every period for itself."""
    if not settings.CELERY_BROKER_URL or "redis" in settings.CACHES["default"]["BACKEND"].lower():
        return []
    return [
        Error(
            "CELERY_BROKER_URL is set but the cache is per process: periodic jobs could run once per worker.",
            hint="Set REDIS_URL, so that every worker and web process shares one cache.",
            id="plandisc.E003",
        )
    ]

"""
GET /healthz for load balancers and uptime checks: 200 when the database and the cache answer, 503 naming what
does not. It answers before any other middleware, so a probe that calls the instance by its IP address over
plain http is neither refused for its Host header nor redirected to https, and it costs two round trips.
"""

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse

PATH = "/healthz"


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return False
    return True


def _cache_answers() -> bool:
    try:
        cache.get(PATH)
    except Exception:  # each cache backend raises its own errors (redis.ConnectionError, OSError, …)
        return False
    return True


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        checks = {"database": _database_answers(), "cache": _cache_answers()}
        down = [name for name, answers in checks.items() if not answers]
        body = {"status": "unavailable", "down": down} if down else {"status": "ok"}
        response = JsonResponse(body, status=503 if down else 200)
        response["Cache-Control"] = "no-store"
        return response

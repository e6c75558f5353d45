# Loaded with Django, so that the rooms' @shared_task functions belong to this app (plandisc/celery.py).
from plandisc.celery import app as celery_app

__all__ = ["celery_app"]

"""
Provisioning activity written in batches: one row per SCIM request.

A worker keeps the rows of its last requests in memory and writes them with one statement
(services.provisioning_events_record) when SCIM_ACTIVITY_BATCH rows are waiting or the oldest has waited
SCIM_ACTIVITY_MAX_DELAY seconds (checked after each request; a timer writes them when the worker goes
idle), and when the process exits (gunicorn's graceful stop, a restart after max-requests). A worker that
crashes loses what it had not written: at most SCIM_ACTIVITY_BATCH rows, about two SCIM_ACTIVITY_MAX_DELAY
of requests.
"""

import atexit
import logging
import threading
import time
from contextlib import nullcontext

from django.conf import settings
from django.db import connection, transaction

from enterprise.activity import services

logger = logging.getLogger(__name__)


class Batch:
    def __init__(self):
        self.events: list[dict] = []  # ProvisioningEvent.RECORDED columns
        self.oldest = 0.0
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None

    def add(self, event: dict) -> None:
        with self.lock:
            if not self.events:
                self.oldest = time.monotonic()
            self.events.append(event)
            due = (
                len(self.events) >= settings.SCIM_ACTIVITY_BATCH
                or time.monotonic() - self.oldest >= settings.SCIM_ACTIVITY_MAX_DELAY
            )
        if due:
            self.flush()
        elif self.timer is None:
            # A worker that goes idle still writes what it holds, from a thread of its own. A busy one has
            # written it by then, after a request; the thread then finds nothing and opens no connection.
            self.timer = threading.Timer(2 * settings.SCIM_ACTIVITY_MAX_DELAY, self._flush_from_timer)
            self.timer.daemon = True
            self.timer.start()

    def flush(self) -> None:
        with self.lock:
            events, self.events = self.events, []
        if not events:
            return
        try:
            # In an outer transaction (tests run in one), a savepoint keeps a failed insert from breaking it.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                services.provisioning_events_record(events=events)
        except Exception:
            # Losing activity rows must never fail the identity provider's requests.
            logger.exception("Could not record %d SCIM activity rows", len(events))

    def _flush_from_timer(self) -> None:
        self.timer = None
        if not self.events:
            return
        try:
            self.flush()
        finally:
            connection.close()  # this thread's own connection


batch = Batch()
atexit.register(batch.flush)

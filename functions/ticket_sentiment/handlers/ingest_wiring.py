"""The ingest function's composition root: its queue, eraser, helpdesk secrets and created_at window, built from
its settings."""

from __future__ import annotations

from functools import cache

from ..adapters.aws.secrets import secrets_manager_lookup
from ..pipeline.lifecycle import Eraser
from ..pipeline.window import CreatedAtWindow
from ..ports import EventQueue, SecretLookup
from ..settings import EVENTS_QUEUE_URL, ErasureSettings, IngestSettings
from .wiring import table_eraser


@cache
def default_queue() -> EventQueue:
    from ..adapters.aws.sqs import SqsEventQueue

    queue_url = IngestSettings.from_env().events_queue_url  # read when first needed: after the test's setenv
    if queue_url is None:
        raise KeyError(EVENTS_QUEUE_URL)
    return SqsEventQueue(queue_url)


@cache
def default_eraser() -> Eraser | None:
    """None where the function has no table: a helpdesk's deletion is then answered 503, never dropped."""
    return table_eraser() if ErasureSettings.from_env().table_name is not None else None


def helpdesk_secrets() -> SecretLookup:
    """Each platform's webhook secret under $HELPDESK_SECRET_PREFIX (read once, when the handler is imported)."""
    return secrets_manager_lookup(IngestSettings.from_env().helpdesk_secret_prefix)


def created_at_window() -> CreatedAtWindow:
    """The created_at window from INGEST_MAX_AGE_DAYS / INGEST_MAX_AHEAD_MINUTES (read per request)."""
    settings = IngestSettings.from_env()
    return CreatedAtWindow.with_limits(settings.max_age_days, settings.max_ahead_minutes)

"""Queueing analysis work, the same task code in every profile.

`FER_TASK_MODE`:
- `thread` (embedded default): a small in-process thread pool runs the Celery task's body, so
  uploads return at once and the page shows pending -> running -> done as in production;
- `eager` (tests): runs it right away in the caller;
- `celery` (scaled): sends it to the broker's `gpu` queue (routes: `CELERY_TASK_ROUTES`).

A broker that cannot be reached raises `QueueUnavailable`: the caller undoes the analysis and
tells the user to try again (HTTP 503 `busy` in the API), so no analysis waits for a task that
was never sent.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)
BUSY_MESSAGE = "The analysis service is busy or unreachable; nothing was stored, please try again in a minute."
_pool: ThreadPoolExecutor | None = None


def _run_in_thread(analysis_id: str) -> None:
    from analysis.services import analysis_process

    close_old_connections()
    try:
        analysis_process(analysis_id=analysis_id)
    except Exception:
        logger.exception("in-process analysis %s crashed", analysis_id)
    finally:
        close_old_connections()


class QueueUnavailable(Exception):
    """The task broker could not take the task (Redis or RabbitMQ down, or unreachable)."""

    code = "busy"
    status = 503

    def __init__(self, message: str = BUSY_MESSAGE):
        super().__init__(message)
        self.message = message


def broker_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the broker or Redis is unreachable", whichever client raised them."""
    import redis.exceptions
    from kombu.exceptions import OperationalError

    return (OperationalError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, ConnectionError)


def enqueue_analysis(analysis_id: uuid.UUID | str) -> None:
    global _pool
    analysis_id = str(analysis_id)
    mode = settings.FER_TASK_MODE
    if mode == "eager":
        from analysis.services import analysis_process

        analysis_process(analysis_id=analysis_id)
    elif mode == "thread":
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=settings.FER_INPROCESS_WORKERS, thread_name_prefix="analysis")
        _pool.submit(_run_in_thread, analysis_id)
    else:
        from analysis.tasks import analyse_photo

        try:
            analyse_photo.apply_async(args=[analysis_id])
        except broker_errors() as exc:
            logger.warning("could not queue analysis %s: %s", analysis_id, exc)
            raise QueueUnavailable() from exc

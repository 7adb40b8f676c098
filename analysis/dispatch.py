"""Queueing analysis work, the same task code in every profile.

`FER_TASK_MODE`:
- `thread` (embedded default): a small in-process thread pool runs the Celery task's body, so
  uploads return at once and the page shows pending -> running -> done as in production;
- `eager` (tests): runs it right away in the caller;
- `celery` (scaled): sends it to the broker's `gpu` queue.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)
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

        analyse_photo.apply_async(args=[analysis_id], queue="gpu")

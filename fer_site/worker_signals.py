"""Worker start-up: warm the default model up in each process that runs tasks, after fork.

Loading Keras in the parent before fork would copy a half-initialised TensorFlow runtime into
every child (and, on a GPU host, a CUDA context that cannot survive a fork). So:

- prefork pool (the default, and the only pool that enforces time limits): each child warms up
  in `worker_process_init`, in a background thread, because that signal must return within
  `worker_proc_alive_timeout` seconds;
- solo / threads pools (no fork): the worker process itself warms up once it is ready.

A task arriving before the warm-up ends simply waits on the registry's load lock; nothing is
loaded twice. `FER_WORKER_WARMUP=0` turns it off (the model then loads on the first task).

At shutdown a realtime worker logs how its live frames were batched ("live batching: ..."), the
figure behind the batching gain in `scripts/load_report.py`.
"""

from __future__ import annotations

import logging

from celery.signals import worker_process_init, worker_ready, worker_shutdown

logger = logging.getLogger(__name__)


def _enabled() -> bool:
    from django.conf import settings

    return settings.FER_WORKER_WARMUP


def _start_warm_up() -> None:
    if _enabled():
        from analysis.core import warmup

        warmup.start_in_background()


@worker_process_init.connect
def _warm_up_child(**kwargs) -> None:
    _start_warm_up()


@worker_ready.connect
def _warm_up_unforked(sender=None, **kwargs) -> None:
    # sender is the worker's consumer; its controller knows the pool class.
    pool_cls = getattr(getattr(sender, "controller", None), "pool_cls", None)
    if pool_cls is None or "prefork" in getattr(pool_cls, "__module__", ""):
        return  # prefork: the children warm up themselves
    _start_warm_up()


@worker_shutdown.connect
def _log_batching(**kwargs) -> None:
    from ml.serving.batching import stats_lines

    for line in stats_lines():
        logger.info("live batching: %s", line)

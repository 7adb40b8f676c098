"""Loading the default model and detector before the first photo needs them.

Whoever runs the work warms up: each Celery worker process (fer_site.worker_signals) and, in the
embedded profile, the web server itself (`analysis.core.dispatch.prepare_web_process`, called by
the ASGI app at start-up), in a background thread so the URL comes up at once. A photo arriving
during the warm-up waits for it (the registry and the detectors load once per process, under a
lock) instead of loading a second copy.
"""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger(__name__)
_ready = threading.Event()
_started = threading.Lock()
_thread: threading.Thread | None = None


def warm_up() -> None:
    """Load the default model and detector and run them once (builds inference sessions and caches)."""
    import numpy as np

    from ml.serving.detection import DEFAULT_DETECTOR, get_detector
    from ml.serving.registry import DEFAULT_MODEL, get_classifier

    started = time.perf_counter()
    try:
        get_classifier(DEFAULT_MODEL).warm_up()
        get_detector(DEFAULT_DETECTOR).detect(np.zeros((64, 64, 3), dtype=np.uint8))
        logger.info("model %s and detector %s warmed up in %.1f s", DEFAULT_MODEL, DEFAULT_DETECTOR,
                    time.perf_counter() - started)
    except Exception:  # a broken model must not stop the process: analyses report it as a failure
        logger.exception("warm-up failed")
    finally:
        _ready.set()


def start_in_background() -> None:
    """Start the warm-up once per process; later calls do nothing."""
    global _thread
    with _started:
        if _thread is None:
            _thread = threading.Thread(target=warm_up, name="model-warm-up", daemon=True)
            _thread.start()


def is_ready() -> bool:
    return _ready.is_set()

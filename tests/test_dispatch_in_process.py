"""Work run in-process (thread mode): on its own pool, and a crash is logged rather than lost in the pool."""

from __future__ import annotations

import logging
import threading
import time

from analysis.core import dispatch


def test_work_runs_on_the_named_pool():
    done, seen = threading.Event(), {}

    def work():
        seen["thread"] = threading.current_thread().name
        done.set()

    dispatch._in_process("video", "test work", work)
    assert done.wait(10) and seen["thread"].startswith("video")


def test_a_crash_in_the_pool_is_logged(caplog):
    started = threading.Event()

    def boom():
        started.set()
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="analysis.core.dispatch"):
        dispatch._in_process("analysis", "exploding work", boom)
        assert started.wait(10)
        deadline = time.monotonic() + 10
        while "in-process exploding work crashed" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    assert "in-process exploding work crashed" in caplog.text

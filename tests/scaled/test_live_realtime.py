"""Live frames through the scaled path: daphne -> Redis -> a realtime worker (threads pool, micro-batching)
-> channels_redis -> the socket. Real processes, private Redis, throwaway PostgreSQL database."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scaled.harness import BIN, Database, Process, scaled_env, start_web, wait_for
from tests.subprocess_env import REPO_ROOT, run_python

pytestmark = [pytest.mark.scaled, pytest.mark.slow]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database()
    env = scaled_env(db, "redis://127.0.0.1:1/0", tmp_path)
    db.create(env)
    # DEBUG off serves hashed static files from a manifest: the sign-up page needs it.
    assert run_python("manage.py", "collectstatic", "--noinput", "-v0", env=env, timeout=300).returncode == 0
    yield db
    db.drop()


@pytest.mark.timeout(400)
def test_two_streams_get_predictions_from_a_batching_realtime_worker(database, private_redis, tmp_path):
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    from bench_live import camera_frame, session_cookie, stream

    env = scaled_env(database, private_redis.url, tmp_path, FER_LIVE_BATCH_SIZE="16", FER_LIVE_BATCH_WAIT_MS="20",
                     FER_LIVE_REMOTE_TIMEOUT_S="60")
    worker = Process([str(BIN / "celery"), "-A", "fer_site", "worker", "-Q", "realtime", "-n", "rt@%h", "--pool",
                      "threads", "--concurrency", "4", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
                     env=env, log=tmp_path / "worker.log")
    web = None
    try:
        web, port = start_web(env, tmp_path)
        wait_for(lambda: "warmed up" in worker.output(), timeout=240, what=f"the worker's warm-up\n{worker.output()}")
        url = f"http://127.0.0.1:{port}"
        cookies = [session_cookie(url, f"live{i}", "live-Secret-2024-x", signup=True) for i in range(2)]
        frame = camera_frame()
        results: list[dict] = [{}, {}]

        async def both() -> None:
            await asyncio.gather(*(stream(url, c, frame, 4, 5, r) for c, r in zip(cookies, results, strict=True)))

        asyncio.run(both())
    finally:
        if web is not None:
            web.stop(signal.SIGKILL)
        worker.stop(signal.SIGKILL)

    for r in results:
        assert r["errors"] == 0, worker.output()
        assert r["predictions"] >= 3
    assert "Internal Server Error" not in web.output()

"""A real ASGI server (daphne) for browser tests that need WebSockets, on its own SQLite database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def embedded_server(data_dir: Path, extra_env: dict[str, str] | None = None):
    """Migrate a fresh embedded-profile database in `data_dir` and serve it with daphne (`extra_env`: settings)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(FER_DATA_DIR=str(data_dir), DEBUG="1", FER_TASK_MODE="thread", PYTHONUNBUFFERED="1",
               DJANGO_SETTINGS_MODULE="fer_site.settings", TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(extra_env or {})
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    log = open(data_dir / "server.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "fer_site.serve", "-b", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/healthz/", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log_tail = (data_dir / "server.log").read_text()[-2000:]
                    raise RuntimeError("daphne did not start: " + log_tail) from None
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()

"""Real processes for the fault tests: a private Redis, Celery workers, a daphne server, a fresh database.

Everything started here runs in its own process group and is stopped by its group id, so a test
never touches the machine's shared Redis or anyone else's processes.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis

from tests.subprocess_env import REPO_ROOT, clean_env, run_python

POSTGRES_ADMIN_URL = os.environ.get("FER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], object], *, timeout: float, what: str, interval: float = 0.5) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Process:
    """A child in its own session (process group); stop() signals the whole group."""

    def __init__(self, args: list[str], *, env: dict[str, str], log: Path):
        self.log = log
        self._out = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.popen = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        self._out.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


class PrivateRedis:
    """A throwaway redis-server on a free port, without persistence."""

    def __init__(self, tmp: Path):
        self.port, self.tmp, self.process = free_port(), tmp, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.tmp)]
        self.process = Process(args, env=dict(os.environ), log=self.tmp / f"redis-{self.port}.log")
        wait_for(self.ping, timeout=20, what="the private Redis", interval=0.1)

    def ping(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


class Database:
    """A migrated throwaway PostgreSQL database, dropped by drop()."""

    def __init__(self):
        self.name = f"fer_test_{uuid.uuid4().hex[:10]}"
        self.url = urlsplit(POSTGRES_ADMIN_URL)._replace(path=f"/{self.name}").geturl()

    def create(self, env: dict[str, str]) -> None:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        result = run_python("manage.py", "migrate", "--noinput", "-v0", env=env, timeout=300)
        assert result.returncode == 0, result.stderr

    def drop(self) -> None:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params or []).fetchall()

    def analysis(self, analysis_id: str) -> dict | None:
        rows = self.query("SELECT status, error, face_count, attempts FROM analysis_analysis WHERE id = %s",
                          [analysis_id])
        if not rows:
            return None
        status, error, face_count, attempts = rows[0]
        faces = self.query("SELECT count(*), count(DISTINCT index) FROM analysis_face WHERE analysis_id = %s",
                           [analysis_id])[0]
        return {"status": status, "error": error, "face_count": face_count, "attempts": attempts,
                "face_rows": faces[0], "distinct_indexes": faces[1]}


def scaled_env(db: Database, redis_url: str, tmp: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        DATABASE_URL=db.url, REDIS_URL=redis_url, DEBUG="0", SECRET_KEY="fault-test-" + uuid.uuid4().hex,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver", MEDIA_ROOT=str(tmp / "media"),
        STATIC_ROOT=str(tmp / "static"), FER_UPLOAD_RATE="100000/min", **extra,
    )


def start_worker(env: dict[str, str], tmp: Path, name: str, **extra: str) -> Process:
    args = [str(BIN / "celery"), "-A", "fer_site", "worker", "-Q", "gpu,celery", "-n", f"{name}@%h",
            "--pool", "prefork", "--concurrency", "1", "--without-gossip", "--without-mingle", "--loglevel", "INFO"]
    return Process(args, env={**env, **extra}, log=tmp / f"worker-{name}.log")


def start_web(env: dict[str, str], tmp: Path, timeout: float = 120, healthy_status: int = 200) -> tuple[Process, int]:
    """daphne on a free port, returned once `/healthz/` answers `healthy_status` (503: the database is meant to be
    down) (stopped again if it never does)."""
    port = free_port()
    web = Process([sys.executable, "-m", "fer_site.serve", "-b", "127.0.0.1", "-p", str(port)],
                  env=env, log=tmp / "web.log")

    def healthy() -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # a 503 takes the connection timeout
            conn.request("GET", "/healthz/")
            return conn.getresponse().status == healthy_status
        except OSError:
            return False

    try:
        wait_for(healthy, timeout=timeout, what="daphne's /healthz/")
    except AssertionError:
        web.stop(signal.SIGKILL)
        raise AssertionError(f"daphne did not answer within {timeout:.0f} s\n{web.output()}") from None
    return web, port


def django_shell(code: str, env: dict[str, str]) -> str:
    """Run Python in `manage.py shell` with `env`; returns the last line it printed."""
    result = run_python("manage.py", "shell", "-c", code, env=env, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


CREATE_ANALYSIS = """
from django.core.files.uploadedfile import SimpleUploadedFile
from accounts.models import User
from accounts.services import user_create
from analysis.core.uploads import upload_photos
from tests.photos import face_photo
user = User.objects.filter(username="fault").first() or user_create(
    username="fault", email="fault@example.com", password="fault-Secret-2024-x")
(outcome,) = upload_photos(owner=user, files=[SimpleUploadedFile("face.jpg", face_photo(), content_type="image/jpeg")])
print(outcome.analysis.id)
"""

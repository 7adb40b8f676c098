"""The first photo after `./run` prints its URL: seconds until its result, and the server's memory.

    .venv/bin/python scripts/bench_first_photo.py [--runs 3] [--port 8765]

Each run starts `./run` on a fresh embedded data directory (the venv already built), with one user
and an API token created beforehand, then as soon as the URL line is printed sends one 640x480 JPEG
with one face (`POST /api/v1/analyses/?wait=true`), retrying while the server is not yet accepting
connections. Printed per run: seconds from the URL line to the finished analysis, and the server's
resident memory afterwards (the default model and detector loaded).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml.bench import sample_photo  # noqa: E402

MAKE_TOKEN = (
    "from accounts.models import User; from accounts.api_tokens import token_create; "
    "u = User.objects.create_user('bench', 'bench@example.org', 'a long bench password 42'); "
    "print(token_create(user=u).key)"
)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc (Linux)."""
    total = 0
    for line in subprocess.run(["ps", "-o", "rss=", "--ppid", str(pid), "-p", str(pid)], capture_output=True,
                               text=True).stdout.split():
        total += int(line)
    return total / 1024


def one_run(port: int, photo: bytes) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as data_dir:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
        env.update(FER_DATA_DIR=data_dir, PORT=str(port), PYTHONUNBUFFERED="1")
        python = str(ROOT / ".venv" / "bin" / "python")
        subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        token = subprocess.run([python, "manage.py", "shell", "-c", MAKE_TOKEN], cwd=ROOT, env=env, check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1]
        server = subprocess.Popen(["./run"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, start_new_session=True)
        try:
            for line in server.stdout:
                if "is running at" in line:
                    break
            started = time.perf_counter()
            url = f"http://127.0.0.1:{port}/api/v1/analyses/?wait=true&timeout=30"
            while True:
                try:
                    answer = requests.post(url, headers={"Authorization": f"Token {token}"},
                                           files={"image": ("face.jpg", photo, "image/jpeg")}, timeout=60)
                    break
                except requests.ConnectionError:
                    time.sleep(0.02)
            seconds = time.perf_counter() - started
            if answer.status_code != 201 or answer.json()["status"] != "done":
                raise SystemExit(f"the first photo was not analysed: {answer.status_code} {answer.text[:300]}")
            return seconds, rss_mb(server.pid)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    photo = sample_photo(None)
    for n in range(args.runs):
        seconds, memory = one_run(args.port, photo)
        print(f"run {n + 1}: first photo done {seconds:.2f} s after the URL was printed; server memory {memory:.0f} MB")


if __name__ == "__main__":
    main()

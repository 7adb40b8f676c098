"""Latency of `POST /api/v1/analyses/?wait=true` against a running server on this machine.

Sends N (default 200) sequential uploads of a 640x480 JPEG with one face (scikit-image's
astronaut, scaled onto a grey 640x480 canvas) with `wait=true`, prints p50 / p95 / mean
latency, then the requests per second of C (default 4) concurrent clients. Bounded in count
(`--requests`, `--concurrent-requests`) and time (`--max-seconds` per phase). Talks to
localhost only.

The server must allow that many uploads: start it with a high upload rate, e.g.

    .venv/bin/python manage.py migrate
    FER_UPLOAD_RATE=100000/min .venv/bin/python -m fer_site.serve -b 127.0.0.1 -p 8765 &
    .venv/bin/python scripts/bench_api.py --url http://127.0.0.1:8765

Without --username/--password a throwaway user `bench-api` is created (or its password reset)
through `manage.py shell`, which must therefore use the same database as the server (same
environment). Each run creates one API token for that user.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import secrets
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def photo_640x480() -> bytes:
    import numpy as np
    from PIL import Image
    from skimage import data

    face = Image.fromarray(data.astronaut()).resize((400, 400), Image.Resampling.LANCZOS)
    canvas = Image.fromarray(np.full((480, 640, 3), 128, dtype=np.uint8))
    canvas.paste(face, (120, 40))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n")
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Client:
    """One keep-alive HTTP connection to the server."""

    def __init__(self, url: str, token: str | None = None):
        parts = urlsplit(url)
        self.host, self.port, self.base = parts.hostname, parts.port or 80, parts.path.rstrip("/")
        self.token = token
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        for attempt in (1, 2):
            try:
                self.conn.request(method, self.base + path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()  # the server closed a kept-alive connection: reconnect once
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def ensure_user(username: str | None, password: str | None) -> tuple[str, str]:
    if username and password:
        return username, password
    username, password = "bench-api", secrets.token_urlsafe(16) + "-Aa1"
    code = (
        "from accounts.models import User\n"
        f"u, _ = User.objects.get_or_create(username={username!r}, defaults={{'email': 'bench-api@localhost'}})\n"
        f"u.set_password({password!r}); u.is_active = True; u.save()\n"
    )
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "shell", "-c", code], check=True, cwd=ROOT)
    return username, password


def get_token(url: str, username: str, password: str) -> str:
    body = json.dumps({"username": username, "password": password, "name": "bench_api.py"}).encode()
    status, data = Client(url).request("POST", "/api/v1/auth/token/", body, "application/json")
    if status != 201:
        sys.exit(f"could not get a token: HTTP {status} {data[:300]!r}")
    return json.loads(data)["token"]


def upload_once(client: Client, body: bytes, content_type: str) -> tuple[float, int, dict]:
    start = time.perf_counter()
    status, data = client.request("POST", "/api/v1/analyses/?wait=true", body, content_type)
    elapsed = time.perf_counter() - start
    return elapsed, status, (json.loads(data) if data else {})


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="server base URL (localhost only)")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--requests", type=int, default=200, help="sequential requests (at most 2000)")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent clients (at most 16)")
    parser.add_argument("--concurrent-requests", type=int, default=200, help="requests in the concurrent phase")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first (model loading)")
    parser.add_argument("--max-seconds", type=float, default=300, help="time limit of each phase")
    parser.add_argument("--model", default="fast")
    args = parser.parse_args()

    host = urlsplit(args.url).hostname or ""
    if host not in LOCAL_HOSTS:
        sys.exit(f"refusing to benchmark {host!r}: this script only talks to localhost")
    n = max(1, min(args.requests, 2000))
    concurrency = max(1, min(args.concurrency, 16))
    n_concurrent = max(concurrency, min(args.concurrent_requests, 2000))

    username, password = ensure_user(args.username, args.password)
    token = get_token(args.url, username, password)
    image = photo_640x480()
    body, content_type = multipart({"model": args.model}, {"image": ("bench.jpg", image, "image/jpeg")})

    client = Client(args.url, token)
    for _ in range(max(0, args.warmup)):
        _, status, data = upload_once(client, body, content_type)
        if status != 201:
            sys.exit(f"warm-up upload failed: HTTP {status} {str(data)[:300]} (is FER_UPLOAD_RATE high enough?)")
    if data.get("face_count") != 1:
        print(f"warning: the photo gave {data.get('face_count')} faces, expected 1", file=sys.stderr)

    latencies, errors, deadline = [], 0, time.monotonic() + args.max_seconds
    server_ms = []
    for _ in range(n):
        if time.monotonic() > deadline:
            print(f"time limit reached after {len(latencies)} requests", file=sys.stderr)
            break
        elapsed, status, data = upload_once(client, body, content_type)
        if status == 201:
            latencies.append(elapsed * 1000)
            server_ms.append(data.get("timings_ms", {}).get("total", 0.0))
        else:
            errors += 1
    if not latencies:
        sys.exit(f"no successful request ({errors} errors)")
    print(f"sequential: {len(latencies)} requests ({errors} errors), {len(image) // 1024} kB 640x480 JPEG, "
          f"model {args.model}")
    print(f"  latency p50 {percentile(latencies, 0.5):.1f} ms  p95 {percentile(latencies, 0.95):.1f} ms  "
          f"mean {statistics.fmean(latencies):.1f} ms  max {max(latencies):.1f} ms")
    print(f"  of which inference (server timings_ms.total) mean {statistics.fmean(server_ms):.1f} ms")

    counter = iter(range(n_concurrent))
    lock = threading.Lock()
    done = {"ok": 0, "errors": 0}
    deadline = time.monotonic() + args.max_seconds

    def worker() -> None:
        own = Client(args.url, token)
        while time.monotonic() < deadline:
            with lock:
                if next(counter, None) is None:
                    return
            _, status, _ = upload_once(own, body, content_type)
            with lock:
                done["ok" if status == 201 else "errors"] += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    print(f"concurrent: {concurrency} clients, {done['ok']} requests ({done['errors']} errors) in {elapsed:.1f} s: "
          f"{done['ok'] / elapsed:.1f} requests/s")


if __name__ == "__main__":
    main()

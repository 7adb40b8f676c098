"""Load test of a running deployment: N users uploading through the API and M live streams, for T seconds.

    scripts/run_scaled.sh &                  # with FER_UPLOAD_RATE=100000/min in its environment
    .venv/bin/python scripts/load_scaled.py --url http://127.0.0.1:8001,http://127.0.0.1:8002 \\
        --users 50 --streams 8 --seconds 120

Everything goes over HTTP and WebSockets, like real clients: each user signs up on the site
(random name), gets an API token, then uploads a 640x480 photo with one face with `wait=true`
again and again; each stream signs up, opens `/ws/live/` and sends the next frame when the last
prediction comes back (at most --fps per second). Requests are spread over the given URLs (one
per web process). At the end every accepted analysis is polled until it finishes (at most
--drain-seconds) and the script prints throughput, p50/p95 latencies, errors by kind and
whether every analysis finished; the exit status is 0 only with zero errors and all finished.
Talks to localhost only; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_api import Client, multipart, percentile, photo_640x480  # noqa: E402
from bench_live import camera_frame, session_cookie, stream  # noqa: E402

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
FINISHED = ("done", "failed")


def new_account(url: str) -> tuple[str, str]:
    """Sign up a fresh user through the site; returns (username, password)."""
    username, password = f"load-{secrets.token_hex(5)}", secrets.token_urlsafe(12) + "-Aa1"
    session_cookie(url, username, password, signup=True)
    return username, password


def api_token(url: str, username: str, password: str) -> str:
    body = json.dumps({"username": username, "password": password, "name": "load_scaled.py"}).encode()
    status, data = Client(url).request("POST", "/api/v1/auth/token/", body, "application/json")
    if status != 201:
        sys.exit(f"could not get a token: HTTP {status} {data[:300]!r}")
    return json.loads(data)["token"]


class Uploads:
    """Shared tallies of the upload clients."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies_ms: list[float] = []
        self.errors: Counter[str] = Counter()
        self.accepted: list[tuple[str, str, str]] = []  # (url, token, analysis id)

    def client(self, url: str, token: str, body: bytes, content_type: str, deadline: float, timeout: float) -> None:
        client = Client(url, token)
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                status, data = client.request("POST", f"/api/v1/analyses/?wait=true&timeout={timeout}", body,
                                              content_type)
            except OSError as exc:
                with self.lock:
                    self.errors[f"connection: {type(exc).__name__}"] += 1
                time.sleep(0.5)
                continue
            elapsed_ms = (time.perf_counter() - start) * 1000
            try:
                payload = json.loads(data) if data else {}
            except ValueError:  # an HTML error page (a server error): count it, keep the client going
                payload = {}
            with self.lock:
                if status in (201, 202):
                    self.latencies_ms.append(elapsed_ms)
                    self.accepted.append((url, token, payload["id"]))
                    if payload.get("status") == "failed":
                        self.errors[f"analysis failed: {payload.get('error', '')[:60]}"] += 1
                else:
                    self.errors[f"HTTP {status} {payload.get('error', {}).get('code', '')}"] += 1


def drain(accepted: list[tuple[str, str, str]], seconds: float) -> Counter[str]:
    """Poll every accepted analysis until it finishes or `seconds` run out; returns final statuses."""
    deadline = time.monotonic() + seconds
    clients: dict[tuple[str, str], Client] = {}
    final: dict[str, str] = {}
    pending = list(accepted)
    while pending and time.monotonic() < deadline:
        still = []
        for url, token, analysis_id in pending:
            client = clients.setdefault((url, token), Client(url, token))
            status, data = client.request("GET", f"/api/v1/analyses/{analysis_id}/")
            state = json.loads(data).get("status") if status == 200 else f"HTTP {status}"
            final[analysis_id] = state
            if state not in FINISHED and not state.startswith("HTTP"):
                still.append((url, token, analysis_id))
        pending = still
        if pending:
            time.sleep(1)
    return Counter(final.values())


async def streams(urls: list[str], cookies: list[str], seconds: float, fps: float) -> list[dict]:
    frame = camera_frame()
    results: list[dict] = [{} for _ in cookies]

    async def one(i: int) -> None:
        try:
            await stream(urls[i % len(urls)], cookies[i], frame, seconds, fps, results[i])
        except Exception as exc:  # a dropped socket is an error of the run, not a crash of the script
            results[i] = {"predictions": 0, "seconds": seconds, "errors": 1, "latencies": [], "crash": repr(exc)}

    await asyncio.gather(*(one(i) for i in range(len(cookies))))
    return results


def warm_up(url: str, token: str | None, body: bytes, content_type: str, cookies: list[str]) -> None:
    """Untimed: wait until a worker answers an upload and a live frame (workers load models when they start)."""
    deadline = time.monotonic() + 180
    if token:
        client = Client(url, token)
        while time.monotonic() < deadline:
            status, data = client.request("POST", "/api/v1/analyses/?wait=true&timeout=30", body, content_type)
            if status == 201:
                break
            time.sleep(2)
        else:
            sys.exit(f"warm-up: no upload finished within 180 s (last: HTTP {status} {data[:200]!r})")
    if cookies:
        result: dict = {}
        asyncio.run(stream(url, cookies[0], camera_frame(), 3, 5, result))
        if not result.get("predictions"):
            sys.exit("warm-up: the live stream got no prediction; is the realtime worker running?")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8001", help="comma-separated base URLs (localhost)")
    parser.add_argument("--users", type=int, default=50, help="concurrent uploading users (at most 200)")
    parser.add_argument("--streams", type=int, default=8, help="concurrent live streams (at most 32)")
    parser.add_argument("--seconds", type=float, default=120, help="duration of the load (at most 1800)")
    parser.add_argument("--fps", type=float, default=10, help="frame cap per stream")
    parser.add_argument("--wait-timeout", type=float, default=30, help="`timeout` of each upload's wait (<= 30)")
    parser.add_argument("--drain-seconds", type=float, default=120, help="how long to wait for unfinished analyses")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE (scripts/load_report.py)")
    args = parser.parse_args()

    urls = [u.strip().rstrip("/") for u in args.url.split(",") if u.strip()]
    if any(urlsplit(u).hostname not in LOCAL_HOSTS for u in urls):
        sys.exit("error: this load test only talks to servers on this machine")
    n_users, n_streams = max(0, min(args.users, 200)), max(0, min(args.streams, 32))
    seconds = max(1.0, min(args.seconds, 1800))

    print(f"setting up {n_users} uploading users and {n_streams} streaming users over {len(urls)} web process(es)")
    tokens = [api_token(urls[i % len(urls)], *new_account(urls[i % len(urls)])) for i in range(n_users)]
    cookies = [session_cookie(urls[i % len(urls)], *new_account(urls[i % len(urls)]), signup=False)
               for i in range(n_streams)]
    body, content_type = multipart({}, {"image": ("load.jpg", photo_640x480(), "image/jpeg")})

    warm_up(urls[0], tokens[0] if tokens else None, body, content_type, cookies[:1])

    uploads = Uploads()
    started = time.monotonic()
    deadline = started + seconds
    threads = [threading.Thread(target=uploads.client, daemon=True,
                                args=(urls[i % len(urls)], token, body, content_type, deadline, args.wait_timeout))
               for i, token in enumerate(tokens)]
    for t in threads:
        t.start()
    live = asyncio.run(streams(urls, cookies, seconds, args.fps)) if cookies else []
    for t in threads:
        t.join(timeout=args.wait_timeout + 30)
    elapsed = time.monotonic() - started

    finals = drain(uploads.accepted, args.drain_seconds)
    unfinished = sum(n for state, n in finals.items() if state not in FINISHED)
    lat = uploads.latencies_ms
    print(f"\nuploads: {len(lat)} accepted in {elapsed:.1f} s = {len(lat) / elapsed:.2f} uploads/s "
          f"({n_users} users, wait=true)")
    if lat:
        print(f"  latency p50 {percentile(lat, 0.5):.0f} ms  p95 {percentile(lat, 0.95):.0f} ms  max {max(lat):.0f} ms")
    print(f"  final statuses: {dict(finals)}; every analysis finished: {'yes' if unfinished == 0 else 'NO'}")
    live_errors = 0
    if live:
        all_lat = sorted(x for r in live for x in r["latencies"])
        predictions = sum(r["predictions"] for r in live)
        live_errors = sum(r["errors"] for r in live)
        print(f"live: {n_streams} streams, {predictions} predictions = {predictions / elapsed:.1f} predictions/s, "
              f"errors {live_errors}")
        if all_lat:
            print(f"  frame latency p50 {percentile(all_lat, 0.5):.0f} ms  p95 {percentile(all_lat, 0.95):.0f} ms")
        for r in live:
            if "crash" in r:
                print(f"  stream crashed: {r['crash']}")
    errors = sum(uploads.errors.values()) + live_errors
    print(f"errors: {errors}" + (f" {dict(uploads.errors)}" if uploads.errors else ""))
    if args.json:
        Path(args.json).write_text(json.dumps(report(n_users, n_streams, elapsed, lat, finals, unfinished, live,
                                                     errors, uploads.errors), indent=2) + "\n")
    return 0 if errors == 0 and unfinished == 0 else 1


def report(n_users: int, n_streams: int, elapsed: float, upload_ms: list[float], finals: Counter[str],
           unfinished: int, live: list[dict], errors: int, upload_errors: Counter[str]) -> dict:
    """The run's figures as JSON-ready data."""
    live_ms = sorted(x for r in live for x in r["latencies"])
    predictions = sum(r["predictions"] for r in live)

    def p50_p95(values: list[float]) -> dict:
        return {"p50": round(percentile(values, 0.5)), "p95": round(percentile(values, 0.95))} if values else {}

    return {
        "users": n_users, "streams": n_streams, "seconds": round(elapsed, 1),
        "uploads": {"accepted": len(upload_ms), "per_s": round(len(upload_ms) / elapsed, 2),
                    "latency_ms": p50_p95(upload_ms), "final_statuses": dict(finals), "unfinished": unfinished},
        "live": {"predictions": predictions, "per_s": round(predictions / elapsed, 1), "latency_ms": p50_p95(live_ms)},
        "errors": errors, "upload_errors": dict(upload_errors),
    }


if __name__ == "__main__":
    sys.exit(main())

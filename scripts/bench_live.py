"""Live-stream benchmark: real JPEG frames of a real face over real WebSockets to a running server.

    ./run &                                  # or any server of the platform on localhost
    .venv/bin/python scripts/bench_live.py --url http://127.0.0.1:8000 --signup --streams 1 --seconds 60
    .venv/bin/python scripts/bench_live.py --url http://127.0.0.1:8000 --streams 4 --seconds 300 --server-pid PID

Each stream behaves like the live page: it sends a frame, waits for its prediction, sends the
next (at most --fps per second). It prints, per stream and overall, predictions/s and the
frame-to-prediction latency (p50/p95, measured at the client), and with --server-pid the
server's resident memory after warm-up and at the end. Talks to localhost only; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

import requests
from PIL import Image


def camera_frame() -> bytes:
    from skimage import data

    canvas = Image.new("RGB", (640, 480), (90, 90, 90))
    canvas.paste(Image.fromarray(data.astronaut()).resize((400, 400)), (120, 40))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def session_cookie(url: str, username: str, password: str, signup: bool) -> str:
    http = requests.Session()
    if signup:
        page = http.get(f"{url}/accounts/signup/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        http.post(f"{url}/accounts/signup/", data={
            "csrfmiddlewaretoken": token, "username": username, "email": f"{username}@example.com",
            "password1": password, "password2": password}, headers={"Referer": f"{url}/accounts/signup/"})
    if "sessionid" not in http.cookies:
        page = http.get(f"{url}/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        http.post(f"{url}/accounts/login/", data={"csrfmiddlewaretoken": token, "username": username,
                                                   "password": password}, headers={"Referer": f"{url}/accounts/login/"})
    if "sessionid" not in http.cookies:
        sys.exit("error: could not sign in; check --username/--password or use --signup")
    return http.cookies["sessionid"]


async def stream(url: str, cookie: str, frame: bytes, seconds: float, fps: float, results: dict) -> None:
    from websockets.asyncio.client import connect

    parsed = urllib.parse.urlparse(url)
    ws_url = f"ws://{parsed.netloc}/ws/live/"
    latencies: list[float] = []
    errors = without_face = 0
    async with connect(ws_url, additional_headers={"Cookie": f"sessionid={cookie}"}, origin=url,
                       max_size=2**22) as socket:
        assert json.loads(await socket.recv())["type"] == "ready"
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            sent = time.monotonic()
            await socket.send(frame)
            message = json.loads(await asyncio.wait_for(socket.recv(), 120))  # the first frame loads the model
            if message["type"] == "prediction":
                latencies.append((time.monotonic() - sent) * 1000)
                without_face += not message["faces"]  # the frame has one face: count misses
            else:
                errors += 1
            pause = 1 / fps - (time.monotonic() - sent)
            if pause > 0:
                await asyncio.sleep(pause)
        elapsed = time.monotonic() - started
        await socket.send(json.dumps({"type": "stop"}))
        await asyncio.wait_for(socket.recv(), 30)
    results.update(predictions=len(latencies), seconds=elapsed, errors=errors, latencies=latencies,
                   without_face=without_face)


def rss_mb(pid: int | None) -> float | None:
    if not pid:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


async def main_async(args: argparse.Namespace) -> int:
    url = args.url.rstrip("/")
    if urllib.parse.urlparse(url).hostname not in {"127.0.0.1", "localhost", "::1"}:
        sys.exit("error: this benchmark only talks to a server on this machine")
    cookie = session_cookie(url, args.username, args.password, args.signup)
    frame = camera_frame()
    # Warm-up: the first frames load the model.
    await stream(url, cookie, frame, 3, args.fps, {})
    before = rss_mb(args.server_pid)
    results = [{} for _ in range(args.streams)]
    await asyncio.gather(*(stream(url, cookie, frame, args.seconds, args.fps, r) for r in results))
    after = rss_mb(args.server_pid)
    print(f"{args.streams} stream(s) x {args.seconds:.0f} s, {len(frame):,}-byte 640x480 JPEG frames, "
          f"one face, model fast, client cap {args.fps} fps")
    all_latencies = []
    for i, r in enumerate(results, 1):
        lat = sorted(r["latencies"])
        all_latencies += lat
        print(f"  stream {i}: {r['predictions'] / r['seconds']:.1f} predictions/s, latency p50 "
              f"{statistics.median(lat):.0f} ms, p95 {lat[int(0.95 * (len(lat) - 1))]:.0f} ms, errors {r['errors']}, "
              f"predictions with no face found {r['without_face']}")
    all_latencies.sort()
    total = sum(r["predictions"] for r in results) / max(r["seconds"] for r in results)
    print(f"  all: {total:.1f} predictions/s, latency p50 {statistics.median(all_latencies):.0f} ms, "
          f"p95 {all_latencies[int(0.95 * (len(all_latencies) - 1))]:.0f} ms")
    if before is not None:
        print(f"  server resident memory: {before:.0f} MB after warm-up, {after:.0f} MB at the end "
              f"({after - before:+.0f} MB)")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--username", default="bench")
    p.add_argument("--password", default="bench-Password-2026")
    p.add_argument("--signup", action="store_true", help="create the user through the sign-up page first")
    p.add_argument("--streams", type=int, default=1)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--fps", type=float, default=30)
    p.add_argument("--server-pid", type=int, help="report this process's resident memory")
    return asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    sys.exit(main())

"""The scaled profile's load report: the same load twice, without and with cross-stream batching.

    .venv/bin/python scripts/load_report.py                    # 50 users + 8 streams, 120 s, each run
    .venv/bin/python scripts/load_report.py --users 3 --streams 2 --seconds 15    # a quick look

For each of `FER_LIVE_BATCH_SIZE=1` (every live frame classified on its own) and the configured
batch size, starts `scripts/run_scaled.sh` (two daphne processes, both workers, beat; local
PostgreSQL and Redis), runs `scripts/load_scaled.py` against it, and stops it. Then prints both
runs side by side and the batching gain (live predictions/s batched over unbatched). Exit status
0 only when both runs had zero errors and every analysis finished. Bounded in time: each start
waits at most 180 s; each load run gets its duration plus the drain and a margin.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URLS = ("http://127.0.0.1:8001", "http://127.0.0.1:8002")


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"run_scaled.sh exited with status {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(f"{url}/", timeout=2):
                return
        except OSError:
            time.sleep(1)
    sys.exit(f"{url} did not answer within {seconds:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM run_scaled.sh alone (it stops its children and keeps their last log lines), then the group."""
    process.terminate()
    try:
        process.wait(timeout=45)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # whatever is left (nothing, normally)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def one_run(batch_size: int | None, args: argparse.Namespace, log_dir: Path) -> dict:
    label = f"batch {batch_size}" if batch_size else "batch default"
    env = dict(os.environ, FER_UPLOAD_RATE="100000/min", FER_API_ANON_RATE="100000/min",
               FER_API_USER_RATE="1000000/hour")
    if batch_size:
        env["FER_LIVE_BATCH_SIZE"] = str(batch_size)
    log = log_dir / f"run_scaled-{label.replace(' ', '-')}.log"
    print(f"\n=== {label}: starting the scaled profile (log: {log})", flush=True)
    with log.open("w") as out:
        process = subprocess.Popen(["bash", "scripts/run_scaled.sh"], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for url in URLS:
            wait_until_up(url, process)
        figures = log_dir / f"{label.replace(' ', '-')}.json"
        command = [sys.executable, "scripts/load_scaled.py", "--url", ",".join(URLS), "--users", str(args.users),
                   "--streams", str(args.streams), "--seconds", str(args.seconds), "--json", str(figures)]
        print(f"=== {label}: {' '.join(command[1:])}", flush=True)
        subprocess.run(command, cwd=ROOT, timeout=args.seconds + 600, check=False)
        if not figures.is_file():
            sys.exit(f"{label}: load_scaled.py wrote no figures")
        result = json.loads(figures.read_text()) | {"label": label}
    finally:
        stop(process)
    # Logged by the realtime worker at shutdown (fer_site/worker_signals.py); none when unbatched.
    result["batching"] = [line.split("live batching: ", 1)[1].strip() for line in log.read_text().splitlines()
                          if "live batching: " in line]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()

    log_dir = Path(tempfile.mkdtemp(prefix="fer-load-"))
    runs = [one_run(1, args, log_dir), one_run(None, args, log_dir)]

    print(f"\nLoad report: {args.users} uploading users + {args.streams} live streams, {args.seconds:.0f} s per run")
    print(f"{'run':<14} {'uploads/s':>9} {'upload p50/p95 ms':>18} {'live pred/s':>11} {'live p50/p95 ms':>16} "
          f"{'errors':>6} {'all done':>8}")
    for run in runs:
        up, live = run["uploads"], run["live"]
        up_lat = f"{up['latency_ms'].get('p50', '-')}/{up['latency_ms'].get('p95', '-')}"
        live_lat = f"{live['latency_ms'].get('p50', '-')}/{live['latency_ms'].get('p95', '-')}"
        print(f"{run['label']:<14} {up['per_s']:>9} {up_lat:>18} {live['per_s']:>11} {live_lat:>16} "
              f"{run['errors']:>6} {'yes' if up['unfinished'] == 0 else 'NO':>8}")
    for run in runs:
        for line in run["batching"]:
            print(f"{run['label']}: realtime worker batched {line}")
    unbatched, batched = runs[0]["live"]["per_s"], runs[1]["live"]["per_s"]
    if unbatched:
        print(f"batching gain, live predictions/s: {batched / unbatched:.2f}x ({unbatched} -> {batched})")
    print(f"logs and figures: {log_dir}")
    ok = all(run["errors"] == 0 and run["uploads"]["unfinished"] == 0 for run in runs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

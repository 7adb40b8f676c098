"""Faces/s of a classifier with and without the cross-stream micro-batcher (ml/batching.py).

    .venv/bin/python scripts/bench_batching.py --model fast --streams 8 --seconds 10

Unbatched: one call per frame, as `--pool prefork` realtime workers make (each frame's one face
alone). Batched: --streams threads, each submitting one face per frame through one MicroBatcher
(`--batch` faces at most, `--wait-ms` at most), as the `--pool threads` realtime worker does.
Only the classifier is timed: detection costs the same either way. Bounded in time.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml.serving.batching import MicroBatcher  # noqa: E402
from ml.serving.registry import get_classifier  # noqa: E402


def unbatched(classifier, face: np.ndarray, seconds: float) -> float:
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        classifier.predict_proba(face)
        done += 1
    return done / seconds


def batched(batcher: MicroBatcher, face: np.ndarray, streams: int, seconds: float) -> float:
    counts = [0] * streams
    deadline = time.monotonic() + seconds

    def stream(i: int) -> None:
        while time.monotonic() < deadline:
            with batcher.caller():
                batcher.predict_proba(face)
            counts[i] += 1

    threads = [threading.Thread(target=stream, args=(i,)) for i in range(streams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="fast")
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--wait-ms", type=float, default=10.0)
    args = parser.parse_args()
    seconds = max(1.0, min(args.seconds, 300))

    classifier = get_classifier(args.model)
    face = np.random.default_rng(0).integers(0, 255, (1, 48, 48), dtype=np.uint8)
    classifier.predict_proba(face)  # warm-up
    base = unbatched(classifier, face, seconds)
    batcher = MicroBatcher(classifier.predict_proba, max_faces=args.batch, max_wait_s=args.wait_ms / 1000)
    with_batching = batched(batcher, face, max(1, min(args.streams, 256)), seconds)
    mean_batch = batcher.stats.faces / max(batcher.stats.batches, 1)
    print(f"model {args.model}: unbatched {base:.0f} faces/s; batched across {args.streams} streams "
          f"{with_batching:.0f} faces/s (mean batch {mean_batch:.1f}, largest {batcher.stats.largest}); "
          f"gain x{with_batching / base:.2f}")


if __name__ == "__main__":
    main()

"""Side by side with the `fer` package (the peer people compare us with), in one process, interleaved.

The peer is optional and never a requirement. It needs TensorFlow and OpenCV, which this project
has; its other declared dependencies (PyTorch for its MTCNN, moviepy, ...) are not needed for
its Haar + classifier path, so install it beside the project without them:

    .venv/bin/pip install --no-deps --target /tmp/fer-peer fer==25.10.3
    PYTHONPATH=/tmp/fer-peer .venv/bin/python scripts/bench_peer.py [--rounds 30] [--json]

Measured, each in interleaved rounds on the same 640x480 JPEG with one face (scikit-image's
astronaut, as `python -m ml.bench`), so load on the machine hits every contender alike:
- photo pipeline (decode + detect + classify) p50/p95: ours (default model and detector) against
  the peer's TFLite path (its default) and its Keras path;
- classifier alone: faces/s at batch 64 and ms for one face, ours against the peer's TFLite path
  (which runs faces one by one) and its Keras path.
Ratios are ours / peer for times (lower is better) and ours / peer for faces/s (higher is better).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from ml.bench import sample_photo  # noqa: E402
from ml.serving.detection import DEFAULT_DETECTOR  # noqa: E402
from ml.serving.pipeline import analyse_photo  # noqa: E402
from ml.serving.registry import DEFAULT_MODEL, get_classifier  # noqa: E402


def load_peer():
    try:
        from fer.fer import FER
    except ImportError:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        print("error: the `fer` package is not importable; install it as above", file=sys.stderr)
        return None
    return FER


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _stats(samples: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(samples, 50)), 2), "p95": round(float(np.percentile(samples, 95)), 2)}


def pipeline_rounds(photo: bytes, contenders: dict, rounds: int) -> dict[str, dict[str, float]]:
    for run in contenders.values():  # warm-up: loading, first-call set-up
        run(photo)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            started = time.perf_counter()
            run(photo)
            times[name].append(_ms(started))
    return {name: _stats(samples) for name, samples in times.items()}


def classifier_rounds(contenders: dict, batch: int, seconds: float, rounds: int = 3) -> dict[str, float]:
    """Faces/s per contender, alternating `rounds` timed runs of `seconds` each; the median run counts."""
    rng = np.random.default_rng(0)
    faces = rng.integers(0, 256, size=(batch, 48, 48), dtype=np.uint8)
    for run in contenders.values():
        run(faces)
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            done, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                run(faces)
                done += batch
            rates[name].append(done / (time.perf_counter() - started))
    return {name: round(float(np.median(values)), 1) for name, values in rates.items()}


def peer_classify(detector):
    """The peer's classifier on 48 px faces, resized and scaled as its detect_emotions does."""
    size = detector._FER__emotion_target_size

    def run(faces: np.ndarray) -> np.ndarray:
        resized = np.stack([cv2.resize(f, size) for f in faces]).astype(np.float32)
        return detector._classify_emotions((resized / 255.0 - 0.5) * 2.0)

    return run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--seconds", type=float, default=2.0, help="time per classifier throughput run")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    FER = load_peer()
    if FER is None:
        return 2
    photo = sample_photo(None)
    peer_tflite, peer_keras = FER(), FER(use_tflite=False)

    def peer(detector):
        return lambda data: detector.detect_emotions(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR))

    ours = get_classifier(DEFAULT_MODEL)
    report = {
        "ours": f"{DEFAULT_MODEL} + {DEFAULT_DETECTOR}",
        "pipeline_ms": pipeline_rounds(photo, {
            "ours": lambda data: analyse_photo(data),
            "peer_tflite": peer(peer_tflite),
            "peer_keras": peer(peer_keras),
        }, args.rounds),
        "faces_per_s_batch64": classifier_rounds({
            "ours": ours.predict_proba, "peer_tflite": peer_classify(peer_tflite),
            "peer_keras": peer_classify(peer_keras)}, 64, args.seconds),
        "faces_per_s_batch1": classifier_rounds({
            "ours": ours.predict_proba, "peer_tflite": peer_classify(peer_tflite)}, 1, args.seconds),
    }
    pipe, b64, b1 = report["pipeline_ms"], report["faces_per_s_batch64"], report["faces_per_s_batch1"]
    fastest_peer = min(pipe["peer_tflite"]["p50"], pipe["peer_keras"]["p50"])
    report["ratios"] = {
        "pipeline_p50_vs_fastest_peer": round(pipe["ours"]["p50"] / fastest_peer, 3),
        "batch64_vs_best_peer": round(b64["ours"] / max(b64["peer_tflite"], b64["peer_keras"]), 2),
        "one_face_ms": {"ours": round(1000 / b1["ours"], 3), "peer_tflite": round(1000 / b1["peer_tflite"], 3)},
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"Photo pipeline, 640x480 JPEG with one face, {args.rounds} interleaved rounds (ms, p50 / p95):")
    for name, row in pipe.items():
        print(f"  {name:<12} {row['p50']:8.1f} / {row['p95']:.1f}")
    print(f"  ours / fastest peer (p50): {report['ratios']['pipeline_p50_vs_fastest_peer']:.2f}")
    print("Classifier, faces/s at batch 64:  " + "  ".join(f"{k} {v:,.0f}" for k, v in b64.items())
          + f"  (ours / best peer {report['ratios']['batch64_vs_best_peer']:.2f}x)")
    one = report["ratios"]["one_face_ms"]
    print(f"Classifier, one face: ours {one['ours']:.2f} ms, peer TFLite {one['peer_tflite']:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m ml.bench`: latency, throughput and memory of the inference pipeline on this machine.

For each model and detector, on a 640x480 JPEG with one face (scikit-image's astronaut, or
`--image`): p50/p95 of decode, detect and classify, and of the whole call. For each model:
batched classification throughput in faces/s and CPU time per face (all threads) at batch 1, 16
and 64 (`--batches`), and the runtime that served it (ONNX Runtime for exported models, else
Keras; `FER_MODEL_RUNTIME=keras` compares). With `--startup`, for each model, what a fresh
process pays to load it through the registry and warm it up: seconds, peak memory, and whether
TensorFlow was imported. Finally the peak resident memory of this process, which by then holds
every model it measured.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import time

import numpy as np


def sample_photo(path: str | None) -> bytes:
    """JPEG bytes of a 640x480 photo with one face."""
    from PIL import Image

    if path:
        image = Image.open(path).convert("RGB")
    else:
        from skimage import data  # test/bench dependency only

        image = Image.fromarray(data.astronaut())
    image.thumbnail((640, 480))
    canvas = Image.new("RGB", (640, 480), (128, 128, 128))
    canvas.paste(image, ((640 - image.width) // 2, (480 - image.height) // 2))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def percentiles(samples: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(samples, 50)), 2), "p95": round(float(np.percentile(samples, 95)), 2)}


def bench_pipeline(photo: bytes, model: str, detector: str, repeats: int) -> dict:
    from ml.serving.pipeline import analyse_photo

    analyse_photo(photo, model=model, detector=detector)  # warm-up: loading and tracing
    stages: dict[str, list[float]] = {"decode": [], "detect": [], "classify": [], "total": []}
    faces = 0
    for _ in range(repeats):
        result = analyse_photo(photo, model=model, detector=detector)
        faces = len(result.faces)
        for stage in stages:
            stages[stage].append(result.timings_ms[stage])
    return {"model": model, "detector": detector, "faces_found": faces,
            "ms": {stage: percentiles(values) for stage, values in stages.items()}}


def bench_throughput(model: str, batch_sizes: list[int], seconds: float) -> dict:
    from ml.serving.registry import get_classifier

    classifier = get_classifier(model)
    rng = np.random.default_rng(0)
    rates, cpu = {}, {}
    for size in batch_sizes:
        faces = rng.integers(0, 256, size=(size, 48, 48), dtype=np.uint8)
        classifier.predict_proba(faces)
        classifier.predict_proba(faces)
        done, started, cpu_started = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - started < seconds:
            classifier.predict_proba(faces)
            done += size
        rates[str(size)] = round(done / (time.perf_counter() - started), 1)
        cpu[str(size)] = round((time.process_time() - cpu_started) * 1000 / done, 3)
    return {"model": model, "runtime": getattr(classifier, "runtime", ""), "faces_per_s": rates,
            "cpu_ms_per_face": cpu}


STARTUP_SCRIPT = """
import json, resource, sys, time
started = time.perf_counter()
from ml.serving.registry import get_classifier
classifier = get_classifier(sys.argv[1])
classifier.warm_up()
print(json.dumps({"seconds": round(time.perf_counter() - started, 2),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "tensorflow_imported": "tensorflow" in sys.modules,
                  "runtime": getattr(classifier, "runtime", "")}))
"""


def bench_startup(model: str) -> dict:
    """Import, load and warm-up of one model in a fresh interpreter, as a web or worker process starts."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", STARTUP_SCRIPT, model], cwd=root, capture_output=True, text=True,
                          check=True)
    return {"model": model, **json.loads(done.stdout.strip().splitlines()[-1])}


def _record(report: dict) -> None:
    """Store each model's figures in its card, with the machine and the command that made them."""
    import os
    import platform

    from ml.model_card import ModelCard
    from ml.serving import registry

    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores"
    for row in report["throughput"]:
        if registry.ensemble_members(row["model"]) is not None:
            continue
        directory = registry.model_dirs()[row["model"]]
        card = ModelCard.load(directory)
        card.metrics["bench"] = {
            "machine": machine,
            "runtime": row["runtime"],
            "command": "python -m ml.bench --write-card",
            "faces_per_s": row["faces_per_s"],
            "pipeline_ms": {p["detector"]: p["ms"] for p in report["pipeline"] if p["model"] == row["model"]},
            "peak_rss_mb_all_models": report["peak_rss_mb"],
        }
        card.save(directory)


def main(argv: list[str] | None = None) -> int:
    from ml.serving.detection import DETECTORS
    from ml.serving.registry import available_names

    p = argparse.ArgumentParser(prog="python -m ml.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="*", help="default: every available model")
    p.add_argument("--detectors", nargs="*", default=list(DETECTORS))
    p.add_argument("--image", help="photo to use instead of the astronaut")
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--batches", type=int, nargs="*", default=[1, 16, 64])
    p.add_argument("--seconds", type=float, default=3.0, help="time per throughput measurement")
    p.add_argument("--throughput-only", action="store_true", help="skip the photo pipeline (GPU runs)")
    p.add_argument("--startup", action="store_true", help="also time loading each model in a fresh process")
    p.add_argument("--json", action="store_true")
    p.add_argument("--write-card", action="store_true", help="record the figures in each model's card")
    args = p.parse_args(argv)

    models = args.models or available_names()
    report: dict = {"pipeline": [], "throughput": [], "startup": []}
    photo = None if args.throughput_only else sample_photo(args.image)
    for model in models:
        if args.startup:  # first: the fresh process must not compete with this one's threads
            report["startup"].append(bench_startup(model))
        report["throughput"].append(bench_throughput(model, args.batches, args.seconds))
        for detector in [] if photo is None else args.detectors:
            report["pipeline"].append(bench_pipeline(photo, model, detector, args.repeats))
    # The Keras backend, for GPU runs' records; None when no model needed Keras (it is not imported to ask).
    report["backend"] = sys.modules["keras"].config.backend() if "keras" in sys.modules else None
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report["models_loaded"] = models
    if args.write_card:
        _record(report)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print("Pipeline on a 640x480 JPEG with one face (ms, p50 / p95):")
    print(f"{'model':<10} {'detector':<8} {'faces':>5} {'decode':>13} {'detect':>13} {'classify':>13} {'total':>13}")
    for row in report["pipeline"]:
        cells = " ".join(f"{row['ms'][s]['p50']:>6.1f}/{row['ms'][s]['p95']:<6.1f}"
                         for s in ("decode", "detect", "classify", "total"))
        print(f"{row['model']:<10} {row['detector']:<8} {row['faces_found']:>5} {cells}")
    print("\nBatched classification throughput (faces/s):")
    for row in report["throughput"]:
        rates = "  ".join(f"batch {b}: {r:,.0f} ({row['cpu_ms_per_face'][b]:.2f} CPU ms/face)"
                          for b, r in row["faces_per_s"].items())
        print(f"{row['model']:<10} {rates}  [{row['runtime']}]")
    if report["startup"]:
        print("\nFresh process: import, load and warm up one model through the registry:")
    for row in report["startup"]:
        print(f"{row['model']:<10} {row['seconds']:.2f} s, peak RSS {row['peak_rss_mb']} MB, TensorFlow "
              f"{'imported' if row['tensorflow_imported'] else 'not imported'}  [{row['runtime']}]")
    print(f"\nPeak resident memory with {', '.join(models)} loaded: {report['peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

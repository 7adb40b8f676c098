"""`python -m ml.detection_check`: recall, false hits and speed of every face detector on synthetic
multi-face photos with known face positions (`ml.detection_scenes`, built from FER2013 PublicTest).

A detection finds a placed face when its centre lies inside the face's square and the square
root of its area is 0.5-2 times the square's side. Detectors frame faces differently (Haar
boxes are loose, MTCNN's tall and tight, BlazeFace's square), and this check asks whether a face
was found, not how it was framed, so it does not use an IoU threshold, which would reward
framings that happen to resemble FER2013's. The size bound keeps a box spanning several faces, or
one on an eye, from counting. Placed squares keep a gap between them, so a centre lies in at most
one. Detections are taken in order of score; each face counts once, and every other detection,
including a second one on a face already found, is a false hit. The same rule applies to every
detector.

Reported per detector: recall overall, by face side (px), upright vs turned and by photo size;
false hits per photo; milliseconds per photo for `detect` alone (p50, p95) on the decoded RGB
array; in the JSON also how the found faces were framed (box size and centre against the square).
`--json` prints the figures as JSON; `--save FILE.json` writes every placed face with the
detection matched to it (box, score, landmarks), for fitting each detector's box-to-crop framing.
`--variants` adds the BlazeFace configurations considered for the `blazeface` detector;
`--min-scores` adds recall and false hits had only detections scoring at least each value been
kept (filtering what the detector returned, so values below its own threshold change nothing).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.faces import Box

SIZE_BUCKETS = ((40, 80), (80, 160), (160, 301))  # face side in photo pixels, [low, high)
DEFAULT_DATA = "../shared/datasets/fer2013/fer2013.csv.xz"


def is_match(truth: Box, found: Box) -> bool:
    """The matching rule of the module docstring."""
    cx, cy = found.x + found.w / 2, found.y + found.h / 2
    inside = truth.x <= cx < truth.x + truth.w and truth.y <= cy < truth.y + truth.h
    ratio = (found.w * found.h) ** 0.5 / max(truth.w, truth.h)
    return inside and 0.5 <= ratio <= 2.0


def match(truths: Sequence[Box], found: Sequence[Box]) -> tuple[list[int | None], int]:
    """For each true face, the index in `found` of the detection that found it (or None); and the number of
    false hits (detections that found no face, or a face already found by a higher-scoring one)."""
    matched: list[int | None] = [None] * len(truths)
    false_hits = 0
    for j in sorted(range(len(found)), key=lambda k: -found[k].score):
        hit = next((i for i, truth in enumerate(truths) if is_match(truth, found[j])), None)
        if hit is None or matched[hit] is not None:
            false_hits += 1
        else:
            matched[hit] = j
    return matched, false_hits


@dataclass
class Outcome:
    """One detector's result on one placed face."""

    image: int
    face: object  # ml.detection_scenes.PlacedFace
    photo_size: str
    found: Box | None


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def framing(hits: list[Outcome]) -> dict | None:
    """How a detector frames the faces it found, against the placed squares: medians of its box side
    (square root of the area) and of its centre's offset, in units of the square's side; mean IoU."""
    if not hits:
        return None
    side = [(o.found.w * o.found.h) ** 0.5 / o.face.side for o in hits]
    dx = [(o.found.x + o.found.w / 2 - o.face.x - o.face.side / 2) / o.face.side for o in hits]
    dy = [(o.found.y + o.found.h / 2 - o.face.y - o.face.side / 2) / o.face.side for o in hits]
    return {"side_ratio_p50": round(float(np.median(side)), 3), "dx_p50": round(float(np.median(dx)), 3),
            "dy_p50": round(float(np.median(dy)), 3),
            "mean_iou": round(float(np.mean([o.face.box.iou(o.found) for o in hits])), 3)}


def summarise(outcomes: list[Outcome], false_hits: int, images: int, ms: list[float]) -> dict:
    """Recall overall and by group, false hits per photo, and detection time per photo."""
    def recall(keep: Callable[[Outcome], bool]) -> dict:
        chosen = [o for o in outcomes if keep(o)]
        return {"recall": _ratio(sum(o.found is not None for o in chosen), len(chosen)), "faces": len(chosen)}

    by_size = {f"{low}-{high - 1}": recall(lambda o, lo=low, hi=high: lo <= o.face.side < hi)
               for low, high in SIZE_BUCKETS}
    photo_sizes = sorted({o.photo_size for o in outcomes}, key=lambda s: int(s.split("x")[0]))
    hits = [o for o in outcomes if o.found is not None]
    return {
        **recall(lambda o: True),
        "by_side": by_size,
        "upright": recall(lambda o: not o.face.turned),
        "turned": recall(lambda o: o.face.turned),
        "by_photo": {size: recall(lambda o, s=size: o.photo_size == s) for size in photo_sizes},
        "false_hits_per_image": round(false_hits / images, 3) if images else None,
        "false_hits": false_hits,
        "images": images,
        "framing_of_hits": framing(hits),
        "ms_per_image": {"p50": round(float(np.percentile(ms, 50)), 2), "p95": round(float(np.percentile(ms, 95)), 2)},
    }


def score_sweep(scenes, found_per_image: list[list[Box]], min_scores: Sequence[float]) -> list[dict]:
    """Recall and false hits per photo had only detections scoring at least each value been kept."""
    total = sum(len(s.faces) for s in scenes)
    rows = []
    for floor in min_scores:
        hits = false_hits = 0
        for scene, found in zip(scenes, found_per_image, strict=True):
            matched, wrong = match([f.box for f in scene.faces], [b for b in found if b.score >= floor])
            hits += sum(j is not None for j in matched)
            false_hits += wrong
        rows.append({"min_score": floor, "recall": _ratio(hits, total),
                     "false_hits_per_image": round(false_hits / len(scenes), 3)})
    return rows


def run_detector(detector, scenes, min_scores: Sequence[float] = ()) -> tuple[dict, list[Outcome], list[list[Box]]]:
    detector.detect(scenes[0].rgb)  # warm-up: loading, first-call set-up
    outcomes: list[Outcome] = []
    extras: list[list[Box]] = []
    found_per_image: list[list[Box]] = []
    false_hits, ms = 0, []
    for index, scene in enumerate(scenes):
        started = time.perf_counter()
        found = detector.detect(scene.rgb)
        ms.append((time.perf_counter() - started) * 1000)
        found_per_image.append(found)
        matched, wrong = match([f.box for f in scene.faces], found)
        false_hits += wrong
        size = f"{scene.rgb.shape[1]}x{scene.rgb.shape[0]}"
        outcomes += [Outcome(index, face, size, None if j is None else found[j])
                     for face, j in zip(scene.faces, matched, strict=True)]
        used = {j for j in matched if j is not None}
        extras.append([box for j, box in enumerate(found) if j not in used])
    summary = summarise(outcomes, false_hits, len(scenes), ms)
    if min_scores:
        summary["score_sweep"] = score_sweep(scenes, found_per_image, min_scores)
    return summary, outcomes, extras


def blazeface_variants() -> dict[str, Callable[[], object]]:
    """BlazeFace configurations weighed for the `blazeface` detector (see docs/ml.md)."""
    from ml.serving.blazeface import FULL_RANGE, SHORT_RANGE, BlazeFace
    from ml.serving.detection import BlazeFaceDetector

    return {
        "bf-full": lambda: BlazeFaceDetector((BlazeFace(FULL_RANGE),)),
        "bf-short128": lambda: BlazeFaceDetector((BlazeFace(SHORT_RANGE),)),
        "bf-short256": lambda: BlazeFaceDetector((BlazeFace(SHORT_RANGE, 256),)),
        "bf-short320": lambda: BlazeFaceDetector((BlazeFace(SHORT_RANGE, 320),)),
        "bf-short384": lambda: BlazeFaceDetector((BlazeFace(SHORT_RANGE, 384),)),
        "bf-short128+320": lambda: BlazeFaceDetector((BlazeFace(SHORT_RANGE), BlazeFace(SHORT_RANGE, 320))),
        "bf-full+short320": lambda: BlazeFaceDetector((BlazeFace(FULL_RANGE), BlazeFace(SHORT_RANGE, 320))),
    }


def _detection_record(box: Box | None) -> dict | None:
    return None if box is None else box.to_dict()


def save_detections(path: Path, scenes, per_detector: dict[str, tuple[list[Outcome], list[list[Box]]]]) -> None:
    data = {
        "rule": "centre inside the placed square, sqrt(area) 0.5-2x its side",
        "images": [{"width": s.rgb.shape[1], "height": s.rgb.shape[0], "background": s.background} for s in scenes],
        "detectors": {
            name: {
                "faces": [{"image": o.image, "square": [o.face.x, o.face.y, o.face.side], "angle": o.face.angle,
                           "detected": _detection_record(o.found)} for o in outcomes],
                "false_hits": [{"image": i, "detected": box.to_dict()}
                               for i, boxes in enumerate(extras) for box in boxes],
            }
            for name, (outcomes, extras) in per_detector.items()
        },
    }
    path.write_text(json.dumps(data) + "\n")


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{value * 100:5.1f}%"


def print_table(report: dict) -> None:
    rows = report["detectors"]
    first = next(iter(rows.values()))
    sides = list(first["by_side"])
    photos = list(first["by_photo"])
    print(f"{report['images']} photos, {report['faces']} faces (seed {report['seed']}); recall by face side (px), "
          f"upright/turned and photo size; false hits per photo; detect ms per photo p50/p95")
    header = (f"{'detector':<18}{'recall':>8}" + "".join(f"{s:>9}" for s in sides) + f"{'upright':>9}{'turned':>9}"
              + "".join(f"{p:>10}" for p in photos) + f"{'false/img':>10}{'ms p50/p95':>16}")
    print(header)
    for name, row in rows.items():
        print(f"{name:<18}{_pct(row['recall']):>8}" + "".join(f"{_pct(row['by_side'][s]['recall']):>9}" for s in sides)
              + f"{_pct(row['upright']['recall']):>9}{_pct(row['turned']['recall']):>9}"
              + "".join(f"{_pct(row['by_photo'][p]['recall']):>10}" for p in photos)
              + f"{row['false_hits_per_image']:>10.2f}"
              + f"{row['ms_per_image']['p50']:>9.1f}/{row['ms_per_image']['p95']:<6.1f}")
    sweeps = {name: row["score_sweep"] for name, row in rows.items() if "score_sweep" in row}
    if sweeps:
        print("\nRecall / false hits per photo keeping only detections scoring at least:")
        floors = [entry["min_score"] for entry in next(iter(sweeps.values()))]
        print(f"{'detector':<18}" + "".join(f"{floor:>15}" for floor in floors))
        for name, sweep in sweeps.items():
            print(f"{name:<18}" + "".join(f"{_pct(e['recall']):>8} / {e['false_hits_per_image']:<4.2f}" for e in sweep))


def main(argv: list[str] | None = None) -> int:
    from ml.detection_scenes import build_scenes
    from ml.serving.detection import DETECTORS, UnknownDetectorError, get_detector
    from ml.training.datasets import DatasetError, load

    variants = blazeface_variants()
    p = argparse.ArgumentParser(prog="python -m ml.detection_check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=DEFAULT_DATA, help=f"FER2013 CSV (default {DEFAULT_DATA})")
    p.add_argument("--usage", default="PublicTest")
    p.add_argument("--images", type=int, default=150, help="number of photos (default 150)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--detectors", nargs="*", default=list(DETECTORS), choices=[*DETECTORS, *variants],
                   metavar="NAME", help=f"default: {' '.join(DETECTORS)}; also {' '.join(variants)}")
    p.add_argument("--variants", action="store_true", help="also measure every BlazeFace variant")
    p.add_argument("--min-scores", type=float, nargs="*", default=[], metavar="SCORE",
                   help="also report recall and false hits keeping only detections scoring at least each value")
    p.add_argument("--json", action="store_true")
    p.add_argument("--save", type=Path, help="write every face's detection per detector to this JSON file")
    p.add_argument("--write-scenes", type=Path, metavar="DIR", help="also write the photos as JPEGs here")
    args = p.parse_args(argv)
    if args.images < 1:
        p.error("--images must be at least 1")

    try:
        faces = load(args.data, args.usage).x
    except (DatasetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scenes = build_scenes(faces, args.images, seed=args.seed)
    if args.write_scenes:
        from PIL import Image

        args.write_scenes.mkdir(parents=True, exist_ok=True)
        for i, scene in enumerate(scenes):
            Image.fromarray(scene.rgb).save(args.write_scenes / f"scene-{i:03d}.jpg", quality=95)

    names = list(dict.fromkeys([*args.detectors, *(variants if args.variants else [])]))
    report: dict = {"images": len(scenes), "faces": sum(len(s.faces) for s in scenes), "seed": args.seed,
                    "data": args.data, "usage": args.usage, "detectors": {}}
    kept: dict[str, tuple[list[Outcome], list[list[Box]]]] = {}
    for name in names:
        try:
            detector = variants[name]() if name in variants else get_detector(name)
        except UnknownDetectorError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        summary, outcomes, extras = run_detector(detector, scenes, args.min_scores)
        report["detectors"][name] = summary
        kept[name] = (outcomes, extras)
    if args.save:
        save_detections(args.save, scenes, kept)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

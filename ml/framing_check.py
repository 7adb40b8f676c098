"""`python -m ml.framing_check`: fit each detector's box-to-crop framing, and check that faces through
the whole pipeline are classified as well as FER2013's own crops.

Both use the synthetic photos of `ml.detection_scenes`: FER2013 faces enlarged and placed at known
squares (some turned by 5-20 degrees) on larger backgrounds. FER2013's framing is the square itself.

- `--fit`: on the fitting photos (seed 1; never the ones reported), for every face a detector
  found, the framing that gives back the placed square: `scale` = the square's side over the
  box's longer side, (`dx`, `dy`) = the square's centre minus the box's, in box sides. The medians
  are the detector's framing. For detectors with eye landmarks, eye-line alignment is kept when
  it classifies the fitting faces better. Written to `ml/framings.json`, which `ml.faces` reads.
- The check (always, on the evaluation photos, seed 0): for the faces each detector found, the
  model's accuracy against the FER2013 labels on (a) the raw 48x48 faces and (b) the crops the
  pipeline cuts from the photos with that detector's framing, and the difference in points.
  Turned faces are reported apart: their raw crops are upright, so (b) pays for the turn unless
  alignment undoes it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass, replace

import numpy as np

from ml.faces import FRAMINGS_FILE, Box, Framing, crop_faces, framing_for, reload_framings

DEFAULT_DATA = "../shared/datasets/fer2013/fer2013.csv.xz"
FIT_SEED, CHECK_SEED = 1, 0


@dataclass(frozen=True)
class Found:
    """A placed face and the detection that found it."""

    scene: int
    square: Box
    box: Box
    source: int  # row of the face in the split
    turned: bool


def found_faces(detector, scenes) -> list[Found]:
    from ml.detection_check import match

    found: list[Found] = []
    for index, scene in enumerate(scenes):
        boxes = detector.detect(scene.rgb)
        matched, _ = match([f.box for f in scene.faces], boxes)
        found += [Found(index, face.box, boxes[j], face.source, face.turned)
                  for face, j in zip(scene.faces, matched, strict=True) if j is not None]
    return found


def fit_framing(found: list[Found]) -> Framing:
    """The median framing that turns each detection back into its placed square."""
    sides = np.array([max(f.box.w, f.box.h) for f in found], dtype=np.float64)
    scale = np.array([f.square.w for f in found]) / sides
    dx = np.array([(f.square.x + f.square.w / 2) - (f.box.x + f.box.w / 2) for f in found]) / sides
    dy = np.array([(f.square.y + f.square.h / 2) - (f.box.y + f.box.h / 2) for f in found]) / sides
    return Framing(round(float(np.median(scale)), 3), round(float(np.median(dx)), 3), round(float(np.median(dy)), 3))


def pipeline_crops(scenes, found: list[Found], framing: Framing) -> np.ndarray:
    from ml.serving.images import rgb_to_gray

    grey = {i: rgb_to_gray(scenes[i].rgb) for i in {f.scene for f in found}}
    return np.concatenate([crop_faces(grey[f.scene], [f.box], framing) for f in found]) if found else \
        np.empty((0, 48, 48), dtype=np.uint8)


def accuracy(classifier, faces: np.ndarray, labels: np.ndarray) -> float | None:
    if not len(faces):
        return None
    return float((classifier.predict_proba(faces).argmax(axis=1) == labels).mean())


def compare(classifier, scenes, found: list[Found], framing: Framing, data) -> dict:
    """Raw-crop and pipeline accuracy on the same found faces, overall and for upright/turned faces."""
    crops = pipeline_crops(scenes, found, framing)
    raw = data.x[[f.source for f in found]]
    labels = data.y[[f.source for f in found]]
    result = {}
    for part, keep in (("all", lambda f: True), ("upright", lambda f: not f.turned), ("turned", lambda f: f.turned)):
        mask = np.array([keep(f) for f in found], dtype=bool)
        raw_acc = accuracy(classifier, raw[mask], labels[mask])
        crop_acc = accuracy(classifier, crops[mask], labels[mask])
        result[part] = {"faces": int(mask.sum()), "raw": _round(raw_acc), "pipeline": _round(crop_acc),
                        "points": None if raw_acc is None else round((crop_acc - raw_acc) * 100, 2)}
    return result


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def fit(detectors: list[str], classifier, data, images: int) -> dict[str, dict]:
    from ml.detection_scenes import build_scenes
    from ml.serving.detection import get_detector

    scenes = build_scenes(data.x, images, seed=FIT_SEED)
    fitted = {}
    for name in detectors:
        found = found_faces(get_detector(name), scenes)
        framing = fit_framing(found)
        entry = {**framing.to_dict(), "faces": len(found)}
        if any(f.box.landmarks for f in found):
            plain = compare(classifier, scenes, found, framing, data)["all"]["pipeline"]
            aligned = compare(classifier, scenes, found, replace(framing, align=True), data)["all"]["pipeline"]
            entry.update(align=bool(aligned > plain), fit_accuracy_plain=plain, fit_accuracy_aligned=aligned)
        fitted[name] = entry
        print(f"fitted {name}: {entry}", file=sys.stderr)
    return fitted


def main(argv: list[str] | None = None) -> int:
    from ml.detection_scenes import build_scenes
    from ml.serving.detection import DETECTORS, get_detector
    from ml.serving.registry import DEFAULT_MODEL, UnknownModelError, get_classifier
    from ml.training.datasets import DatasetError, load

    p = argparse.ArgumentParser(prog="python -m ml.framing_check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=DEFAULT_DATA, help=f"FER2013 CSV (default {DEFAULT_DATA}); PublicTest faces")
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--detectors", nargs="*", default=list(DETECTORS), choices=DETECTORS)
    p.add_argument("--images", type=int, default=150, help="photos per set (default 150)")
    p.add_argument("--fit", action="store_true", help=f"fit the framings first and write {FRAMINGS_FILE.name}")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    try:
        data = load(args.data, "PublicTest")
        classifier = get_classifier(args.model)
    except (DatasetError, OSError, UnknownModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.fit:
        fitted = fit(args.detectors, classifier, data, args.images)
        FRAMINGS_FILE.write_text(json.dumps({
            "command": "python -m ml.framing_check --fit",
            "fitted_on": f"{args.images} synthetic photos of PublicTest faces, seed {FIT_SEED}, model {args.model}",
            "date": dt.date.today().isoformat(),
            "detectors": fitted,
        }, indent=2) + "\n")
        reload_framings()
    scenes = build_scenes(data.x, args.images, seed=CHECK_SEED)
    report = {"model": args.model, "images": len(scenes), "seed": CHECK_SEED, "detectors": {}}
    for name in args.detectors:
        found = found_faces(get_detector(name), scenes)
        framing = framing_for(name)
        report["detectors"][name] = {"framing": framing.to_dict(),
                                     **compare(classifier, scenes, found, framing, data)}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.model} on faces found in {len(scenes)} photos (seed {CHECK_SEED}): accuracy on raw crops vs "
              "through the pipeline")
        for name, row in report["detectors"].items():
            cells = "  ".join(f"{part} {row[part]['faces']} faces: {_pct(row[part]['raw'])} -> "
                              f"{_pct(row[part]['pipeline'])} ({row[part]['points']:+.1f})" if row[part]["faces"]
                              else f"{part}: -" for part in ("all", "upright", "turned"))
            print(f"  {name:<10} {cells}   framing {row['framing']}")
    return 0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


if __name__ == "__main__":
    sys.exit(main())

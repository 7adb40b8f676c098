"""`python -m ml.predict IMAGE [IMAGE ...] [--model NAME] [--detector NAME] [--no-flip] --json`.

Loads the model and detector once, then analyses every photo in one process. Each photo's
`timings_ms.total` is its own analysis time; loading is reported once, separately
(`load_ms`). With `--json` the output is one object, `{"load_ms": {...}, "photos": [...]}`, each
photo with its `path` and either the analysis or an `error`. The exit status is 2 when any photo
failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv: list[str] | None = None) -> int:
    from ml.serving.detection import DEFAULT_DETECTOR, DETECTORS
    from ml.serving.registry import DEFAULT_MODEL

    p = argparse.ArgumentParser(prog="python -m ml.predict", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--detector", default=DEFAULT_DETECTOR, choices=DETECTORS)
    p.add_argument("--no-flip", dest="flip", action="store_false",
                   help="one pass per face (photos are averaged with their mirror image by default, as served)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = p.parse_args(argv)

    # Imported after argument parsing, so --help stays instant.
    from ml.model_card import ModelFileError
    from ml.serving.detection import get_detector
    from ml.serving.images import ImageDecodeError
    from ml.serving.pipeline import analyse_photo
    from ml.serving.registry import UnknownModelError, get_classifier

    load_ms: dict[str, float] = {}
    try:
        started = time.perf_counter()
        get_classifier(args.model).warm_up()
        load_ms["model"] = round((time.perf_counter() - started) * 1000, 1)
        started = time.perf_counter()
        get_detector(args.detector)
        load_ms["detector"] = round((time.perf_counter() - started) * 1000, 1)
    except (UnknownModelError, ModelFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    photos, failed = [], False
    for path in args.images:
        try:
            result = analyse_photo(path, model=args.model, detector=args.detector, flip=args.flip)
        except FileNotFoundError:
            photos.append({"path": path, "error": "no such file"})
        except (IsADirectoryError, PermissionError) as exc:
            photos.append({"path": path, "error": exc.strerror or str(exc)})
        except ImageDecodeError as exc:
            photos.append({"path": path, "error": exc.message})
        else:
            photos.append({"path": path, **result.to_dict()})
            continue
        failed = True
    if args.json:
        print(json.dumps({"load_ms": load_ms, "photos": photos}, indent=2))
    else:
        _print_table(photos, several=len(photos) > 1)
    return 2 if failed else 0


def _print_table(photos: list[dict], several: bool) -> None:
    for photo in photos:
        prefix = f"{photo['path']}: " if several else ""
        if "error" in photo:
            print(f"{prefix}error: {photo['error']}", file=sys.stderr)
        elif not photo["faces"]:
            print(f"{prefix}No face found.")
        else:
            for i, face in enumerate(photo["faces"], 1):
                b = face["box"]
                print(f"{prefix}Face {i} at ({b['x']}, {b['y']}, {b['w']}x{b['h']}): "
                      f"{face['emotion'].capitalize()}: {face['confidence']:.3f}")


if __name__ == "__main__":
    sys.exit(main())

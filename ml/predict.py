"""`python -m ml.predict IMAGE [--model NAME] [--detector haar|mtcnn] [--flip] --json`."""

from __future__ import annotations

import argparse
import json
import sys

from ml.detection import DETECTORS, UnknownDetectorError
from ml.images import ImageDecodeError
from ml.model_card import ModelFileError
from ml.registry import DEFAULT_MODEL, UnknownModelError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.predict", description="Find every face and its emotion.")
    p.add_argument("image")
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--detector", default="haar", choices=DETECTORS)
    p.add_argument("--flip", action="store_true", help="average each face with its mirror image")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = p.parse_args(argv)

    from ml.inference import predict  # after argument parsing: --help stays instant

    try:
        result = predict(args.image, model=args.model, detector=args.detector, flip=args.flip)
    except FileNotFoundError:
        print(f"error: no such file: {args.image}", file=sys.stderr)
        return 2
    except (ImageDecodeError, UnknownModelError, UnknownDetectorError, ModelFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    elif not result.faces:
        print("No face found.")
    else:
        for i, face in enumerate(result.faces, 1):
            b = face.box
            print(f"Face {i} at ({b.x}, {b.y}, {b.w}x{b.h}): {face.emotion.capitalize()}: {face.confidence:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

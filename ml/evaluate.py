"""`python -m ml.evaluate --model NAME --data CSV [--usage PublicTest] --json`.

Prints accuracy, per-class recall and the confusion matrix of a model (or ensemble) on a
FER2013-layout CSV (plain, .gz, .xz), an image-folder tree or an .npz. `--write-card` stores the
figures in the model's card (ensembles: in ml/models/ensembles.json); `--plot FILE` draws the
confusion matrix.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from ml.model_card import ModelFileError
from ml.training.datasets import DatasetError, load


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="fast")
    p.add_argument("--data", required=True)
    p.add_argument("--usage", default="PublicTest", help="CSV Usage value or folder split (default PublicTest)")
    p.add_argument("--flip", action="store_true", help="average each face with its mirror image")
    p.add_argument("--json", action="store_true")
    p.add_argument("--plot", help="write the confusion matrix as a PNG to this path")
    p.add_argument("--write-card", action="store_true", help="record the figures in the model card")
    args = p.parse_args(argv)

    from ml.serving import registry
    from ml.training.metrics import summarise

    try:
        data = load(args.data, args.usage or None)
        classifier = registry.get_classifier(args.model)
    except (DatasetError, registry.UnknownModelError, ModelFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    probabilities = classifier.predict_proba(data.x, flip=args.flip)
    seconds = time.perf_counter() - started
    result = {"model": args.model, "data": args.data, "usage": args.usage, "flip": args.flip,
              **summarise(data.y, probabilities), "seconds": round(seconds, 2)}
    if args.plot:
        from ml.training.plots import plot_confusion

        plot_confusion(result["confusion"], args.plot, f"{args.model} on {args.usage}: {result['accuracy']:.1%}")
    if args.write_card:
        _record(args.model, args.usage + ("+flip" if args.flip else ""), result)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{args.model} on {args.usage} ({result['n']} faces): accuracy {result['accuracy']:.4f}")
        for emotion, recall in result["per_class"].items():
            print(f"  {emotion:>8}: recall {recall}")
    return 0


def _record(model: str, key: str, result: dict) -> None:
    from ml.model_card import ModelCard
    from ml.serving import registry

    figures = {k: result[k] for k in ("n", "accuracy", "per_class", "confusion")}
    if registry.ensemble_members(model) is not None:
        path = registry.SHIPPED_DIR / "ensembles.json"
        stored = json.loads(path.read_text()) if path.is_file() else {}
        stored.setdefault(model, {})[key] = figures
        stored[model]["members"] = registry.ensemble_members(model)
        if key == "PublicTest":
            stored[model]["accuracy"] = figures["accuracy"]
        path.write_text(json.dumps(stored, indent=2) + "\n")
        return
    directory = registry.model_dirs()[model]
    card = ModelCard.load(directory)
    card.metrics[key] = figures
    card.save(directory)


if __name__ == "__main__":
    sys.exit(main())

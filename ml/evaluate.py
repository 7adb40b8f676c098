"""`python -m ml.evaluate --model NAME --data CSV [--usage PublicTest] [--ferplus VOTES_CSV] [--robustness] --json`.

Prints accuracy, macro-F1, per-class recall, the confusion matrix and the expected calibration error (15
bins; `ece` with the served, calibrated probabilities, `ece_uncalibrated` without the model's temperature)
of a model (or ensemble) on a FER2013-layout CSV (plain, .gz, .xz), an image-folder tree or an .npz, and
the share of faces shown as "uncertain" under the model's threshold.

- `--ferplus VOTES_CSV`: also the accuracy against the FER+ majority label (ml.training.labels), on the faces
  that have one (`ferplus_majority_n`); the votes file must hold the same rows as the data.
- `--robustness`: accuracy with each perturbation of ml.training.perturbations applied to the faces (flip,
  brightness 70%, blur sigma 1, JPEG 30) and its drop from clean, in points.
- `--write-card` stores the figures in the model's card (ensembles: in ensembles.json); `--plot FILE` draws
  the confusion matrix.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import numpy as np

from ml.model_card import ModelFileError
from ml.training.datasets import DatasetError, load
from ml.training.labels import LabelFileError

# What --write-card keeps (the JSON prints more: data, seconds, support).
CARD_KEYS = ("n", "accuracy", "macro_f1", "ece", "ece_uncalibrated", "per_class", "confusion",
             "ferplus_majority_accuracy", "ferplus_majority_n", "uncertain_below", "uncertain_fraction",
             "accuracy_confident", "accuracy_uncertain", "robustness")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="fast")
    p.add_argument("--data", required=True)
    p.add_argument("--usage", default="PublicTest", help="CSV Usage value or folder split (default PublicTest)")
    p.add_argument("--ferplus", metavar="VOTES_CSV", help="FER+ votes for the same rows: adds FER+ majority accuracy")
    p.add_argument("--robustness", action="store_true", help="accuracy under flip, brightness, blur and JPEG damage")
    p.add_argument("--flip", action="store_true", help="average each face with its mirror image")
    p.add_argument("--json", action="store_true")
    p.add_argument("--plot", help="write the confusion matrix as a PNG to this path")
    p.add_argument("--write-card", action="store_true", help="record the figures in the model card")
    args = p.parse_args(argv)

    from ml.serving import registry
    from ml.training.labels import check_votes_line_up, load_ferplus_votes

    try:
        data = load(args.data, args.usage or None)
        if args.ferplus:
            votes = load_ferplus_votes(args.ferplus, args.usage or None)
            check_votes_line_up(data.y, votes, args.ferplus)
            data = data.with_votes(votes)
        classifier = registry.get_classifier(args.model)
        calibration = registry.calibration(args.model)
    except (DatasetError, LabelFileError, registry.UnknownModelError, ModelFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    probabilities = classifier.predict_proba(data.x, flip=args.flip)
    result = {"model": args.model, "data": args.data, "usage": args.usage, "flip": args.flip,
              **figures(data, probabilities, calibration)}
    if args.robustness:
        result["robustness"] = robustness(classifier, data, result["accuracy"], args.flip)
    result["seconds"] = round(time.perf_counter() - started, 2)
    if args.plot:
        from ml.training.plots import plot_confusion

        plot_confusion(result["confusion"], args.plot, f"{args.model} on {args.usage}: {result['accuracy']:.1%}")
    if args.write_card:
        _record(args.model, args.usage + ("+flip" if args.flip else ""), result)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


def figures(data, probabilities: np.ndarray, calibration: dict[str, Any]) -> dict[str, Any]:
    """summarise() plus ECE without the temperature, FER+ majority accuracy and the uncertain share."""
    from ml.serving.calibration import apply_temperature
    from ml.training.calibration import uncertain_summary
    from ml.training.labels import majority_labels
    from ml.training.metrics import expected_calibration_error, ferplus_majority, summarise

    result = summarise(data.y, probabilities)
    temperature = calibration.get("temperature") or 1.0
    # softmax(log p' * T) undoes softmax(log p / T): the probabilities the model gave before calibration.
    raw = apply_temperature(probabilities, 1.0 / temperature)
    result["ece_uncalibrated"] = round(expected_calibration_error(data.y, raw), 4) if len(data.y) else None
    if data.votes is not None:
        result.update(ferplus_majority(majority_labels(data.votes), probabilities))
    else:
        result.update({"ferplus_majority_accuracy": None, "ferplus_majority_n": None})
    threshold = calibration.get("threshold")
    result["uncertain_below"] = threshold
    if threshold is not None:
        result.update(uncertain_summary(data.y, probabilities, threshold))
    return result


def robustness(classifier, data, clean_accuracy: float, flip: bool) -> dict[str, dict[str, float]]:
    """Accuracy per perturbation and its drop from clean, in percentage points."""
    from ml.training.perturbations import PERTURBATIONS, perturb

    table = {"clean": {"accuracy": clean_accuracy, "drop_points": 0.0}}
    for name in PERTURBATIONS:
        predicted = classifier.predict_proba(perturb(data.x, name), flip=flip).argmax(axis=1)
        accuracy = round(float((predicted == data.y).mean()), 4)
        table[name] = {"accuracy": accuracy, "drop_points": round((clean_accuracy - accuracy) * 100, 2)}
    return table


def _print(result: dict[str, Any]) -> None:
    print(f"{result['model']} on {result['usage']} ({result['n']} faces): accuracy {result['accuracy']:.4f}, "
          f"macro-F1 {result['macro_f1']:.4f}, ECE {result['ece']:.4f} (uncalibrated {result['ece_uncalibrated']:.4f})")
    if result["ferplus_majority_n"]:
        print(f"  FER+ majority accuracy {result['ferplus_majority_accuracy']:.4f} "
              f"on {result['ferplus_majority_n']} faces")
    if result["uncertain_below"] is not None:
        print(f"  uncertain below {result['uncertain_below']}: {result['uncertain_fraction']:.1%} of faces")
    for emotion, recall in result["per_class"].items():
        print(f"  {emotion:>8}: recall {recall}")
    for name, row in result.get("robustness", {}).items():
        print(f"  {name:>12}: accuracy {row['accuracy']:.4f} ({-row['drop_points']:+.2f} points)")


def _record(model: str, key: str, result: dict) -> None:
    from ml.model_card import ModelCard
    from ml.serving import registry
    from ml.serving.ensembles import update_record

    stored = {k: result[k] for k in CARD_KEYS if result.get(k) is not None}
    members = registry.ensemble_members(model)
    if members is not None:
        fields: dict[str, Any] = {key: stored, "members": members}
        if key == "PublicTest":
            fields["accuracy"] = stored["accuracy"]
        update_record(registry.ensembles_file(model), model, fields)
        return
    directory = registry.model_dirs()[model]
    card = ModelCard.load(directory)
    card.metrics[key] = stored
    card.save(directory)


if __name__ == "__main__":
    sys.exit(main())

"""`python -m ml.soup BASE TUNED --alpha A --out DIR`: the weights of two runs of one architecture, averaged.

`python -m ml.soup BASE TUNED --sweep CSV [--ferplus VOTES]` prints, for A = 0, 0.25, 0.5, 0.75 and 1, the
average's accuracy (and FER+ majority agreement) on TUNED's validation hold-out of the CSV's Training rows,
each face averaged with its mirror image as photos are served: the figures to choose A on.

`TUNED` must have been trained from `BASE`'s weights (`ml.train --init-weights BASE`), so that the two sit
in one basin of the loss and their average is a model too ("model soup"): (1 - A) * BASE + A * TUNED,
batch-norm statistics included. Choose A on the validation hold-out, never on PublicTest. The card is
TUNED's, with the recipe of the average in `training.soup`; metrics, calibration and the ONNX export are
dropped (they belonged to TUNED): export, calibrate and evaluate the result again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ml.model_card import WEIGHTS_FILE, ModelCard, ModelFileError

SWEEP = (0.0, 0.25, 0.5, 0.75, 1.0)


def _weights(base: Path, tuned: Path) -> tuple[ModelCard, ModelCard, list, list]:
    from ml.serving.classifiers import KerasClassifier

    base_card, card = ModelCard.load(base), ModelCard.load(tuned)
    if (base_card.arch, base_card.input) != (card.arch, card.input):
        raise ModelFileError(f"{base} ({base_card.arch}) and {tuned} ({card.arch}) are not the same architecture")
    return base_card, card, KerasClassifier(base).model.get_weights(), KerasClassifier(tuned).model.get_weights()


def _mix(base_weights: list, tuned_weights: list, alpha: float) -> list:
    return [(1 - alpha) * a + alpha * b for a, b in zip(base_weights, tuned_weights, strict=True)]


def sweep(base: Path, tuned: Path, data: str, votes: str | None) -> list[dict]:
    """Validation figures of the average for each A in SWEEP (hold-out: TUNED's recipe, CSV Training rows)."""
    from ml.serving.classifiers import KerasClassifier
    from ml.training import holdouts
    from ml.training.labels import NO_MAJORITY, check_votes_line_up, load_ferplus_votes, majority_labels

    _, card, base_weights, tuned_weights = _weights(base, tuned)
    rows = holdouts.training_rows(data)
    if votes:
        rows = rows.with_votes(load_ferplus_votes(votes, "Training"))
        check_votes_line_up(rows.y, rows.votes, votes)
    _, val = holdouts.split(rows, card.training.get("recipe", {}), data)
    classifier = KerasClassifier(tuned)
    results = []
    for alpha in SWEEP:
        classifier.model.set_weights(_mix(base_weights, tuned_weights, alpha))
        predicted = classifier.predict_proba(val.x, flip=True).argmax(axis=1)
        result = {"alpha": alpha, "faces": len(val), "accuracy": round(float((predicted == val.y).mean()), 4)}
        if votes:
            majority = majority_labels(val.votes)
            known = majority != NO_MAJORITY
            result["ferplus_majority_accuracy"] = round(float((predicted[known] == majority[known]).mean()), 4)
        results.append(result)
    return results


def soup(base: Path, tuned: Path, alpha: float, out: Path) -> ModelCard:
    from ml.serving.classifiers import KerasClassifier

    base_card, card, base_weights, tuned_weights = _weights(base, tuned)
    model = KerasClassifier(tuned).model
    model.set_weights(_mix(base_weights, tuned_weights, alpha))
    out.mkdir(parents=True, exist_ok=True)
    model.save_weights(out / WEIGHTS_FILE)
    card.training["soup"] = {"base": str(base), "base_training": base_card.training.get("command"),
                             "tuned": str(tuned), "alpha": alpha,
                             "rule": "(1 - alpha) * base + alpha * tuned, every weight and batch-norm statistic"}
    card.metrics, card.calibration, card.onnx = {}, {}, {}
    card.save(out)
    return card


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("base", type=Path)
    p.add_argument("tuned", type=Path)
    p.add_argument("--alpha", type=float, help="share of TUNED, 0-1 (with --out)")
    p.add_argument("--out", type=Path)
    p.add_argument("--sweep", metavar="DATA", help="print validation figures for each share instead (FER2013 CSV)")
    p.add_argument("--ferplus", metavar="VOTES_CSV", help="with --sweep: FER+ majority agreement too")
    args = p.parse_args(argv)
    if args.sweep is None and (args.alpha is None or args.out is None or not 0 <= args.alpha <= 1):
        print("error: give --alpha (between 0 and 1) and --out, or --sweep DATA", file=sys.stderr)
        return 2
    try:
        if args.sweep is not None:
            for row in sweep(args.base, args.tuned, args.sweep, args.ferplus):
                ferplus = row.get("ferplus_majority_accuracy")
                print(f"alpha {row['alpha']:.2f}: validation accuracy {row['accuracy']:.2%} on {row['faces']} faces"
                      + ("" if ferplus is None else f", FER+ majority {ferplus:.2%}") + " (flip-averaged)")
            return 0
        soup(args.base, args.tuned, args.alpha, args.out)
    except (ModelFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {args.out}: {1 - args.alpha:g} x {args.base} + {args.alpha:g} x {args.tuned}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

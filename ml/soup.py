"""`python -m ml.soup BASE TUNED --alpha A --out DIR`: the weights of two runs of one architecture, averaged.

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


def soup(base: Path, tuned: Path, alpha: float, out: Path) -> ModelCard:
    from ml.serving.classifiers import load_model_weights
    from ml.training.architectures import build

    base_card, card = ModelCard.load(base), ModelCard.load(tuned)
    if (base_card.arch, base_card.input) != (card.arch, card.input):
        raise ModelFileError(f"{base} ({base_card.arch}) and {tuned} ({card.arch}) are not the same architecture")
    models = []
    for directory in (base, tuned):
        model = build(card.arch, card.input)
        load_model_weights(model, directory)
        models.append(model)
    weights = [(1 - alpha) * a + alpha * b for a, b in zip(models[0].get_weights(), models[1].get_weights(),
                                                          strict=True)]
    models[0].set_weights(weights)
    out.mkdir(parents=True, exist_ok=True)
    models[0].save_weights(out / WEIGHTS_FILE)
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
    p.add_argument("--alpha", type=float, required=True, help="share of TUNED, 0-1")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    if not 0 <= args.alpha <= 1:
        print("error: --alpha must be between 0 and 1", file=sys.stderr)
        return 2
    try:
        soup(args.base, args.tuned, args.alpha, args.out)
    except ModelFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {args.out}: {1 - args.alpha:g} x {args.base} + {args.alpha:g} x {args.tuned}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m ml.calibrate --model NAME --data TRAINING_DATA [--ferplus VOTES_CSV] [--json]`.

Fits calibrated confidence on the model's validation hold-out: the faces its training run held out,
rebuilt by `ml.training.holdouts` from the card's recipe (`val_fraction`, `seed`, `holdout_data`) on the
same training data (FER2013 Training rows: `fer2013_training_arrays.npz.xz`, or the CSV with usage
Training). PublicTest is never used here. The rules are in `ml.training.calibration`.

- A single model: its temperature and "uncertain" threshold go into its card (`calibration`).
- An ensemble (`ensemble` or `a+b`): member weights, then the ensemble's own temperature and threshold, go
  into its record in ensembles.json, with whether it is offered: only when at least two members carry weight
  and its validation accuracy is at least its best member's. Calibrate the members first: the ensemble
  mixes their calibrated probabilities. It is fitted on the faces that every member held out and none
  trained on (matched by pixels): members trained on differently ordered copies of FER2013 Training (the
  CSV's rows, the .npz's) held out different faces. `--member-data NAME=PATH` gives a member's own file.

Each model's accuracy on the rebuilt hold-out is checked against its card's validation figure, so a wrong
file or row order is an error rather than a flattering fit. FER+ votes (`--ferplus`) are in the CSV's row
order; the Training .npz is not, so they only go with the CSV.

Run `python -m ml.evaluate ... --write-card` afterwards: the PublicTest figures (ECE above all) depend on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ml.model_card import ModelCard, ModelFileError
from ml.training import holdouts
from ml.training.datasets import Dataset, DatasetError, load
from ml.training.labels import LabelFileError, check_votes_line_up, load_ferplus_votes, majority_labels

# A model's accuracy on the rebuilt hold-out may differ from its card's: shipped weights are rounded (float16,
# int8: up to 0.3 points), and models trained before faces were re-equalised on input (ml.faces) lose about
# a point to it. A hold-out that holds training faces (wrong file or row order) gains several points.
VALIDATION_TOLERANCE = 0.02


class CalibrationError(ValueError):
    """Data or models that do not allow a calibration (the message says what to fix)."""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.calibrate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="model or ensemble name")
    p.add_argument("--data", required=True, help="the training data the model was trained on (FER2013 Training)")
    p.add_argument("--member-data", action="append", default=[], metavar="NAME=PATH",
                   help="for an ensemble: the training data of a member trained on another file than --data")
    p.add_argument("--usage", default="Training", help="CSV Usage value of the training rows (default Training)")
    p.add_argument("--ferplus", metavar="VOTES_CSV",
                   help="FER+ votes in the CSV's row order: adds FER+ majority accuracy (not with the .npz)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    from ml.serving import registry

    try:
        members = registry.ensemble_members(args.model)
        if members is None:
            registry.validate_name(args.model)
        else:
            _check_members(args.model, members)
        cards = {m: ModelCard.load(registry.model_dirs()[m]) for m in (members or [args.model])}
        files = _data_files(args.data, args.member_data, members)
        # An ensemble's members may come from differently ordered files: the votes go with the one they fit.
        loader = _Loader(args.usage, args.ferplus, required=members is None)
        if members is None:
            card = cards[args.model]
            result = calibrate_model(args.model, holdout(loader(args.data), card, args.data)[1], card)
        else:
            splits = [holdout(loader(files[m]), cards[m], files[m]) for m in members]
            result = calibrate_ensemble(args.model, members, common_holdout(splits), cards)
    except (DatasetError, LabelFileError, CalibrationError, registry.UnknownModelError, ModelFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if members is None:
        result["calibration"]["data_file"] = Path(args.data).name
    else:
        result["calibration"]["data_files"] = {m: Path(files[m]).name for m in members}
    given = [item.partition("=") for item in args.member_data]
    result["calibration"]["command"] = " ".join(
        ["python -m ml.calibrate --model", args.model, "--data", Path(args.data).name]
        + [f"--member-data {name}={Path(path).name}" for name, _, path in given]
        + (["--ferplus", Path(args.ferplus).name] if args.ferplus else []))
    _store(args.model, members, result, cards)
    registry.forget(args.model)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(args.model, result)
    return 0


def _check_members(name: str, members: list[str]) -> None:
    from ml.serving import registry

    known = registry.model_dirs()
    missing = [m for m in members if m not in known]
    if missing or len(members) < 2:
        raise registry.UnknownModelError(f"unknown ensemble {name!r}: needs two or more of {', '.join(known)}")
    uncalibrated = [m for m in members if not registry.calibration(m).get("temperature")]
    if uncalibrated:
        raise CalibrationError(f"calibrate the members first: python -m ml.calibrate --model "
                               f"{uncalibrated[0]} ... ({', '.join(uncalibrated)} not calibrated)")


def _data_files(data: str, member_data: list[str], members: list[str] | None) -> dict[str, str]:
    """Member -> its training data file; each must be the file its own calibration used (same name)."""
    from ml.serving import registry

    given = {}
    for item in member_data:
        name, sep, path = item.partition("=")
        if not sep or name not in (members or []):
            raise CalibrationError(f"--member-data {item!r}: expected NAME=PATH for a member of the ensemble")
        given[name] = path
    files = {m: given.get(m, data) for m in members or []}
    for member, path in files.items():
        used = registry.calibration(member).get("data_file")
        if used and used != Path(path).name:
            raise CalibrationError(f"{member} was calibrated on {used} (the data it was trained on), not "
                                   f"{Path(path).name}: pass --member-data {member}=PATH/{used}")
    return files


class _Loader:
    """Each data file loaded once, with the FER+ votes attached when they are this file's rows (`required`:
    else an error)."""

    def __init__(self, usage: str, ferplus: str | None, required: bool):
        self.usage, self.ferplus, self.required = usage, ferplus, required
        self.loaded: dict[str, Dataset] = {}

    def __call__(self, path: str) -> Dataset:
        if path not in self.loaded:
            data = load(path, self.usage or None)
            if self.ferplus:
                votes = load_ferplus_votes(self.ferplus, self.usage or None)
                try:
                    check_votes_line_up(data.y, votes, f"{self.ferplus} for {path}")
                    data = data.with_votes(votes)
                except (LabelFileError, DatasetError):
                    if self.required:
                        raise
            self.loaded[path] = data
        return self.loaded[path]


def holdout(data: Dataset, card: ModelCard, data_path: str) -> tuple[Dataset, Dataset]:
    """(training part, validation part) of `data` as the model's training run split it (card recipe)."""
    recipe = card.training.get("recipe", {})
    if "val_fraction" not in recipe or "seed" not in recipe:
        raise CalibrationError(f"the card of {card.name} has no training.recipe val_fraction and seed")
    train, val = holdouts.split(data, recipe, data_path)
    expected = card.training.get("validation_faces")
    if expected is not None and len(val) != expected:
        raise CalibrationError(f"the hold-out has {len(val)} faces, the card of {card.name} says {expected}: "
                               f"not the data it was trained on")
    return train, val


def common_holdout(splits: list[tuple[Dataset, Dataset]]) -> Dataset:
    """The faces every member held out and none trained on, matched by their pixels (members may have been
    trained on differently ordered copies of the same faces, so their hold-outs differ)."""
    trained = set().union(*(holdouts.face_keys(train.x) for train, _ in splits))
    held = [set(holdouts.face_keys(val.x)) for _, val in splits]
    source = next((val for _, val in splits if val.votes is not None), splits[0][1])
    keep = [i for i, key in enumerate(holdouts.face_keys(source.x))
            if key not in trained and all(key in h for h in held)]
    if not keep:
        raise CalibrationError("the members held out no faces in common: no honest data to fit the ensemble on")
    return source.subset(np.asarray(keep))


def _raw_probabilities(name: str, faces: np.ndarray) -> np.ndarray:
    """The model's probabilities without its current temperature (a re-run fits afresh)."""
    from ml.serving import registry
    from ml.serving.calibration import CalibratedClassifier

    classifier = registry.get_classifier(name)
    if isinstance(classifier, CalibratedClassifier):
        classifier = classifier.inner
    return classifier.predict_proba(faces)


def calibrate_model(name: str, val: Dataset, card: ModelCard) -> dict[str, Any]:
    raw = _raw_probabilities(name, val.x)
    measured, recorded = float((raw.argmax(axis=1) == val.y).mean()), card.metrics.get("validation", {}).get("accuracy")
    if recorded is not None and abs(measured - recorded) > VALIDATION_TOLERANCE:
        raise CalibrationError(f"{name} is {measured:.2%} accurate on this hold-out, its card says {recorded:.2%} on "
                               f"its validation faces: not the data (or row order) it was trained on")
    return {"model": name, "calibration": fit_calibration(val, raw)}


def calibrate_ensemble(name: str, members: list[str], val: Dataset, cards: dict[str, ModelCard]) -> dict[str, Any]:
    from ml.serving import registry
    from ml.serving.ensembles import member_fingerprint
    from ml.training.calibration import WEIGHTS_RULE, fit_ensemble_weights, weighted_average

    member_probabilities = [registry.get_classifier(m).predict_proba(val.x) for m in members]
    fit = fit_ensemble_weights(val.y, member_probabilities)
    best = members[fit.best_member]
    if fit.members_used < 2:
        offered, reason = False, f"on validation no weighting of {', '.join(members)} beat {best} alone"
    else:  # the weight search keeps only weightings at least as accurate as the best member
        offered, reason = True, (f"validation accuracy {fit.accuracy:.2%}, best member {best} "
                                 f"{fit.member_accuracy[fit.best_member]:.2%}")
    mixed = weighted_average(member_probabilities, fit.weights)
    return {
        "model": name,
        "members": members,
        "weights": {m: w for m, w in zip(members, fit.weights, strict=True)},
        "weights_rule": WEIGHTS_RULE,
        "member_fingerprints": {m: member_fingerprint(cards[m]) for m in members},
        "validation": {"n": len(val), "accuracy": round(fit.accuracy, 4), "best_member": best,
                       "member_accuracy": {m: round(a, 4) for m, a in zip(members, fit.member_accuracy,
                                                                           strict=True)}},
        "offered": offered,
        "reason": reason,
        "calibration": fit_calibration(val, mixed.astype(np.float32)),
    }


def fit_calibration(val: Dataset, raw: np.ndarray) -> dict[str, Any]:
    """Temperature and threshold fitted on the validation probabilities, with the figures before and after."""
    from ml.serving.calibration import apply_temperature
    from ml.training.calibration import THRESHOLD_RULE, fit_temperature, uncertain_summary, uncertain_threshold
    from ml.training.metrics import expected_calibration_error, ferplus_majority, macro_f1, negative_log_likelihood

    temperature = fit_temperature(val.y, raw)
    calibrated = apply_temperature(raw, temperature)
    threshold = uncertain_threshold(val.y, calibrated)
    figures: dict[str, Any] = {
        "n": len(val),
        "accuracy": round(float((raw.argmax(axis=1) == val.y).mean()), 4),
        "macro_f1": round(float(macro_f1(val.y, raw.argmax(axis=1))), 4),
        "nll_before": round(negative_log_likelihood(val.y, raw), 4),
        "nll_after": round(negative_log_likelihood(val.y, calibrated), 4),
        **uncertain_summary(val.y, calibrated, threshold),
    }
    if val.votes is not None:
        figures.update(ferplus_majority(majority_labels(val.votes), raw))
    return {
        "temperature": temperature,
        "threshold": threshold,
        "rule": THRESHOLD_RULE,
        "validation_ece_before": round(expected_calibration_error(val.y, raw), 4),
        "validation_ece_after": round(expected_calibration_error(val.y, calibrated), 4),
        "validation": figures,
    }


def _store(name: str, members: list[str] | None, result: dict[str, Any], cards: dict[str, ModelCard]) -> None:
    from ml.serving import registry

    if members is None:
        directory = registry.model_dirs()[name]
        card = cards[name]
        card.calibration = result["calibration"]
        card.save(directory)
        return
    # A fresh record: PublicTest figures measured with other weights no longer describe this ensemble.
    path = registry.ensembles_file(name)
    stored = json.loads(path.read_text()) if path.is_file() else {}
    stored[name] = {k: v for k, v in result.items() if k != "model"}
    path.write_text(json.dumps(stored, indent=2) + "\n")


def _print(name: str, result: dict[str, Any]) -> None:
    cal = result["calibration"]
    v = cal["validation"]
    print(f"{name} on {v['n']} validation faces: accuracy {v['accuracy']:.2%}, macro-F1 {v['macro_f1']:.4f}")
    if "weights" in result:
        weights = ", ".join(f"{m} {w:.2f}" for m, w in result["weights"].items())
        print(f"  weights: {weights}; offered: {result['offered']} ({result['reason']})")
    print(f"  temperature {cal['temperature']}: ECE {cal['validation_ece_before']:.4f} -> "
          f"{cal['validation_ece_after']:.4f}, NLL {v['nll_before']:.4f} -> {v['nll_after']:.4f}")
    print(f"  uncertain below {cal['threshold']}: {v['uncertain_fraction']:.1%} of faces; accuracy "
          f"{v['accuracy_confident']} confident, {v['accuracy_uncertain']} uncertain")
    if "ferplus_majority_accuracy" in v:
        print(f"  FER+ majority accuracy {v['ferplus_majority_accuracy']} on {v['ferplus_majority_n']} faces")


if __name__ == "__main__":
    sys.exit(main())

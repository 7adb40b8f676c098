"""Which models exist, what their cards say, and loading each once per process.

Shipped models live in `ml/models/<name>/` (weights, card.json and, once exported, model.onnx,
which is what gets served: see `ml.serving.classifiers.load_classifier`). More directories can be added
with the `FER_MODELS_DIR` environment variable (paths separated by os.pathsep); a name found
there overrides a shipped one. Ensembles are virtual: `ensemble` is a weighted average of every
available model among vgg16, resnet50 and fast, and any `a+b[+c]` name one of exactly those; either is
offered only once `python -m ml.calibrate` has validated it (`ml.serving.ensembles`).

Served probabilities are calibrated: each model's (and each ensemble's) temperature from its card (or
ensembles.json) is applied where its probabilities come out (`ml.serving.calibration`).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml.model_card import CARD_FILE, ModelCard
from ml.serving import ensembles, presentation

if TYPE_CHECKING:
    from ml.serving.classifiers import Classifier

SHIPPED_DIR = Path(__file__).resolve().parents[1] / "models"
DEFAULT_MODEL = "fast"
ENSEMBLE_NAME = "ensemble"
ENSEMBLE_CANDIDATES = ("vgg16", "resnet50", "fast")

_cache: dict[str, Classifier] = {}
_lock = threading.Lock()
# Serialises first loads, so a warm-up thread and a task asking at once load the weights once (re-entrant:
# an ensemble loads its members inside its own load).
_load_lock = threading.RLock()


class UnknownModelError(ValueError):
    pass


class ModelNotOfferedError(UnknownModelError):
    """An ensemble that exists but is not offered (not validated, or no better than its best member)."""


def _search_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("FER_MODELS_DIR", "").split(os.pathsep) if p]
    return [SHIPPED_DIR, *extra]


def model_dirs() -> dict[str, Path]:
    """Name -> directory of every model with a card, later search directories winning."""
    found: dict[str, Path] = {}
    for base in _search_dirs():
        if base.is_dir():
            for card in sorted(base.glob(f"*/{CARD_FILE}")):
                found[card.parent.name] = card.parent
    return found


def ensemble_members(name: str) -> list[str] | None:
    """Member names if `name` is an ensemble, else None."""
    if name == ENSEMBLE_NAME:
        available = model_dirs()
        return [m for m in ENSEMBLE_CANDIDATES if m in available]
    if "+" in name:
        return [part.strip() for part in name.split("+")]
    return None


def available_names() -> list[str]:
    names = sorted(model_dirs())
    if len(ensemble_members(ENSEMBLE_NAME) or []) >= 2 and ensemble_status(ENSEMBLE_NAME)[0]:
        names.append(ENSEMBLE_NAME)
    return names


def validate_name(name: str) -> str:
    """Return the name if it can be loaded, else raise UnknownModelError listing the choices (or
    ModelNotOfferedError saying why an ensemble is not offered)."""
    members = ensemble_members(name)
    known = model_dirs()
    wanted = members if members is not None else [name]
    missing = [m for m in wanted if m not in known]
    if missing or (members is not None and len(members) < 2):
        raise UnknownModelError(f"unknown model {name!r}; available: {', '.join(available_names()) or 'none'}")
    if members is not None:
        offered, why = ensemble_status(name)
        if not offered:
            raise ModelNotOfferedError(f"model {name!r} is not offered: {why}; available: "
                                       f"{', '.join(available_names()) or 'none'}")
    return name


def ensemble_records() -> dict[str, dict[str, Any]]:
    return ensembles.read_records([p for p in _search_dirs() if p.is_dir()])


def ensembles_file(name: str) -> Path:
    """Where ml.calibrate and ml.evaluate write the record of ensemble `name`: the file that holds it now,
    else the last model search directory's."""
    holding = [d / ensembles.FILE for d in _search_dirs() if name in ensembles.read_records([d])]
    return holding[-1] if holding else _search_dirs()[-1] / ensembles.FILE


def ensemble_status(name: str) -> tuple[bool, str]:
    """(offered, why) for an ensemble name whose members all exist (ml.serving.ensembles.offer_status)."""
    members = ensemble_members(name) or []
    dirs = model_dirs()
    cards = {m: ModelCard.load(dirs[m]) for m in members}
    return ensembles.offer_status(name, members, ensemble_records().get(name), cards)


def calibration(name: str) -> dict[str, Any]:
    """The stored calibration of a model or ensemble ({} when it has none): temperature, threshold, rule..."""
    if ensemble_members(name) is not None:
        return dict(ensemble_records().get(name, {}).get("calibration") or {})
    return dict(ModelCard.load(model_dirs()[name]).calibration)


def uncertain_below(name: str) -> float | None:
    """The top probability under which a face from this model is shown as "uncertain" (None: never)."""
    threshold = calibration(name).get("threshold")
    return None if threshold is None else float(threshold)


def get_classifier(name: str = DEFAULT_MODEL) -> Classifier:
    """The classifier for `name`, loaded on first use and kept for the life of the process."""
    with _lock:
        if name in _cache:
            return _cache[name]
    validate_name(name)
    # Imported here: listing and validating models must not load any runtime into web processes.
    from ml.serving.calibration import calibrated
    from ml.serving.classifiers import EnsembleClassifier, load_classifier

    with _load_lock:
        if name in _cache:
            return _cache[name]
        members = ensemble_members(name)
        if members is not None:
            weights = ensembles.member_weights(ensemble_records()[name], members)
            classifier: Classifier = EnsembleClassifier(name, [get_classifier(m) for m in members], weights)
        else:
            classifier = load_classifier(model_dirs()[name])
        classifier = calibrated(classifier, calibration(name).get("temperature"))
        with _lock:
            return _cache.setdefault(name, classifier)


def forget(name: str) -> None:
    """Drop `name`, and every loaded ensemble containing it, from this process's cache (its card changed)."""
    with _lock:
        for cached in list(_cache):
            if cached == name or name in (ensemble_members(cached) or []):
                del _cache[cached]


def describe(name: str) -> dict[str, Any]:
    """What the platform shows about a model: its card, without loading any weights."""
    members = ensemble_members(name)
    cal = calibration(name)
    if members is None:
        card = ModelCard.load(model_dirs()[name])
        public = card.metrics.get("PublicTest", {})
        info = {
            "name": name,
            "arch": card.arch,
            "description": card.description,
            "input": card.input.to_dict(),
            "accuracy": public.get("accuracy"),
            "per_class": public.get("per_class"),
            "metrics": card.metrics,
        }
    else:
        record = ensemble_records().get(name, {})
        public = record.get("PublicTest", {})
        offered, why = ensemble_status(name)
        weights = ensembles.member_weights(record, members)
        info = {
            "name": name,
            "arch": "ensemble",
            "description": ("Weighted average of " + ", ".join(f"{m} ({w:.0%})" for m, w in zip(members, weights,
                                                                                              strict=True))
                            if record.get("weights") else "Average of " + ", ".join(members)),
            "members": members,
            "weights": record.get("weights"),
            "accuracy": public.get("accuracy", record.get("accuracy")),
            "offered": offered,
            "offered_reason": why,
        }
    verdict = presentation.quality(name, info["accuracy"], _best_single())
    info.update(verdict)
    info.update({
        "label": presentation.label(name, info["accuracy"], verdict["quality"]),
        "ece": public.get("ece"),
        "macro_f1": public.get("macro_f1"),
        "ferplus_majority_accuracy": public.get("ferplus_majority_accuracy"),
        "temperature": cal.get("temperature"),
        "uncertain_below": cal.get("threshold"),
        "default": name == DEFAULT_MODEL and verdict["quality"] != "poor",
    })
    return info


def _best_single() -> tuple[str, float] | None:
    """(name, PublicTest accuracy) of the most accurate single model, from the cards."""
    scored = [(name, ModelCard.load(d).metrics.get("PublicTest", {}).get("accuracy"))
              for name, d in model_dirs().items()]
    measured = [(name, acc) for name, acc in scored if acc is not None]
    return max(measured, key=lambda item: item[1]) if measured else None


def list_models() -> list[dict[str, Any]]:
    return [describe(name) for name in available_names()]

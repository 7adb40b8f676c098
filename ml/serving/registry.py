"""Which models exist, what their cards say, and loading each once per process.

Shipped models live in `ml/models/<name>/` (weights, card.json and, once exported, model.onnx,
which is what gets served: see `ml.serving.classifiers.load_classifier`). More directories can be added
with the `FER_MODELS_DIR` environment variable (paths separated by os.pathsep); a name found
there overrides a shipped one. Ensembles are virtual: `ensemble` averages every available model
among vgg16, resnet50 and fast (listed once at least two exist), and any `a+b[+c]` name averages
exactly those.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml.model_card import CARD_FILE, ModelCard, ModelFileError

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
    if len(ensemble_members(ENSEMBLE_NAME) or []) >= 2:
        names.append(ENSEMBLE_NAME)
    return names


def validate_name(name: str) -> str:
    """Return the name if it can be loaded, else raise UnknownModelError listing the choices."""
    members = ensemble_members(name)
    known = model_dirs()
    wanted = members if members is not None else [name]
    missing = [m for m in wanted if m not in known]
    if missing or (members is not None and len(members) < 2):
        raise UnknownModelError(f"unknown model {name!r}; available: {', '.join(available_names()) or 'none'}")
    return name


def get_classifier(name: str = DEFAULT_MODEL) -> Classifier:
    """The classifier for `name`, loaded on first use and kept for the life of the process."""
    with _lock:
        if name in _cache:
            return _cache[name]
    validate_name(name)
    # Imported here: listing and validating models must not load any runtime into web processes.
    from ml.serving.classifiers import EnsembleClassifier, load_classifier

    with _load_lock:
        if name in _cache:
            return _cache[name]
        members = ensemble_members(name)
        if members is not None:
            classifier: Classifier = EnsembleClassifier(name, [get_classifier(m) for m in members])
        else:
            classifier = load_classifier(model_dirs()[name])
        with _lock:
            return _cache.setdefault(name, classifier)


def describe(name: str) -> dict[str, Any]:
    """What the platform shows about a model: its card, without loading any weights."""
    members = ensemble_members(name)
    if members is None:
        card = ModelCard.load(model_dirs()[name])
        public = card.metrics.get("PublicTest", {})
        return {
            "name": name,
            "arch": card.arch,
            "description": card.description,
            "input": card.input.to_dict(),
            "accuracy": public.get("accuracy"),
            "per_class": public.get("per_class"),
            "metrics": card.metrics,
            "default": name == DEFAULT_MODEL,
        }
    return {
        "name": name,
        "arch": "ensemble",
        "description": "Average of " + ", ".join(members),
        "members": members,
        "accuracy": _ensemble_accuracy(name),
        "default": False,
    }


def _ensemble_accuracy(name: str) -> float | None:
    """Ensemble figures are measured by ml.evaluate and stored in ml/models/ensembles.json."""
    import json

    path = SHIPPED_DIR / "ensembles.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text()).get(name, {}).get("accuracy")
    except (json.JSONDecodeError, AttributeError):
        raise ModelFileError(f"ensemble figures are not valid JSON: {path}") from None


def list_models() -> list[dict[str, Any]]:
    return [describe(name) for name in available_names()]

"""Which models and detectors users may pick: read from the model cards, without loading Keras."""

from __future__ import annotations

from functools import lru_cache

from ml.serving import registry
from ml.serving.detection import DETECTORS


class UnknownChoice(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@lru_cache(maxsize=1)
def model_catalogue() -> tuple[dict, ...]:
    """Name, description and accuracy of every available model (cached: cards change with deploys)."""
    return tuple(registry.list_models())


def model_names() -> list[str]:
    return [m["name"] for m in model_catalogue()]


def default_model() -> str:
    names = model_names()
    return registry.DEFAULT_MODEL if registry.DEFAULT_MODEL in names else (names[0] if names else "")


def check_model(name: str | None) -> str:
    name = (name or "").strip() or default_model()
    if name not in model_names():
        raise UnknownChoice("unknown_model", f"Unknown model {name!r}; choose one of: {', '.join(model_names())}.")
    return name


def check_detector(name: str | None) -> str:
    name = (name or "").strip() or "haar"
    if name not in DETECTORS:
        raise UnknownChoice("unknown_detector", f"Unknown detector {name!r}; choose one of: {', '.join(DETECTORS)}.")
    return name

"""Which models and detectors users may pick: read from the model cards, without loading any weights."""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import gettext as _

from fer_site.errors import ServiceError
from ml.serving import registry
from ml.serving.detection import DEFAULT_DETECTOR, DETECTORS


class UnknownChoice(ServiceError):
    status = 400


@lru_cache(maxsize=1)
def model_catalogue() -> tuple[dict, ...]:
    """Name, description and figures of every available model (cached: cards change with deploys)."""
    return tuple(registry.list_models())


def model_names() -> list[str]:
    return [m["name"] for m in model_catalogue()]


def default_model() -> str:
    names = model_names()
    return registry.DEFAULT_MODEL if registry.DEFAULT_MODEL in names else (names[0] if names else "")


def default_detector() -> str:
    return DEFAULT_DETECTOR


def detector_names() -> tuple[str, ...]:
    return DETECTORS


def check_model(name: str | None) -> str:
    name = (name or "").strip() or default_model()
    if name not in model_names():
        raise UnknownChoice(_("Unknown model %(name)s; choose one of: %(names)s.")
                            % {"name": repr(name), "names": ", ".join(model_names())},
                            code="unknown_model")
    return name


ALL_MODELS = "all"


def check_models(value: str | list[str] | None) -> list[str]:
    """Models to compare: names separated by commas (or a list), `all` for every available model; [] for none.
    Duplicates go; any unknown name refuses the whole list with `unknown_model`."""
    parts = value if isinstance(value, list) else (value or "").split(",")
    names = [part.strip() for part in parts if part.strip()]
    if ALL_MODELS in names:
        return model_names()
    return list(dict.fromkeys(check_model(name) for name in names))


def check_detector(name: str | None) -> str:
    name = (name or "").strip() or DEFAULT_DETECTOR
    if name not in DETECTORS:
        raise UnknownChoice(_("Unknown detector %(name)s; choose one of: %(names)s.")
                            % {"name": repr(name), "names": ", ".join(DETECTORS)},
                            code="unknown_detector")
    return name


def uncertain_below(model_name: str) -> float | None:
    """The top probability under which this model's faces are shown as "uncertain" (from its calibration;
    None for a model without one, or no longer offered)."""
    return next((m.get("uncertain_below") for m in model_catalogue() if m["name"] == model_name), None)


def is_uncertain(model_name: str, confidence: float) -> bool:
    threshold = uncertain_below(model_name)
    return threshold is not None and confidence < threshold

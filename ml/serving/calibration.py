"""Calibrated confidence at serving time: a model's probabilities with its temperature applied, and the
"uncertain" test.

Temperature scaling (Guo et al., 2017): p' = softmax(log p / T). For a network ending in a softmax,
log p equals the logits less a constant, so this is the usual logits / T. T > 1 softens over-confident
probabilities; the ranking of the classes, and so the predicted emotion, never changes. T and the
"uncertain" threshold are fitted on the validation hold-out by `python -m ml.calibrate` and stored in the
model card (`calibration`), or for ensembles in `ml/models/ensembles.json`; a model without them is served
as it is (T = 1, nothing marked uncertain).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ml.faces import FACE_SIZE

FLOOR = 1e-12  # log(0) guard: float32 softmax outputs can underflow to 0


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """(N, C) probabilities -> softmax(log p / T), float32; T = 1 returns them unchanged."""
    if not temperature > 0:
        raise ValueError(f"the temperature must be positive, got {temperature}")
    if temperature == 1.0:
        return probabilities
    logits = np.log(np.clip(probabilities.astype(np.float64), FLOOR, None)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return (scaled / scaled.sum(axis=1, keepdims=True)).astype(np.float32)


def is_uncertain(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """(N,) bool: the top probability is below the threshold, so the face is shown as "uncertain" (its seven
    probabilities are still returned)."""
    return probabilities.max(axis=1) < threshold


class CalibratedClassifier:
    """A classifier whose probabilities come out temperature-scaled; everything else is the wrapped one's."""

    def __init__(self, inner: Any, temperature: float):
        if not temperature > 0:
            raise ValueError(f"the temperature must be positive, got {temperature}")
        self.inner, self.temperature = inner, float(temperature)
        self.name = inner.name

    def predict_proba(self, faces: np.ndarray, flip: bool = False) -> np.ndarray:
        return apply_temperature(self.inner.predict_proba(faces, flip=flip), self.temperature)

    def warm_up(self) -> None:
        self.predict_proba(np.zeros((1, FACE_SIZE, FACE_SIZE), dtype=np.uint8))

    def __getattr__(self, attribute: str) -> Any:  # card, model, directory, members... of the wrapped classifier
        return getattr(self.inner, attribute)


def calibrated(classifier: Any, temperature: float | None) -> Any:
    """The classifier with its temperature applied (itself when there is none, or it is 1)."""
    if temperature is None or float(temperature) == 1.0:
        return classifier
    return CalibratedClassifier(classifier, temperature)

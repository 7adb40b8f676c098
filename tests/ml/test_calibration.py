"""Temperature fitting, the "uncertain" threshold rule and ensemble weighting (ml.training.calibration),
and applying a temperature at serving time (ml.serving.calibration)."""

from __future__ import annotations

import numpy as np
import pytest

from ml.serving.calibration import apply_temperature, calibrated, is_uncertain
from ml.training.calibration import (
    fit_ensemble_weights,
    fit_temperature,
    isotonic_accuracy,
    simplex_grid,
    uncertain_threshold,
    weighted_average,
)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def sample_labels(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    cumulative = probabilities.cumsum(axis=1)
    return (rng.random((len(probabilities), 1)) > cumulative).sum(axis=1).clip(0, probabilities.shape[1] - 1)


def test_apply_temperature_is_logits_over_t():
    z = np.array([[2.0, 1.0, 0.0, -1.0, 0.5, 0.0, 0.3]])
    assert np.allclose(apply_temperature(softmax(z), 2.5), softmax(z / 2.5), atol=1e-6)
    assert apply_temperature(softmax(z), 2.5).argmax() == z.argmax()  # the ranking never changes
    with pytest.raises(ValueError, match="positive"):
        apply_temperature(softmax(z), 0.0)


@pytest.mark.parametrize("true_temperature", [0.5, 2.0])
def test_fit_temperature_recovers_a_known_temperature(true_temperature: float):
    # Labels drawn from softmax(z); the "model" reports softmax(z * T): dividing by the fitted T undoes it.
    rng = np.random.default_rng(3)
    z = rng.normal(0.0, 2.0, size=(20000, 7))
    y = sample_labels(softmax(z), rng)
    model = softmax(z * true_temperature)
    assert fit_temperature(y, model) == pytest.approx(true_temperature, rel=0.05)


def test_isotonic_accuracy_pools_violators():
    # Ordered by rising confidence: right, wrong violates the order and is pooled to 0.5 each.
    assert isotonic_accuracy(np.array([0, 1, 0, 1, 1])).tolist() == [0.0, 0.5, 0.5, 1.0, 1.0]
    assert isotonic_accuracy(np.array([1, 1, 0, 0])).tolist() == [0.5, 0.5, 0.5, 0.5]


def rows(confidences: list[float]) -> np.ndarray:
    out = np.full((len(confidences), 7), 0.0)
    for i, c in enumerate(confidences):
        out[i] = (1 - c) / 6
        out[i, 0] = c
    return out


def test_threshold_is_where_accuracy_reaches_one_half():
    # Top probabilities 0.2..0.6 with right/wrong 0 1 0 1 1: isotonic accuracy 0, .5, .5, 1, 1 reaches one
    # half at the second face, so the threshold lies between 0.2 and 0.3.
    y = np.array([1, 0, 1, 0, 0])  # class 0 is always the guess
    assert uncertain_threshold(y, rows([0.2, 0.3, 0.4, 0.5, 0.6])) == pytest.approx(0.25)
    assert is_uncertain(rows([0.2, 0.3]), 0.25).tolist() == [True, False]


def test_threshold_extremes():
    probabilities = rows([0.3, 0.5, 0.7])
    assert uncertain_threshold(np.zeros(3, dtype=int), probabilities) == 0.0  # always right: none uncertain
    assert uncertain_threshold(np.ones(3, dtype=int), probabilities) == 1.0  # never right: all uncertain


def test_threshold_of_a_calibrated_model_is_near_one_half():
    rng = np.random.default_rng(5)
    probabilities = softmax(rng.normal(0.0, 1.5, size=(20000, 7)))
    y = sample_labels(probabilities, rng)
    assert uncertain_threshold(y, probabilities) == pytest.approx(0.5, abs=0.05)


def test_simplex_grid_covers_each_member_alone():
    grid = simplex_grid(3, 0.05)
    assert len(grid) == 231 and np.allclose(grid.sum(axis=1), 1.0)
    for member in range(3):
        assert any(np.array_equal(row, np.eye(3)[member]) for row in grid)


@pytest.mark.parametrize("seed", range(5))
def test_ensemble_never_below_its_best_member_where_fitted(seed: int):
    rng = np.random.default_rng(seed)
    n = 400
    y = rng.integers(0, 7, n)
    truth = np.eye(7)[y]
    members = [softmax(rng.normal(0, 1, (n, 7)) + strength * truth) for strength in (0.3, 1.0, 1.5)]
    fit = fit_ensemble_weights(y, members)
    assert fit.accuracy >= max(fit.member_accuracy)
    mixed = weighted_average(members, fit.weights)
    assert (mixed.argmax(axis=1) == y).mean() == pytest.approx(fit.accuracy)
    assert sum(fit.weights) == pytest.approx(1.0)


def test_ensemble_of_complementary_members_uses_both():
    # Each member knows the answer for its own half of the faces and guesses flatly elsewhere.
    rng = np.random.default_rng(0)
    n = 600
    y = rng.integers(0, 7, n)
    first = np.full((n, 7), 1 / 7)
    second = np.full((n, 7), 1 / 7)
    half = np.arange(n) < n // 2
    first[half] = softmax(rng.normal(0, 0.5, (half.sum(), 7)) + 3 * np.eye(7)[y[half]])
    second[~half] = softmax(rng.normal(0, 0.5, ((~half).sum(), 7)) + 3 * np.eye(7)[y[~half]])
    fit = fit_ensemble_weights(y, [first, second])
    assert fit.members_used == 2 and fit.accuracy > max(fit.member_accuracy) + 0.2


class Fixed:
    name = "fixed"

    def __init__(self, probabilities: np.ndarray):
        self.probabilities = probabilities

    def predict_proba(self, faces: np.ndarray, flip: bool = False) -> np.ndarray:
        return self.probabilities[: len(faces)]


def test_calibrated_classifier_applies_its_temperature():
    probabilities = softmax(np.random.default_rng(1).normal(0, 2, (4, 7))).astype(np.float32)
    inner = Fixed(probabilities)
    assert calibrated(inner, None) is inner and calibrated(inner, 1.0) is inner
    wrapped = calibrated(inner, 1.7)
    faces = np.zeros((4, 48, 48), dtype=np.uint8)
    assert np.allclose(wrapped.predict_proba(faces), apply_temperature(probabilities, 1.7), atol=1e-6)
    assert wrapped.name == "fixed" and wrapped.probabilities is probabilities  # the rest is the wrapped one's

"""Fitting calibrated confidence on the validation hold-out (never on PublicTest): a model's temperature,
its "uncertain" threshold, and an ensemble's member weights. Applying them is `ml.serving.calibration`.

- Temperature: the T that minimises the negative log-likelihood of the validation labels under
  softmax(log p / T). NLL is convex in 1/T, so a golden-section search over log T finds the minimum.
- Uncertain threshold (THRESHOLD_RULE): the top probability from which the model's guess is right at
  least half of the time on validation. Accuracy as a function of the top probability is estimated by
  isotonic regression (pool adjacent violators), which only assumes that more confident guesses are not
  less often right; the threshold is where that estimate reaches 50%. "Uncertain" then means: on held-out
  faces where the model was this unsure, its guess was more often wrong than right. For a well calibrated
  model this lies near 0.5 (the model's own probability of being right).
- Ensemble weights (WEIGHTS_RULE): a 0.05 grid over the simplex of member weights; among the weightings whose
  validation accuracy is at least the best member's, the one with the lowest validation NLL. Each member alone
  is a grid point, so the chosen weighting is never less accurate on validation than the best member; NLL
  rather than accuracy picks among them because it uses the probabilities users are shown and is less
  noisy than accuracy on a few thousand faces. Members enter with their own temperatures applied.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ml.serving.calibration import apply_temperature, is_uncertain
from ml.training.metrics import negative_log_likelihood

TEMPERATURE_RANGE = (0.05, 20.0)
UNCERTAIN_ACCURACY = 0.5
WEIGHT_STEP = 0.05

THRESHOLD_RULE = (
    "A face is 'uncertain' when its top probability is below the threshold: the lowest top probability from "
    "which the model's guess was right at least half the time on the validation faces (accuracy against top "
    "probability fitted by isotonic regression, so it never falls as the probability rises)."
)
WEIGHTS_RULE = (
    "Member weights on a 0.05 grid over the simplex: among the weightings whose validation accuracy is at least "
    "the best member's, the one with the lowest validation negative log-likelihood."
)


def fit_temperature(y: np.ndarray, probabilities: np.ndarray, iterations: int = 80) -> float:
    """The temperature minimising validation NLL, to 4 decimals, within TEMPERATURE_RANGE."""
    if len(y) == 0:
        raise ValueError("no faces to fit a temperature on")
    y = np.asarray(y, dtype=np.int64)

    def nll(log_t: float) -> float:
        return negative_log_likelihood(y, apply_temperature(probabilities, math.exp(log_t)))

    lo, hi = (math.log(t) for t in TEMPERATURE_RANGE)
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(iterations):
        if fa <= fb:  # the minimum lies in [lo, b]
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = nll(b)
    return round(math.exp((lo + hi) / 2.0), 4)


def isotonic_accuracy(correct: np.ndarray) -> np.ndarray:
    """Pool adjacent violators: the non-decreasing sequence closest (least squares) to `correct`, which is
    ordered by rising confidence; each value estimates the chance of being right at that confidence."""
    values: list[float] = []  # mean of each pooled block
    sizes: list[int] = []
    for hit in np.asarray(correct, dtype=np.float64):
        values.append(float(hit))
        sizes.append(1)
        while len(values) > 1 and values[-2] > values[-1]:  # a violation: merge the last two blocks
            size = sizes[-2] + sizes[-1]
            values[-2] = (values[-2] * sizes[-2] + values[-1] * sizes[-1]) / size
            sizes[-2] = size
            values.pop()
            sizes.pop()
    return np.repeat(values, sizes)


def uncertain_threshold(y: np.ndarray, probabilities: np.ndarray, level: float = UNCERTAIN_ACCURACY) -> float:
    """THRESHOLD_RULE on (calibrated) validation probabilities: 0.0 when the guess is right at least half the
    time even at the lowest confidence (nothing uncertain), 1.0 when never (everything uncertain)."""
    confidence = probabilities.max(axis=1).astype(np.float64)
    correct = probabilities.argmax(axis=1) == np.asarray(y)
    order = np.argsort(confidence, kind="stable")
    confidence, accuracy = confidence[order], isotonic_accuracy(correct[order])
    reached = np.flatnonzero(accuracy >= level)
    if len(reached) == 0:
        return 1.0
    first = reached[0]
    if first == 0:
        return 0.0
    return round(float((confidence[first - 1] + confidence[first]) / 2.0), 4)


def uncertain_summary(y: np.ndarray, probabilities: np.ndarray, threshold: float) -> dict[str, float | None]:
    """Share of faces marked uncertain, and accuracy of the confident and the uncertain ones."""
    uncertain = is_uncertain(probabilities, threshold)
    correct = probabilities.argmax(axis=1) == np.asarray(y)
    return {
        "uncertain_fraction": round(float(uncertain.mean()), 4) if len(y) else None,
        "accuracy_confident": round(float(correct[~uncertain].mean()), 4) if (~uncertain).any() else None,
        "accuracy_uncertain": round(float(correct[uncertain].mean()), 4) if uncertain.any() else None,
    }


@dataclass(frozen=True)
class EnsembleFit:
    weights: tuple[float, ...]
    accuracy: float  # validation accuracy of the weighted average
    member_accuracy: tuple[float, ...]
    nll: float

    @property
    def best_member(self) -> int:
        return int(np.argmax(self.member_accuracy))

    @property
    def members_used(self) -> int:
        return sum(w > 0 for w in self.weights)


def simplex_grid(members: int, step: float = WEIGHT_STEP) -> np.ndarray:
    """Every weighting of `members` in multiples of `step` that sums to one, as rows."""
    parts = int(round(1.0 / step))
    rows = [np.diff([0, *cuts, parts]) for cuts in itertools.combinations_with_replacement(range(parts + 1),
                                                                                            members - 1)]
    return np.asarray(rows, dtype=np.float64) / parts


def weighted_average(member_probabilities: list[np.ndarray], weights: np.ndarray | tuple[float, ...]) -> np.ndarray:
    return np.tensordot(np.asarray(weights, dtype=np.float64), np.stack(member_probabilities), axes=1)


def fit_ensemble_weights(y: np.ndarray, member_probabilities: list[np.ndarray],
                         step: float = WEIGHT_STEP) -> EnsembleFit:
    """WEIGHTS_RULE on the members' validation probabilities."""
    if len(member_probabilities) < 2:
        raise ValueError("an ensemble needs at least two members")
    y = np.asarray(y, dtype=np.int64)
    member_hits = [int((p.argmax(axis=1) == y).sum()) for p in member_probabilities]
    best_hits = max(member_hits)
    chosen: tuple[float, np.ndarray, int] | None = None
    for weights in simplex_grid(len(member_probabilities), step):
        mixed = weighted_average(member_probabilities, weights)
        hits = int((mixed.argmax(axis=1) == y).sum())  # counts, not rates: no rounding in the comparison
        if hits < best_hits:
            continue
        nll = negative_log_likelihood(y, mixed)
        if chosen is None or nll < chosen[0]:
            chosen = (nll, weights, hits)
    assert chosen is not None  # the best member alone is on the grid and qualifies
    nll, weights, hits = chosen
    return EnsembleFit(weights=tuple(round(float(w), 4) for w in weights), accuracy=hits / len(y),
                       member_accuracy=tuple(h / len(y) for h in member_hits), nll=nll)

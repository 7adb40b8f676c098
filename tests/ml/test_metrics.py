"""Macro-F1, expected calibration error and FER+ majority accuracy on cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ml.training.metrics import expected_calibration_error, ferplus_majority, macro_f1


def rows(confidences: list[float], top: list[int]) -> np.ndarray:
    """Probability rows whose top class is `top` with probability `confidence`, the rest spread evenly."""
    out = np.empty((len(confidences), 7))
    for i, (c, k) in enumerate(zip(confidences, top, strict=True)):
        out[i] = (1 - c) / 6
        out[i, k] = c
    return out


def test_ece_is_zero_when_confidence_matches_accuracy():
    # Ten faces at 0.8, eight of them right: accuracy 0.8 in the one bin.
    y = np.array([0] * 8 + [1] * 2)
    assert expected_calibration_error(y, rows([0.8] * 10, [0] * 10)) == pytest.approx(0.0, abs=1e-9)


def test_ece_one_bin_gap():
    # Ten faces at 0.8, six right: |0.6 - 0.8| = 0.2.
    y = np.array([0] * 6 + [1] * 4)
    assert expected_calibration_error(y, rows([0.8] * 10, [0] * 10)) == pytest.approx(0.2)


def test_ece_weights_bins_by_their_share():
    # Bin of 0.9 (2 faces, both wrong): gap 0.9; bin of 0.6 (2 faces, both right): gap 0.4.
    # ECE = 2/4 * 0.9 + 2/4 * 0.4 = 0.65.
    y = np.array([1, 1, 0, 0])
    assert expected_calibration_error(y, rows([0.9, 0.9, 0.6, 0.6], [0, 0, 0, 0])) == pytest.approx(0.65)


def test_ece_uses_fifteen_bins():
    # 0.70 and 0.76 fall in different bins of width 1/15 ((0.667, 0.733] and (0.733, 0.8]): one right, one
    # wrong gives 1/2 * 0.3 + 1/2 * 0.76 = 0.53; were they pooled it would be |0.5 - 0.73| = 0.23.
    y = np.array([0, 1])
    assert expected_calibration_error(y, rows([0.70, 0.76], [0, 0])) == pytest.approx(0.53)
    assert expected_calibration_error(y, rows([0.70, 0.76], [0, 0]), bins=1) == pytest.approx(0.23)


def test_macro_f1_by_hand():
    # Class 0: TP 1, 2 true, 2 predicted -> F1 2/4; class 1: TP 2, 2 true, 3 predicted -> 4/5;
    # class 2: TP 0, 1 true -> 0; classes 3-6 occur nowhere and are left out. Mean (0.5 + 0.8 + 0) / 3.
    y_true = np.array([0, 0, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0])
    assert macro_f1(y_true, y_pred) == pytest.approx(1.3 / 3)


def test_macro_f1_perfect_and_empty():
    assert macro_f1(np.array([0, 3, 6]), np.array([0, 3, 6])) == pytest.approx(1.0)
    assert macro_f1(np.array([], dtype=int), np.array([], dtype=int)) is None


def test_ferplus_majority_leaves_out_faces_without_one():
    probabilities = rows([0.9, 0.9, 0.9, 0.9], [0, 3, 3, 6])
    majority = np.array([0, 4, -1, 6])  # the third face has no FER+ majority
    result = ferplus_majority(majority, probabilities)
    assert result == {"ferplus_majority_accuracy": pytest.approx(2 / 3, abs=1e-4), "ferplus_majority_n": 3}

"""Classification figures: accuracy, per-class recall, confusion matrix, macro-F1, calibration error, and
accuracy against the FER+ majority label."""

from __future__ import annotations

from typing import Any

import numpy as np

from ml.emotions import EMOTIONS, NUM_CLASSES
from ml.training.labels import NO_MAJORITY

ECE_BINS = 15


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Counts, rows = true class, columns = predicted class."""
    matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(matrix, (y_true.astype(int), y_pred.astype(int)), 1)
    return matrix


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float | None:
    """Mean F1 over the classes that occur in the labels or the predictions (a class absent from both has
    no F1); a class with no correct prediction scores 0."""
    matrix = confusion_matrix(np.asarray(y_true), np.asarray(y_pred))
    true_positive = np.diag(matrix).astype(np.float64)
    support, predicted = matrix.sum(axis=1), matrix.sum(axis=0)
    present = (support + predicted) > 0
    if not present.any():
        return None
    # F1 = 2 TP / (2 TP + FP + FN) = 2 TP / (support + predicted): equal to 2PR/(P+R), and defined when TP = 0.
    f1 = 2.0 * true_positive[present] / (support[present] + predicted[present])
    return float(f1.mean())


def expected_calibration_error(y_true: np.ndarray, probabilities: np.ndarray, bins: int = ECE_BINS) -> float | None:
    """Top-label ECE: faces binned by their top probability into `bins` equal-width bins over (0, 1];
    the sum over bins of (share of faces in the bin) x |accuracy in the bin - mean top probability in the bin|."""
    if len(y_true) == 0:
        return None
    confidence = probabilities.max(axis=1).astype(np.float64)
    correct = (probabilities.argmax(axis=1) == np.asarray(y_true)).astype(np.float64)
    # Bin i holds confidences in (i/bins, (i+1)/bins]; ceil puts a value on an edge into the bin below it.
    index = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    gap = np.abs(np.bincount(index, weights=correct - confidence, minlength=bins))
    return float(gap.sum() / len(y_true))  # sum_b n_b/N |acc_b - conf_b| = sum_b |sum correct - sum conf| / N


def negative_log_likelihood(y_true: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean -log p(true class), with probabilities floored at 1e-12."""
    picked = probabilities[np.arange(len(y_true)), np.asarray(y_true, dtype=np.int64)]
    return float(-np.log(np.clip(picked.astype(np.float64), 1e-12, None)).mean())


def ferplus_majority(majority: np.ndarray, probabilities: np.ndarray) -> dict[str, Any]:
    """Accuracy against the FER+ majority label (ml.training.labels.majority_labels) on the faces that have
    one; faces without a majority (-1) are left out, and `n` says how many are counted."""
    known = np.asarray(majority) != NO_MAJORITY
    n = int(known.sum())
    hits = probabilities.argmax(axis=1)[known] == np.asarray(majority)[known]
    return {"ferplus_majority_accuracy": round(float(hits.mean()), 4) if n else None, "ferplus_majority_n": n}


def summarise(y_true: np.ndarray, probabilities: np.ndarray) -> dict[str, Any]:
    y_pred = probabilities.argmax(axis=1)
    matrix = confusion_matrix(y_true, y_pred)
    support = matrix.sum(axis=1)
    recall = {
        emotion: (round(float(matrix[i, i] / support[i]), 4) if support[i] else None)
        for i, emotion in enumerate(EMOTIONS)
    }
    ece, f1 = expected_calibration_error(y_true, probabilities), macro_f1(y_true, y_pred)
    return {
        "n": int(len(y_true)),
        "accuracy": round(float((y_pred == y_true).mean()), 4) if len(y_true) else None,
        "macro_f1": round(f1, 4) if f1 is not None else None,
        "ece": round(ece, 4) if ece is not None else None,
        "per_class": recall,
        "support": {emotion: int(support[i]) for i, emotion in enumerate(EMOTIONS)},
        "confusion": matrix.tolist(),
    }

"""Classification figures: accuracy, per-class recall, confusion matrix."""

from __future__ import annotations

from typing import Any

import numpy as np

from ml.emotions import EMOTIONS, NUM_CLASSES


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Counts, rows = true class, columns = predicted class."""
    matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(matrix, (y_true.astype(int), y_pred.astype(int)), 1)
    return matrix


def summarise(y_true: np.ndarray, probabilities: np.ndarray) -> dict[str, Any]:
    y_pred = probabilities.argmax(axis=1)
    matrix = confusion_matrix(y_true, y_pred)
    support = matrix.sum(axis=1)
    recall = {
        emotion: (round(float(matrix[i, i] / support[i]), 4) if support[i] else None)
        for i, emotion in enumerate(EMOTIONS)
    }
    return {
        "n": int(len(y_true)),
        "accuracy": round(float((y_pred == y_true).mean()), 4) if len(y_true) else None,
        "per_class": recall,
        "support": {emotion: int(support[i]) for i, emotion in enumerate(EMOTIONS)},
        "confusion": matrix.tolist(),
    }

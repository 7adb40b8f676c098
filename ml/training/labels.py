"""Training targets: FER2013 labels, FER+ annotator votes and a teacher's probabilities, mixed.

FER+ (Microsoft, MIT licence) gives each FER2013 face the votes of ten annotators over
neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown and NF (not a
face). Mapping to our seven classes: each of the seven emotions maps to its FER2013 class;
`contempt` is dropped (FER2013 has no such class, and its votes are rare: folding them into
disgust would put mostly-neutral faces there); `unknown` and `NF` are dropped. A face's FER+
distribution is its seven emotion votes normalised to sum to one; a face with no emotion vote
(158 rows, mostly blank images) has none, and keeps its FER2013 label alone.

The FER+ majority label of a face is its most-voted of the seven emotions when that count is
unique and positive; other faces have none (-1) and are left out of FER+ majority accuracy.

Targets for a face (`mix_targets`):
    label  = a * one_hot(FER2013 label) + (1 - a) * FER+ distribution      (a = 1 - ferplus_weight)
    target = (1 - t) * label + t * teacher ** (1 / T) (renormalised)      (t = teacher_weight)
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ml.emotions import EMOTIONS, NUM_CLASSES

FERPLUS_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown",
                   "NF")
FERPLUS_TO_EMOTION = {"anger": "angry", "disgust": "disgust", "fear": "fear", "happiness": "happy",
                      "sadness": "sad", "surprise": "surprise", "neutral": "neutral"}
NO_MAJORITY = -1


class LabelFileError(ValueError):
    """A votes file that does not fit the data it is meant to label."""


def load_ferplus_votes(path: str | Path, usage: str | None = None) -> np.ndarray:
    """(N, 7) float32 vote counts in EMOTIONS order, for the rows whose `usage` matches (all rows if None)."""
    path = Path(path)
    if not path.is_file():
        raise LabelFileError(f"{path}: no such file")
    order = [FERPLUS_COLUMNS.index(name) for name in _columns_for_emotions()]
    rows = []
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(header[: len(FERPLUS_COLUMNS)]) != FERPLUS_COLUMNS:
            raise LabelFileError(f"{path}: expected the columns {', '.join(FERPLUS_COLUMNS)}, usage")
        for line_no, row in enumerate(reader, start=2):
            if usage is not None and row[-1].strip() != usage:
                continue
            try:
                counts = [float(row[i]) for i in order]
            except (ValueError, IndexError):
                raise LabelFileError(f"{path}: line {line_no}: vote counts must be numbers") from None
            rows.append(counts)
    if not rows:
        raise LabelFileError(f"{path}: no rows" + (f" with usage {usage!r}" if usage else ""))
    return np.asarray(rows, dtype=np.float32)


def _columns_for_emotions() -> list[str]:
    by_emotion = {emotion: column for column, emotion in FERPLUS_TO_EMOTION.items()}
    return [by_emotion[emotion] for emotion in EMOTIONS]


def vote_distribution(votes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distribution (N, 7), has_votes (N,) bool); rows without any emotion vote are all zero."""
    totals = votes.sum(axis=1)
    has_votes = totals > 0
    distribution = np.zeros_like(votes, dtype=np.float32)
    distribution[has_votes] = votes[has_votes] / totals[has_votes, None]
    return distribution, has_votes


def majority_labels(votes: np.ndarray) -> np.ndarray:
    """(N,) int: the unique most-voted emotion, or NO_MAJORITY (-1) on ties and rows without votes."""
    top = votes.max(axis=1)
    unique = (votes == top[:, None]).sum(axis=1) == 1
    labels = votes.argmax(axis=1).astype(np.int64)
    labels[~unique | (top <= 0)] = NO_MAJORITY
    return labels


def sharpen(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities raised to 1/T and renormalised: T > 1 softens, as distillation's temperature does."""
    if temperature <= 0:
        raise ValueError("the temperature must be positive")
    scaled = np.power(np.clip(probabilities, 1e-8, 1.0), 1.0 / temperature)
    return (scaled / scaled.sum(axis=1, keepdims=True)).astype(np.float32)


def mix_targets(y: np.ndarray, votes: np.ndarray | None = None, *, ferplus_weight: float = 0.0,
                teacher: np.ndarray | None = None, teacher_weight: float = 0.0,
                temperature: float = 1.0) -> np.ndarray:
    """(N, 7) float32 soft targets (see the module docstring); rows sum to one."""
    if not 0.0 <= ferplus_weight <= 1.0 or not 0.0 <= teacher_weight <= 1.0:
        raise ValueError("the FER+ and teacher weights must lie in 0-1")
    targets = np.eye(NUM_CLASSES, dtype=np.float32)[np.asarray(y, dtype=np.int64)]
    if votes is not None and ferplus_weight > 0:
        if len(votes) != len(y):
            raise LabelFileError(f"{len(votes)} rows of votes for {len(y)} faces")
        distribution, has_votes = vote_distribution(votes)
        weight = np.where(has_votes, ferplus_weight, 0.0)[:, None].astype(np.float32)
        targets = (1.0 - weight) * targets + weight * distribution
    if teacher is not None and teacher_weight > 0:
        if len(teacher) != len(y):
            raise LabelFileError(f"{len(teacher)} teacher predictions for {len(y)} faces")
        targets = (1.0 - teacher_weight) * targets + teacher_weight * sharpen(teacher, temperature)
    return targets.astype(np.float32)


# FER2013's labels agree with the FER+ majority on 62-66% of faces; votes of other rows agree on about 17%
# (the class frequencies' chance level): below this share the votes are not for these faces.
MIN_MAJORITY_AGREEMENT = 0.4


def check_votes_line_up(y: np.ndarray, votes: np.ndarray, source: str = "the votes") -> None:
    """Raise LabelFileError when `votes` are plainly not the votes of the faces labelled `y` (same count,
    other order: e.g. the Training .npz, whose rows are not in the CSV's order)."""
    if len(votes) != len(y):
        raise LabelFileError(f"{source}: {len(votes)} rows of votes for {len(y)} faces")
    majority = majority_labels(votes)
    known = majority != NO_MAJORITY
    if known.sum() < 100:  # too few faces to tell
        return
    agreement = float((majority[known] == np.asarray(y)[known]).mean())
    if agreement < MIN_MAJORITY_AGREEMENT:
        raise LabelFileError(f"{source}: the FER+ majority agrees with the faces' labels on {agreement:.0%} of "
                             f"them (62-66% expected): the votes are not in these faces' row order")

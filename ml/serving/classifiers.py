"""Classifiers: grey 48x48 face crops in, 7 emotion probabilities out.

`KerasClassifier` wraps one trained model directory; `EnsembleClassifier` averages several.
Both take (N, 48, 48) uint8 crops and convert them to each model's own input spec, so members of
an ensemble may differ in input size and channels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from ml.faces import FACE_SIZE, faces_to_input
from ml.model_card import WEIGHTS_FILE, ModelCard, ModelFileError
from ml.weights_io import FORMATS, compact_parts, load_compact

MAX_BATCH = 256


class Classifier(Protocol):
    name: str

    def predict_proba(self, faces: np.ndarray, flip: bool = False) -> np.ndarray: ...

    def warm_up(self) -> None: ...


def warm_up(classifier: Classifier) -> None:
    """One tiny prediction, so the first real one does not pay for building the inference graph."""
    classifier.predict_proba(np.zeros((1, FACE_SIZE, FACE_SIZE), dtype=np.uint8))


class KerasClassifier:
    def __init__(self, directory: str | Path):
        from ml.training.architectures import build  # imports Keras: only when a model is loaded

        self.directory = Path(directory)
        self.card = ModelCard.load(self.directory)
        self.name = self.card.name
        self.model = build(self.card.arch, self.card.input)
        load_model_weights(self.model, self.directory)

    def predict_proba(self, faces: np.ndarray, flip: bool = False) -> np.ndarray:
        """(N, 48, 48) uint8 -> (N, 7) float32; `flip` averages with the mirrored face."""
        if len(faces) == 0:
            return np.empty((0, len(self.card.classes)), dtype=np.float32)
        batch = faces_to_input(faces, self.card.input)
        if flip:
            batch = np.concatenate([batch, batch[:, :, ::-1]])
        out = np.concatenate(
            [np.asarray(self.model.predict_on_batch(batch[i : i + MAX_BATCH])) for i in range(0, len(batch), MAX_BATCH)]
        ).astype(np.float32)
        if flip:
            out = (out[: len(faces)] + out[len(faces) :]) / 2.0
        return out

    def warm_up(self) -> None:
        warm_up(self)


def load_model_weights(model, directory: Path) -> None:
    """Load `model.weights.h5`, or else the compact (float16 or int8) files, from a model directory."""
    h5 = directory / WEIGHTS_FILE
    try:
        if h5.is_file():
            model.load_weights(h5)
        elif compact_parts(directory):
            load_compact(model, directory)
        else:
            raise ModelFileError(f"model weights not found: {h5} (nor {' or '.join(FORMATS.values())})")
    except ModelFileError:
        raise
    except Exception as exc:  # h5py/keras/numpy raise many types for a damaged file
        raise ModelFileError(f"model weights could not be loaded: {h5 if h5.is_file() else directory}: {exc}") from None


class EnsembleClassifier:
    """Averages the probabilities of its members (equal weights)."""

    def __init__(self, name: str, members: list[Classifier]):
        if len(members) < 2:
            raise ValueError("an ensemble needs at least two members")
        self.name, self.members = name, members

    def predict_proba(self, faces: np.ndarray, flip: bool = False) -> np.ndarray:
        return np.mean([m.predict_proba(faces, flip=flip) for m in self.members], axis=0).astype(np.float32)

    def warm_up(self) -> None:
        warm_up(self)

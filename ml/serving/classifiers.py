"""Classifiers: grey 48x48 face crops in, 7 emotion probabilities out.

`OnnxClassifier` serves a model directory's exported `model.onnx` with ONNX Runtime (no
TensorFlow or Keras in the process); `KerasClassifier` builds the architecture with Keras and
loads its weights (for models not exported yet, and as the reference the export is checked
against); `load_classifier` picks between them; `EnsembleClassifier` averages several. All take
(N, 48, 48) uint8 crops and convert them to each model's own input spec, so members of an
ensemble may differ in input size and channels.

Which runtime: ONNX when the card records an export (`python -m ml.export DIR --onnx`), else
Keras. `FER_MODEL_RUNTIME=keras` forces Keras (e.g. a JAX GPU host without onnxruntime),
`FER_MODEL_RUNTIME=onnx` refuses to fall back. ONNX Runtime uses the CUDA execution provider
when the installed package has it (`onnxruntime-gpu`), else the CPU one, with
`FER_ONNX_THREADS` intra-op threads (default: the CPUs this process may use, at most
MAX_DEFAULT_THREADS; 1 is better where other processes keep the cores busy: docs/ml.md).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from ml.faces import FACE_SIZE, faces_to_input
from ml.model_card import ONNX_FILE, WEIGHTS_FILE, ModelCard, ModelFileError
from ml.weights_io import FORMATS, compact_parts, load_compact

MAX_BATCH = 256
RUNTIME_ENV = "FER_MODEL_RUNTIME"
RUNTIMES = ("auto", "onnx", "keras")
THREADS_ENV = "FER_ONNX_THREADS"
# Batch 64 needs every core of a 2-core machine; beyond 4, a 48 px face's small convolutions gain
# little and several worker processes on one host would oversubscribe it.
MAX_DEFAULT_THREADS = 4
# In order of preference; only those the installed onnxruntime offers are used.
PREFERRED_PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider")


class Classifier(Protocol):
    name: str

    def predict_proba(self, faces: np.ndarray, flip: bool = False) -> np.ndarray: ...

    def warm_up(self) -> None: ...


def warm_up(classifier: Classifier) -> None:
    """One tiny prediction, so the first real one does not pay for building the inference graph."""
    classifier.predict_proba(np.zeros((1, FACE_SIZE, FACE_SIZE), dtype=np.uint8))


class ModelClassifier:
    """One model directory. Subclasses only say how a float32 input batch becomes probabilities."""

    runtime = ""

    def __init__(self, directory: str | Path, card: ModelCard | None = None):
        self.directory = Path(directory)
        self.card = card or ModelCard.load(self.directory)
        self.name = self.card.name

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict_proba(self, faces: np.ndarray, flip: bool = False) -> np.ndarray:
        """(N, 48, 48) uint8 -> (N, 7) float32; `flip` averages with the mirrored face."""
        if len(faces) == 0:
            return np.empty((0, len(self.card.classes)), dtype=np.float32)
        batch = faces_to_input(faces, self.card.input)
        if flip:
            batch = np.concatenate([batch, batch[:, :, ::-1]])
        out = np.concatenate(
            [np.asarray(self._forward(batch[i : i + MAX_BATCH])) for i in range(0, len(batch), MAX_BATCH)]
        ).astype(np.float32)
        if flip:
            out = (out[: len(faces)] + out[len(faces) :]) / 2.0
        return out

    def warm_up(self) -> None:
        warm_up(self)


class KerasClassifier(ModelClassifier):
    def __init__(self, directory: str | Path, card: ModelCard | None = None):
        import keras  # imported here: only processes that serve an un-exported model pay for it

        from ml.training.architectures import build

        super().__init__(directory, card)
        self.model = build(self.card.arch, self.card.input)
        load_model_weights(self.model, self.directory)
        self.runtime = f"keras {keras.__version__} ({keras.config.backend()})"

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        return self.model.predict_on_batch(batch)


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


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def intra_op_threads() -> int:
    raw = os.environ.get(THREADS_ENV, "").strip()
    if not raw:
        return min(_usable_cpus(), MAX_DEFAULT_THREADS)
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{THREADS_ENV} must be a whole number of threads, at least 1; got {raw!r}")
    return int(raw)


def onnx_providers() -> list[str]:
    import onnxruntime

    available = onnxruntime.get_available_providers()
    return [p for p in PREFERRED_PROVIDERS if p in available]


def _read_onnx(path: Path, sha256: str | None) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"ONNX model not found: {path}") from None
    except OSError as exc:
        raise ModelFileError(f"ONNX model could not be read: {path}: {exc}") from None
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        raise ModelFileError(f"ONNX model does not match the sha256 in its card (changed or damaged): {path}")
    return data


class OnnxClassifier(ModelClassifier):
    """A model exported to ONNX, run by ONNX Runtime; `predict_proba` may be called from several threads at once."""

    def __init__(self, directory: str | Path, card: ModelCard | None = None, path: str | Path | None = None):
        """`path` overrides the card's ONNX file (the export checks a new file before recording it)."""
        import onnxruntime

        super().__init__(directory, card)
        record = self.card.onnx
        self.path = Path(path) if path is not None else self.directory / record.get("file", ONNX_FILE)
        data = _read_onnx(self.path, None if path is not None else record.get("sha256"))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = intra_op_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: ORT otherwise warns about every node it leaves on the CPU
        try:
            self.session = onnxruntime.InferenceSession(data, options, providers=onnx_providers())
        except Exception as exc:  # onnxruntime raises its own exception types for a damaged or invalid file
            raise ModelFileError(f"ONNX model could not be loaded: {self.path}: {exc}") from None
        inputs, outputs, spec = self.session.get_inputs(), self.session.get_outputs(), self.card.input
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelFileError(f"ONNX model has {len(inputs)} inputs and {len(outputs)} outputs, "
                                 f"expected one of each: {self.path}")
        if list(inputs[0].shape[1:]) != [spec.size, spec.size, spec.channels]:
            raise ModelFileError(f"ONNX model input {inputs[0].shape} does not match the card's "
                                 f"{spec.size}x{spec.size}x{spec.channels}: {self.path}")
        self.input_name, self.output_name = inputs[0].name, outputs[0].name
        provider = self.session.get_providers()[0]
        self.runtime = f"onnxruntime {onnxruntime.__version__} ({provider}, {options.intra_op_num_threads} threads)"

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run([self.output_name], {self.input_name: batch})[0]


def runtime_choice() -> str:
    choice = os.environ.get(RUNTIME_ENV, "auto").strip().lower() or "auto"
    if choice not in RUNTIMES:
        raise ValueError(f"{RUNTIME_ENV} must be one of {', '.join(RUNTIMES)}; got {choice!r}")
    return choice


def load_classifier(directory: str | Path) -> ModelClassifier:
    """ONNX Runtime when the card records an ONNX export (unless FER_MODEL_RUNTIME=keras), else Keras."""
    directory = Path(directory)
    card = ModelCard.load(directory)
    choice = runtime_choice()
    if choice == "onnx" and not card.onnx:
        raise ModelFileError(f"{RUNTIME_ENV}=onnx but the card records no ONNX export: {directory / 'card.json'} "
                             f"(run python -m ml.export {directory} --onnx --data CSV)")
    if card.onnx and choice != "keras":
        return OnnxClassifier(directory, card)
    return KerasClassifier(directory, card)


class EnsembleClassifier:
    """Weighted average of the probabilities of its members (equal weights unless given; weights are
    fitted on validation by ml.calibrate). Members with weight 0 are not run."""

    def __init__(self, name: str, members: list[Classifier], weights: list[float] | None = None):
        if len(members) < 2:
            raise ValueError("an ensemble needs at least two members")
        weights = [1.0] * len(members) if weights is None else [float(w) for w in weights]
        if len(weights) != len(members) or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f"an ensemble needs one non-negative weight per member, not all 0; got {weights}")
        self.name, self.members = name, members
        self.runtime = ", ".join(sorted({getattr(m, "runtime", "") for m in members}))
        self.weights = [w / sum(weights) for w in weights]

    def predict_proba(self, faces: np.ndarray, flip: bool = False) -> np.ndarray:
        used = [(m, w) for m, w in zip(self.members, self.weights, strict=True) if w > 0]
        return sum(w * m.predict_proba(faces, flip=flip) for m, w in used).astype(np.float32)

    def warm_up(self) -> None:
        warm_up(self)

"""Export a model directory's Keras model to `model.onnx` beside it, checked against Keras.

Done once, when a model is shipped (`python -m ml.export MODEL_DIR --onnx --data CSV`). The Keras
model is built from the card and loaded from the directory's weights (float32 or compact), so the
ONNX file reproduces exactly what Keras serves. Steps:

1. Keras' ONNX export (tf2onnx on the TensorFlow backend): dynamic batch, float32 NHWC input of
   raw 0-255 grey levels, as every model takes. tf2onnx folds batch norm into a convolution
   without bias.
2. `ml.training.onnx_graph` passes: the input rescaling into the first convolution, weights stored
   compactly behind casts that ONNX Runtime folds back at session start (exactly the shipped
   float16 or int8 values, times a per-channel scale where batch norm was folded in; float16
   rounding only for weights that were float32), named input/output.
3. Parity on FER2013 PublicTest: largest absolute probability difference from Keras at most
   1e-3 and accuracy unchanged to 0.1 point. A failure removes the new file and raises
   `ParityError`; nothing in the directory changes.
4. On success `model.onnx` replaces any older export and the card records it (`card.onnx`).
"""

from __future__ import annotations

import hashlib
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ml.model_card import ONNX_FILE, ModelCard

OPSET = 17
INPUT_NAME = "face"
OUTPUT_NAME = "probabilities"
MAX_PROBABILITY_DIFF = 1e-3
MAX_ACCURACY_CHANGE = 0.001  # 0.1 point
PARITY_USAGE = "PublicTest"
WEIGHT_PREFIXES = ("model.weights", "weights-")  # the weight files an export is made from


class OnnxExportError(RuntimeError):
    """The model cannot be exported here (e.g. not the TensorFlow backend)."""


class ParityError(OnnxExportError):
    """The exported model does not reproduce the Keras model within the limits."""


def convert(keras_model, opset: int = OPSET):
    """Keras model -> onnx.ModelProto, through Keras' own ONNX export (needs the TensorFlow backend)."""
    import keras
    import onnx

    if keras.config.backend() != "tensorflow":
        raise OnnxExportError(f"ONNX export needs KERAS_BACKEND=tensorflow, not {keras.config.backend()}")
    keras_model(np.zeros((1, *keras_model.input_shape[1:]), dtype=np.float32))  # the export needs a called model
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*np.object", category=FutureWarning)  # Keras' tf2onnx patch
        path = Path(tmp) / ONNX_FILE
        keras_model.export(str(path), format="onnx", opset_version=opset, verbose=False)
        return onnx.load(str(path))


def make_lean(model, float16: bool = True, references: list[np.ndarray] = ()) -> dict[str, Any]:
    """Apply the serving passes in place; returns what they did, for the card.

    `references`: the Keras model's weights, so weights shipped as float16 stay exact in the file.
    """
    import onnx

    from ml.training import onnx_graph

    dropped = onnx_graph.drop_unused(model)
    factor = onnx_graph.fold_input_scale(model)
    onnx_graph.drop_unused(model)  # the folded scale's constants
    storage = onnx_graph.compact_initializers(model, float16=float16, references=references)
    onnx_graph.name_io(model, INPUT_NAME, OUTPUT_NAME)
    onnx.checker.check_model(model)
    return {"input_scale_folded": factor, "weights_stored": dict(sorted(storage.items())),
            **({"unused_inputs_dropped": dropped} if dropped else {})}


def parity(reference, candidate, faces: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Both classifiers on the same faces: largest probability difference and both accuracies."""
    expected, got = reference.predict_proba(faces), candidate.predict_proba(faces)
    keras_accuracy = float((expected.argmax(axis=1) == labels).mean())
    onnx_accuracy = float((got.argmax(axis=1) == labels).mean())
    diff = float(np.abs(expected - got).max())
    return {
        "n": int(len(labels)),
        "max_abs_probability_diff": float(f"{diff:.3g}"),
        "keras_accuracy": round(keras_accuracy, 4),
        "onnx_accuracy": round(onnx_accuracy, 4),
        "passed": diff <= MAX_PROBABILITY_DIFF and abs(keras_accuracy - onnx_accuracy) <= MAX_ACCURACY_CHANGE + 1e-12,
        "limits": {"max_abs_probability_diff": MAX_PROBABILITY_DIFF, "accuracy_change": MAX_ACCURACY_CHANGE},
    }


def _tools() -> dict[str, str]:
    import keras
    import onnx
    import onnxruntime
    import tensorflow as tf
    import tf2onnx

    return {"keras": keras.__version__, "tensorflow": tf.__version__, "tf2onnx": tf2onnx.__version__,
            "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export_onnx(model_dir: str | Path, data: str | Path, float16: bool = True, opset: int = OPSET,
                command: str = "") -> dict[str, Any]:
    """Write `model_dir/model.onnx` and record it in the card; returns the record. Raises ParityError."""
    import keras
    import onnx

    from ml.serving.classifiers import KerasClassifier, OnnxClassifier
    from ml.training.datasets import load

    model_dir = Path(model_dir)
    test = load(data, PARITY_USAGE)  # first: a wrong path fails before the slow part
    keras_classifier = KerasClassifier(model_dir)
    model = convert(keras_classifier.model, opset)
    weights = [keras.ops.convert_to_numpy(v) for v in keras_classifier.model.weights]
    passes = make_lean(model, float16=float16, references=weights)
    final = model_dir / ONNX_FILE
    candidate = model_dir / f".{ONNX_FILE}.new"
    onnx.save(model, str(candidate))
    try:
        check = parity(keras_classifier, OnnxClassifier(model_dir, path=candidate), test.x, test.y)
        if not check["passed"]:
            raise ParityError(
                f"{model_dir}: ONNX export differs from Keras on {PARITY_USAGE}: largest probability difference "
                f"{check['max_abs_probability_diff']} (limit {MAX_PROBABILITY_DIFF}), accuracy "
                f"{check['keras_accuracy']} (Keras) vs {check['onnx_accuracy']} (ONNX); "
                f"{'try --onnx-float32' if float16 else 'the export is not faithful'}"
            )
        candidate.replace(final)
    finally:
        candidate.unlink(missing_ok=True)
    graph = model.graph
    record = {
        "file": ONNX_FILE,
        "sha256": _sha256(final),
        "bytes": final.stat().st_size,
        "opset": opset,
        "input": {"name": graph.input[0].name, "shape": ["batch", *keras_classifier.model.input_shape[1:]],
                  "dtype": "float32", "values": "grey levels 0-255, histogram-equalised (the card's input spec)"},
        "output": {"name": graph.output[0].name, "shape": ["batch", len(keras_classifier.card.classes)],
                   "dtype": "float32", "values": "softmax probabilities in the card's class order"},
        "exported_from": sorted(p.name for p in model_dir.iterdir() if p.name.startswith(WEIGHT_PREFIXES)),
        **passes,
        "tools": _tools(),
        "parity": {"data": Path(data).name, "usage": PARITY_USAGE, **{k: v for k, v in check.items() if k != "passed"}},
        "command": command,
    }
    card = ModelCard.load(model_dir)
    card.onnx = record
    card.save(model_dir)
    return record

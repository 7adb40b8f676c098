"""Grad-CAM heatmaps: where a model's gradient for its predicted emotion is large, drawn over the face crop.

The map is computed on the exact input the served model sees: the crop of `ml.faces` (the detector's
framing) made model input by `ml.faces.faces_to_input` (normalisation, size, channels). The explained
class is the one the served classifier (ONNX Runtime, calibrated) predicts for that crop, so the map
belongs to the label the page shows. Gradients need the model's own framework: the Keras model with
its stored weights (`KerasClassifier`), on the TensorFlow backend.

Grad-CAM (Selvaraju et al., 2017): weight each channel of the last convolutional feature map by the
mean gradient of the class's pre-softmax score over it, sum the channels, keep the positive part.
That map is as coarse as the feature map (6x6 for `fast`, 3x3 for `vgg16` and `resnet50` on a
48 px face) and is upsampled smoothly; it shows where the score is sensitive, not why. An
ensemble's map is the weighted mean (the ensemble's own member weights) of its members' maps for the
ensemble's predicted class. See docs/explain.md for the caveats.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

from ml.emotions import EMOTIONS
from ml.faces import FACE_SIZE, faces_to_input
from ml.serving import ensembles, registry

DISPLAY_SIZE = 192  # pixels of the PNG's side: four times the 48 px crop, sharp enough on a phone
OVERLAY_ALPHA = 0.5

_explainers: dict[str, GradCam] = {}
# One map at a time per process: TensorFlow's gradient graphs are large next to ONNX inference, and a
# burst of requests should queue here rather than multiply memory.
_lock = threading.Lock()


class HeatmapUnavailable(RuntimeError):
    """This process cannot compute gradients for the model (not a Keras/TensorFlow model here)."""


@dataclass(frozen=True)
class Heatmap:
    model: str
    emotion: str  # the class explained: the served model's prediction for the crop
    cam: np.ndarray  # (FACE_SIZE, FACE_SIZE) float32, 0..1 (all 0 when no region raises the score)
    feature_size: int  # side of the feature map the map was computed on, before upsampling


class GradCam:
    """One single model's Keras graph, cut at its last 4-D feature map and at the input of its softmax layer."""

    def __init__(self, name: str):
        import keras

        from ml.serving.classifiers import KerasClassifier

        if keras.config.backend() != "tensorflow":
            raise HeatmapUnavailable(f"heatmaps need the TensorFlow Keras backend, not {keras.config.backend()}")
        classifier = KerasClassifier(registry.model_dirs()[name])
        self.name, self.spec, model = name, classifier.card.input, classifier.model
        head = model.layers[-1]
        # The input of the last layer that takes a 4-D tensor (global pooling) is the last feature map, as a
        # tensor of this graph (a nested model's own `.output` belongs to its inner graph).
        features = next(layer for layer in reversed(model.layers) if len(layer.input.shape) == 4).input
        # The head's input, not its softmax output: Grad-CAM differentiates the class score before softmax,
        # which does not saturate for a confident face.
        self.graph = keras.Model(model.inputs, [features, head.input])
        self.kernel, self.bias = head.kernel, head.bias
        self.feature_size = int(features.shape[1])

    def class_map(self, crop: np.ndarray, class_index: int) -> np.ndarray:
        """(FACE_SIZE, FACE_SIZE) float32 map, >= 0, not normalised, for one (48, 48) uint8 crop."""
        import tensorflow as tf

        batch = tf.constant(faces_to_input(crop[None], self.spec))
        with tf.GradientTape() as tape:
            feature_map, head_input = self.graph([batch], training=False)
            score = (tf.matmul(head_input, self.kernel) + self.bias)[:, class_index]
        gradients = tape.gradient(score, feature_map)[0].numpy()
        weights = gradients.mean(axis=(0, 1))
        cam = np.maximum((feature_map[0].numpy() * weights).sum(axis=-1), 0.0).astype(np.float32)
        return cv2.resize(cam, (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_LINEAR)


def _explainer(name: str) -> GradCam:
    if name not in _explainers:
        _explainers[name] = GradCam(name)
    return _explainers[name]


def _normalised(cam: np.ndarray) -> np.ndarray:
    peak = float(cam.max())
    return (cam / peak).astype(np.float32) if peak > 0 else np.zeros_like(cam, dtype=np.float32)


def explain(crop: np.ndarray, model: str) -> Heatmap:
    """The Grad-CAM map of `model` (a single model or an offered ensemble) for one (48, 48) uint8 grey crop.

    Raises `registry.UnknownModelError` for a name that cannot be served and `HeatmapUnavailable`
    where gradients cannot be computed.
    """
    served = registry.get_classifier(model)  # validates the name; its prediction is the class explained
    class_index = int(np.argmax(served.predict_proba(crop[None])[0]))
    members = registry.ensemble_members(model)
    with _lock:
        if members is None:
            explainer = _explainer(model)
            return Heatmap(model, EMOTIONS[class_index], _normalised(explainer.class_map(crop, class_index)),
                           explainer.feature_size)
        weights = ensembles.member_weights(registry.ensemble_records()[model], members)
        used = [(m, w) for m, w in zip(members, weights, strict=True) if w > 0]
        maps = [w * _normalised(_explainer(m).class_map(crop, class_index)) for m, w in used]
        sizes = [_explainer(m).feature_size for m, _ in used]
    return Heatmap(model, EMOTIONS[class_index], _normalised(sum(maps) / sum(w for _, w in used)), min(sizes))


def overlay_png(crop: np.ndarray, cam: np.ndarray, size: int = DISPLAY_SIZE) -> bytes:
    """The grey crop enlarged to `size`, with the map in a blue-to-red colour scale blended over it, as PNG."""
    grey = cv2.resize(crop, (size, size), interpolation=cv2.INTER_CUBIC)
    base = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR).astype(np.float32)
    heat = cv2.resize(cam, (size, size), interpolation=cv2.INTER_LINEAR)
    colour = cv2.applyColorMap(np.uint8(np.clip(heat, 0, 1) * 255), cv2.COLORMAP_JET).astype(np.float32)
    blended = np.uint8(np.clip((1 - OVERLAY_ALPHA) * base + OVERLAY_ALPHA * colour, 0, 255))
    ok, encoded = cv2.imencode(".png", blended)
    if not ok:  # cv2 returns False instead of raising
        raise RuntimeError("the heatmap could not be encoded as PNG")
    return encoded.tobytes()

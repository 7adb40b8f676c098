"""Photo in, every face out: detection, cropping, one batched classification per image."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ml.crops import crop_faces
from ml.detection import Box, get_detector
from ml.emotions import EMOTIONS
from ml.images import DEFAULT_MAX_PIXELS, decode_image, rgb_to_gray
from ml.registry import DEFAULT_MODEL, get_classifier


@dataclass(frozen=True)
class FacePrediction:
    box: Box
    probabilities: dict[str, float]
    emotion: str
    confidence: float

    def to_dict(self) -> dict:
        return {
            "box": self.box.to_dict(),
            "probabilities": {k: round(v, 4) for k, v in self.probabilities.items()},
            "emotion": self.emotion,
            "confidence": round(self.confidence, 4),
        }


@dataclass
class Analysis:
    faces: list[FacePrediction]
    width: int
    height: int
    model: str
    detector: str
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "detector": self.detector,
            "width": self.width,
            "height": self.height,
            "faces": [f.to_dict() for f in self.faces],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


def predictions_from_probabilities(boxes: list[Box], probabilities: np.ndarray) -> list[FacePrediction]:
    faces = []
    for box, probs in zip(boxes, probabilities, strict=True):
        top = int(np.argmax(probs))
        faces.append(
            FacePrediction(
                box=box,
                probabilities={emotion: float(p) for emotion, p in zip(EMOTIONS, probs, strict=True)},
                emotion=EMOTIONS[top],
                confidence=float(probs[top]),
            )
        )
    return faces


def analyse_rgb(rgb: np.ndarray, model: str = DEFAULT_MODEL, detector: str = "haar", flip: bool = False,
                timings: dict[str, float] | None = None) -> list[FacePrediction]:
    """Detect and classify every face of an RGB array; all faces go through the model at once."""
    timings = timings if timings is not None else {}
    classifier = get_classifier(model)  # before detection: a wrong name fails fast
    started = time.perf_counter()
    boxes = get_detector(detector).detect(rgb)
    timings["detect"] = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    faces = crop_faces(rgb_to_gray(rgb), boxes)
    probabilities = classifier.predict_proba(faces, flip=flip)
    timings["classify"] = (time.perf_counter() - started) * 1000
    return predictions_from_probabilities(boxes, probabilities)


def predict(image: bytes | str | Path | np.ndarray, model: str = DEFAULT_MODEL, detector: str = "haar",
            flip: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS) -> Analysis:
    """Analyse a photo given as encoded bytes, a file path or an RGB array.

    No face found is a result (an empty `faces` list), not an error. Raises
    `ml.images.ImageDecodeError`, `ml.registry.UnknownModelError` or
    `ml.detection.UnknownDetectorError` for bad input.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    rgb = image if isinstance(image, np.ndarray) else decode_image(image, max_pixels=max_pixels)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=-1)
    timings["decode"] = (time.perf_counter() - started) * 1000
    faces = analyse_rgb(rgb, model=model, detector=detector, flip=flip, timings=timings)
    timings["total"] = (time.perf_counter() - started) * 1000
    return Analysis(faces, rgb.shape[1], rgb.shape[0], model, detector, timings)

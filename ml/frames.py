"""One video frame (JPEG bytes) in, faces out: the live path, built for speed.

OpenCV decodes the JPEG (faster than Pillow for camera frames, and frames carry no EXIF
rotation); then the same detector, crops and classifier as photos.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ml.crops import crop_faces
from ml.detection import Box, get_detector
from ml.registry import get_classifier

if TYPE_CHECKING:
    from ml.classifiers import Classifier

JPEG_MAGIC = b"\xff\xd8\xff"


class FrameError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class FrameResult:
    boxes: list[Box]
    probabilities: np.ndarray  # (faces, 7)
    width: int
    height: int
    ms: float

    def to_dict(self) -> dict:
        """JSON-safe form, for sending a worker's result through the channel layer."""
        return {"boxes": [b.to_dict() for b in self.boxes], "probabilities": self.probabilities.round(5).tolist(),
                "width": self.width, "height": self.height, "ms": round(self.ms, 2)}

    @classmethod
    def from_dict(cls, data: dict) -> FrameResult:
        boxes = [Box(b["x"], b["y"], b["w"], b["h"], b["score"]) for b in data["boxes"]]
        probabilities = np.asarray(data["probabilities"], dtype=np.float32).reshape(len(boxes), 7)
        return cls(boxes, probabilities, data["width"], data["height"], data["ms"])


def predict_frame(data: bytes, model: str = "fast", detector: str = "haar", max_pixels: int = 4_000_000,
                  classifier: Classifier | None = None) -> FrameResult:
    """`classifier` overrides the registry's (e.g. a MicroBatcher that batches across streams)."""
    started = time.perf_counter()
    if not data.startswith(JPEG_MAGIC):
        raise FrameError("not_jpeg", "Frames must be JPEG images.")
    classifier = classifier or get_classifier(model)
    frame = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if frame is None:
        raise FrameError("invalid_frame", "The frame could not be decoded as a JPEG image.")
    height, width = frame.shape[:2]
    if width * height > max_pixels:
        message = f"Frames may have at most {max_pixels:,} pixels; this one is {width}x{height}."
        raise FrameError("frame_too_large", message)
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    boxes = get_detector(detector).detect(rgb)
    faces = crop_faces(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), boxes)
    probabilities = classifier.predict_proba(faces)
    return FrameResult(boxes, probabilities, width, height, (time.perf_counter() - started) * 1000)

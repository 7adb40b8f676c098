"""Face detectors behind one interface: RGB image in, boxes with scores (and landmarks) out.

- `blazeface` (default): MediaPipe's BlazeFace short-range model (`ml.serving.blazeface`) on a copy
  whose longer side is `BLAZEFACE_LONG_SIDE` (320) pixels, keeping detections scoring at least
  `BLAZEFACE_MIN_SCORE` (0.6). Six landmarks per face (`ml.faces.LANDMARKS`). Found about twice
  Haar's share of faces, turned ones included, in a quarter of Haar's time on the detection check.
- `haar`: OpenCV's frontal-face Haar cascade, run on a copy downscaled so its longest side is at
  most `max_side` (400) pixels, with a pyramid step of 1.15; boxes are mapped back to the
  original image. Faces smaller than about 20 px at that scale (1/20 of the photo's longer
  side) are missed. No landmarks.
- `mtcnn`: the `mtcnn` package (TensorFlow); the best on small faces in large group photos, and
  the slowest by far. Five landmarks per face.

`python -m ml.detection_check` measures them all (docs/ml.md has the figures and the choice).
All weights ship inside pip packages: nothing is downloaded.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from functools import cache
from typing import Protocol

import cv2
import numpy as np

from ml.faces import Box
from ml.serving.blazeface import SHORT_RANGE, BlazeFace, Candidates, weighted_nms

DETECTORS = ("blazeface", "haar", "mtcnn")
DEFAULT_DETECTOR = "blazeface"
# Chosen on the detection check's tuning scenes (--seed 1), not the reported ones: docs/ml.md.
BLAZEFACE_LONG_SIDE, BLAZEFACE_MIN_SCORE = 320, 0.6


class UnknownDetectorError(ValueError):
    pass


class FaceDetector(Protocol):
    name: str

    def detect(self, rgb: np.ndarray) -> list[Box]: ...


def _downscale(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    h, w = image.shape[:2]
    factor = min(1.0, max_side / max(h, w))
    if factor < 1.0:
        image = cv2.resize(image, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
    return image, factor


def _clip(box: Box, width: int, height: int) -> Box | None:
    x0, y0 = max(0, box.x), max(0, box.y)
    x1, y1 = min(width, box.x + box.w), min(height, box.y + box.h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return replace(box, x=x0, y=y0, w=x1 - x0, h=y1 - y0)


def _suppress_overlaps(boxes: list[Box], threshold: float = 0.3) -> list[Box]:
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: b.score, reverse=True):
        if all(box.iou(k) < threshold for k in kept):
            kept.append(box)
    return sorted(kept, key=lambda b: (b.x, b.y))


class HaarDetector:
    name = "haar"

    # minNeighbors 6 and a score floor of 0.9 drop the weak, isolated hits that Haar cascades are known
    # for (clothing folds, hair) while keeping frontal faces, which score above 0.95.
    def __init__(self, max_side: int = 400, min_face_fraction: float = 0.04, min_neighbors: int = 6,
                 min_score: float = 0.9, scale_factor: float = 1.15):
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise RuntimeError(f"OpenCV Haar cascade could not be loaded from {path}")
        self.max_side, self.min_face_fraction, self.min_neighbors = max_side, min_face_fraction, min_neighbors
        self.min_score, self.scale_factor = min_score, scale_factor
        self._lock = threading.Lock()  # CascadeClassifier is not documented as thread-safe

    def detect(self, rgb: np.ndarray) -> list[Box]:
        height, width = rgb.shape[:2]
        small, factor = _downscale(rgb, self.max_side)
        gray = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
        side = max(20, int(min(gray.shape) * self.min_face_fraction))
        with self._lock:
            rects, _, weights = self._cascade.detectMultiScale3(
                gray, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors, minSize=(side, side),
                outputRejectLevels=True,
            )
        boxes = []
        for (x, y, w, h), weight in zip(rects, np.ravel(weights) if len(rects) else [], strict=False):
            # Level weights are unbounded margins; squash into 0-1 so scores read like MTCNN's.
            score = float(1.0 / (1.0 + np.exp(-float(weight))))
            if score < self.min_score:
                continue
            box = _clip(Box(round(x / factor), round(y / factor), round(w / factor), round(h / factor), score),
                        width, height)
            if box:
                boxes.append(box)
        return _suppress_overlaps(boxes)


class MtcnnDetector:
    name = "mtcnn"

    def __init__(self, max_side: int = 1024, min_score: float = 0.9):
        from mtcnn import MTCNN  # imports TensorFlow: only when this detector is asked for

        self._mtcnn = MTCNN()
        self.max_side, self.min_score = max_side, min_score
        self._lock = threading.Lock()

    def detect(self, rgb: np.ndarray) -> list[Box]:
        height, width = rgb.shape[:2]
        small, factor = _downscale(rgb, self.max_side)
        with self._lock:
            found = self._mtcnn.detect_faces(np.ascontiguousarray(small))
        boxes = []
        for face in found:
            if face["confidence"] < self.min_score:
                continue
            x, y, w, h = face["box"]
            # The package names points from the viewer's side; Box.landmarks are from the subject's.
            points = [face["keypoints"][k] for k in ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")]
            landmarks = tuple((float(px) / factor, float(py) / factor) for px, py in points)
            box = _clip(Box(round(x / factor), round(y / factor), round(w / factor), round(h / factor),
                            float(face["confidence"]), landmarks), width, height)
            if box:
                boxes.append(box)
        return _suppress_overlaps(boxes)


class BlazeFaceDetector:
    """MediaPipe BlazeFace (`ml.serving.blazeface`) over one or more passes (model and input size) whose
    candidates are merged. Thread-safe: each pass keeps one interpreter per thread."""

    name = "blazeface"

    def __init__(self, passes: tuple[BlazeFace, ...] | None = None, iou_threshold: float = 0.3):
        self.passes = passes or (BlazeFace(SHORT_RANGE, BLAZEFACE_LONG_SIDE, BLAZEFACE_MIN_SCORE),)
        self.iou_threshold = iou_threshold

    def detect(self, rgb: np.ndarray) -> list[Box]:
        height, width = rgb.shape[:2]
        found = weighted_nms(Candidates.concatenate([p.candidates(rgb) for p in self.passes]), self.iou_threshold)
        boxes = []
        for (x0, y0, x1, y1), score, points in zip(found.boxes, found.scores, found.keypoints, strict=True):
            box = _clip(Box(round(float(x0)), round(float(y0)), round(float(x1 - x0)), round(float(y1 - y0)),
                            float(score), tuple((float(x), float(y)) for x, y in points)), width, height)
            if box:
                boxes.append(box)
        return sorted(boxes, key=lambda b: (b.x, b.y))


@cache
def get_detector(name: str = DEFAULT_DETECTOR) -> FaceDetector:
    """One detector instance per process and name, created on first use."""
    if name == "blazeface":
        return BlazeFaceDetector()
    if name == "haar":
        return HaarDetector()
    if name == "mtcnn":
        return MtcnnDetector()
    raise UnknownDetectorError(f"unknown detector {name!r}; choose one of {', '.join(DETECTORS)}")

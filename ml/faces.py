"""The one definition of a face, shared by training and serving: where it is, how it is framed,
how it is normalised and how it becomes model input.

- `Box`: a detected face in photo coordinates, with the detector's score and, from detectors that
  give them, facial landmarks (`LANDMARKS`).
- Framing: FER2013 faces are centred squares with a little forehead and chin around the
  features, a bit looser than a Haar or MTCNN box, so each box is squared on its centre and
  widened by `margin` of its side on every side. Parts outside the photo are filled by edge
  replication. The crop is grey (ITU-R 601 luma, as FER2013) and FACE_SIZE pixels square.
- Normalisation: the FER2013 copy the models learn from is histogram-equalised
  (`cv2.equalizeHist` on each 48x48 face), so every crop is equalised the same way before a model
  sees it, in training and in serving alike (`InputSpec.normalisation`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from ml.input_spec import InputSpec

FACE_SIZE = 48
DEFAULT_MARGIN = 0.1

# `Box.landmarks` layouts, told apart by their length. Sides are the subject's: the right eye is the one
# on the viewer's left in an unmirrored photo. The first three points mean the same in both layouts.
LANDMARKS = {
    6: ("right_eye", "left_eye", "nose_tip", "mouth_centre", "right_ear", "left_ear"),  # blazeface
    5: ("right_eye", "left_eye", "nose_tip", "mouth_right", "mouth_left"),  # mtcnn
}

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int
    score: float = 1.0
    # (x, y) in photo pixels in a `LANDMARKS` layout, or None; may lie outside the box or the photo (a turned
    # face's far ear). Not part of equality or hashing: a box is where the face is.
    landmarks: tuple[Point, ...] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.landmarks is not None and len(self.landmarks) not in LANDMARKS:
            raise ValueError(f"{len(self.landmarks)} landmarks fit no layout; expected one of {sorted(LANDMARKS)}")

    def to_dict(self) -> dict:
        data = {"x": self.x, "y": self.y, "w": self.w, "h": self.h, "score": round(float(self.score), 4)}
        if self.landmarks is not None:
            data["landmarks"] = [[round(float(x), 1), round(float(y), 1)] for x, y in self.landmarks]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Box:
        points = data.get("landmarks")
        landmarks = None if points is None else tuple((float(x), float(y)) for x, y in points)
        return cls(int(data["x"]), int(data["y"]), int(data["w"]), int(data["h"]), float(data.get("score", 1.0)),
                   landmarks)

    def iou(self, other: Box) -> float:
        ix = max(0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.w * self.h + other.w * other.h - inter
        return inter / union if union else 0.0


def crop_face(gray: np.ndarray, box: Box, margin: float = DEFAULT_MARGIN, size: int = FACE_SIZE) -> np.ndarray:
    side = max(box.w, box.h) * (1.0 + 2.0 * margin)
    cx, cy = box.x + box.w / 2.0, box.y + box.h / 2.0
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    x1, y1 = x0 + int(round(side)), y0 + int(round(side))
    h, w = gray.shape
    pad = max(0, -x0, -y0, x1 - w, y1 - h)
    if pad:
        gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        x0, y0, x1, y1 = x0 + pad, y0 + pad, x1 + pad, y1 + pad
    face = gray[y0:y1, x0:x1]
    interpolation = cv2.INTER_AREA if face.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(face, (size, size), interpolation=interpolation)


def crop_faces(gray: np.ndarray, boxes: list[Box], margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """(N, 48, 48) uint8 crops for all boxes (an empty (0, 48, 48) array when none)."""
    if not boxes:
        return np.empty((0, FACE_SIZE, FACE_SIZE), dtype=np.uint8)
    return np.stack([crop_face(gray, box, margin) for box in boxes])


def normalise(faces: np.ndarray, method: str) -> np.ndarray:
    """(N, H, W) uint8 grey faces normalised as a model learnt them (`InputSpec.normalisation`)."""
    if method == "none":
        return faces
    if method == "equalize":
        return np.stack([cv2.equalizeHist(np.ascontiguousarray(f)) for f in faces]) if len(faces) else faces
    raise ValueError(f"unknown face normalisation {method!r}")


def faces_to_input(faces: np.ndarray, spec: InputSpec) -> np.ndarray:
    """(N, H, W) uint8 grey faces -> (N, size, size, channels) float32 in 0-255, normalised per `spec`."""
    if faces.ndim != 3:
        raise ValueError(f"expected (N, H, W) grey faces, got shape {faces.shape}")
    faces = normalise(faces.astype(np.uint8, copy=False), spec.normalisation)
    if faces.shape[1:] != (spec.size, spec.size):
        interpolation = cv2.INTER_LINEAR if spec.size > faces.shape[1] else cv2.INTER_AREA
        faces = np.stack([cv2.resize(f, (spec.size, spec.size), interpolation=interpolation) for f in faces])
    batch = faces.astype(np.float32)[..., None]
    if spec.channels == 3:
        batch = np.repeat(batch, 3, axis=-1)
    return batch

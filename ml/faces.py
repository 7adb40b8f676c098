"""The one definition of a face, shared by training and serving: where it is, how it is framed,
how it is normalised and how it becomes model input.

- `Box`: a detected face in photo coordinates, with the detector's score and, from detectors that
  give them, facial landmarks (`LANDMARKS`).
- Framing (`Framing`, one per detector, `framing_for`): FER2013 faces are centred squares with a
  little forehead and chin around the features, and every detector frames a face its own way
  (Haar loose and square, MTCNN tall and tight, BlazeFace square, tight and low). So each
  detector's box becomes a square crop of `scale` times the box's longer side, moved by
  (`dx`, `dy`) box sides, values fitted so that crops give back FER2013's own framing
  (`python -m ml.framing_check --fit`, stored in `ml/framings.json`). With `align`, a box with
  eye landmarks is turned so its eye line is level. Parts outside the photo are filled by edge
  replication. The crop is grey (ITU-R 601 luma, as FER2013) and FACE_SIZE pixels square.
- Normalisation: the FER2013 copy the models learn from is histogram-equalised
  (`cv2.equalizeHist` on each 48x48 face), so every crop is equalised the same way before a model
  sees it, in training and in serving alike (`InputSpec.normalisation`).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from ml.input_spec import InputSpec

FACE_SIZE = 48
FRAMINGS_FILE = Path(__file__).resolve().parent / "framings.json"

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


@dataclass(frozen=True)
class Framing:
    """How a detector's box becomes the face crop (see the module docstring)."""

    scale: float = 1.2  # crop side / the box's longer side
    dx: float = 0.0  # crop centre minus box centre, in box sides (x to the right, y down)
    dy: float = 0.0
    align: bool = False  # level the eye line when the box has landmarks

    def to_dict(self) -> dict:
        return asdict(self)


DEFAULT_FRAMING = Framing()


@cache
def _fitted_framings() -> dict[str, Framing]:
    if not FRAMINGS_FILE.is_file():
        return {}
    stored = json.loads(FRAMINGS_FILE.read_text())["detectors"]
    return {name: Framing(**{k: v for k, v in values.items() if k in Framing.__dataclass_fields__})
            for name, values in stored.items()}


def reload_framings() -> None:
    """Read `ml/framings.json` again (after `python -m ml.framing_check --fit` rewrote it)."""
    _fitted_framings.cache_clear()


def framing_for(detector: str) -> Framing:
    """The fitted framing of a detector; the default (a square 1.2 times the box) for one not fitted."""
    return _fitted_framings().get(detector, DEFAULT_FRAMING)


def eye_line_angle(box: Box) -> float:
    """Degrees counter-clockwise (image y down) that level the eye line; 0 without landmarks."""
    if not box.landmarks:
        return 0.0
    (rx, ry), (lx, ly) = box.landmarks[0], box.landmarks[1]  # the subject's right eye is on the viewer's left
    return math.degrees(math.atan2(ly - ry, lx - rx))


def crop_face(gray: np.ndarray, box: Box, framing: Framing = DEFAULT_FRAMING, size: int = FACE_SIZE) -> np.ndarray:
    box_side = max(box.w, box.h)
    side = box_side * framing.scale
    cx = box.x + box.w / 2.0 + framing.dx * box_side
    cy = box.y + box.h / 2.0 + framing.dy * box_side
    angle = eye_line_angle(box) if framing.align else 0.0
    # Cut a square large enough to hold the turned crop, turn it at full resolution, then take the centre.
    reach = side * (abs(math.cos(math.radians(angle))) + abs(math.sin(math.radians(angle)))) if angle else side
    x0, y0 = int(round(cx - reach / 2)), int(round(cy - reach / 2))
    extent = int(round(reach))
    h, w = gray.shape
    pad = max(0, -x0, -y0, x0 + extent - w, y0 + extent - h)
    if pad:
        gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        x0, y0 = x0 + pad, y0 + pad
    face = gray[y0:y0 + extent, x0:x0 + extent]
    if angle:
        centre = ((extent - 1) / 2.0, (extent - 1) / 2.0)
        face = cv2.warpAffine(face, cv2.getRotationMatrix2D(centre, angle, 1.0), (extent, extent),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        inner = int(round(side))
        start = (extent - inner) // 2
        face = face[start:start + inner, start:start + inner]
    interpolation = cv2.INTER_AREA if face.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(face, (size, size), interpolation=interpolation)


def crop_faces(gray: np.ndarray, boxes: list[Box], framing: Framing = DEFAULT_FRAMING) -> np.ndarray:
    """(N, 48, 48) uint8 crops for all boxes (an empty (0, 48, 48) array when none)."""
    if not boxes:
        return np.empty((0, FACE_SIZE, FACE_SIZE), dtype=np.uint8)
    return np.stack([crop_face(gray, box, framing) for box in boxes])


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

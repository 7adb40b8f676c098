"""Cutting detected faces out as classifier input: square, padded, grey, 48x48.

FER2013 faces are centred squares with a little forehead and chin around the features, a bit
looser than a Haar or MTCNN box, so each box is squared on its centre and widened by `margin`
of its side on every side. Parts outside the photo are filled by edge replication.
"""

from __future__ import annotations

import cv2
import numpy as np

from ml.detection import Box

FACE_SIZE = 48


def crop_face(gray: np.ndarray, box: Box, margin: float = 0.1, size: int = FACE_SIZE) -> np.ndarray:
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


def crop_faces(gray: np.ndarray, boxes: list[Box], margin: float = 0.1) -> np.ndarray:
    """(N, 48, 48) uint8 crops for all boxes (an empty (0, 48, 48) array when none)."""
    if not boxes:
        return np.empty((0, FACE_SIZE, FACE_SIZE), dtype=np.uint8)
    return np.stack([crop_face(gray, box, margin) for box in boxes])

"""Training-time augmentation of 48x48 grey faces, in NumPy + OpenCV (backend-independent).

One random affine per face (shift, small rotation, scale, horizontal flip) applied with
`cv2.warpAffine` and edge replication, then random erasing of a rectangle: the recipe shared by
the FER2013 models that pass 72% (anchors.md), kept cheap enough for a 2-core CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class AugmentConfig:
    max_shift: float = 0.1  # fraction of the side
    max_rotation: float = 10.0  # degrees
    scale_range: tuple[float, float] = (0.9, 1.1)
    flip: bool = True
    erase_probability: float = 0.5
    erase_area: tuple[float, float] = (0.02, 0.2)  # fraction of the image


def augment_batch(faces: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig = AugmentConfig()) -> np.ndarray:
    """Return an augmented copy of `faces` (N, H, W) uint8."""
    n, h, w = faces.shape
    out = np.empty_like(faces)
    centre = (w / 2.0, h / 2.0)
    for i in range(n):
        angle = rng.uniform(-cfg.max_rotation, cfg.max_rotation)
        scale = rng.uniform(*cfg.scale_range)
        matrix = cv2.getRotationMatrix2D(centre, angle, scale)
        matrix[:, 2] += rng.uniform(-cfg.max_shift, cfg.max_shift, size=2) * (w, h)
        if cfg.flip and rng.random() < 0.5:
            # Mirror after the affine: x' = w - 1 - x.
            matrix[0] = -matrix[0]
            matrix[0, 2] += w - 1
        out[i] = cv2.warpAffine(faces[i], matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
        if rng.random() < cfg.erase_probability:
            _erase(out[i], rng, cfg.erase_area)
    return out


def _erase(face: np.ndarray, rng: np.random.Generator, area_range: tuple[float, float]) -> None:
    h, w = face.shape
    area = rng.uniform(*area_range) * h * w
    aspect = np.exp(rng.uniform(np.log(0.3), np.log(3.3)))
    eh = int(min(h, round(np.sqrt(area * aspect))))
    ew = int(min(w, round(np.sqrt(area / aspect))))
    top = int(rng.integers(0, h - eh + 1))
    left = int(rng.integers(0, w - ew + 1))
    face[top : top + eh, left : left + ew] = rng.integers(0, 256, size=(eh, ew), dtype=np.uint8)

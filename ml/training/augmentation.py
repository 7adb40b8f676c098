"""Training-time augmentation of 48x48 grey faces, in NumPy + OpenCV (backend-independent).

Per face, in this order:
1. one random affine (shift, small rotation, scale, horizontal flip) with edge replication: the
   geometric recipe shared by the FER2013 models that pass 72% (anchors.md), and the spread of
   framings that detectors produce;
2. the damage real photographs and webcams bring: contrast/brightness change, Gaussian blur,
   sensor noise and JPEG compression, each with its own probability;
3. random erasing of a rectangle (occlusion).
The faces then go through the same normalisation as at serving time (`ml.faces.faces_to_input`),
so what the model learns is what it will be shown.
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
    # Photometric damage (0 turns each off).
    contrast_probability: float = 0.0
    contrast_range: tuple[float, float] = (0.6, 1.4)
    brightness_range: tuple[float, float] = (-40.0, 40.0)  # grey levels
    blur_probability: float = 0.0
    blur_sigma: tuple[float, float] = (0.3, 1.5)
    noise_probability: float = 0.0
    noise_sigma: tuple[float, float] = (2.0, 10.0)
    jpeg_probability: float = 0.0
    jpeg_quality: tuple[int, int] = (20, 90)


# The photometric augmentation used for the shipped models since the "robust training" change.
ROBUST = AugmentConfig(contrast_probability=0.5, blur_probability=0.3, noise_probability=0.2, jpeg_probability=0.3)


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
        face = cv2.warpAffine(faces[i], matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
        out[i] = _damage(face, rng, cfg)
        if rng.random() < cfg.erase_probability:
            _erase(out[i], rng, cfg.erase_area)
    return out


def _damage(face: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    if rng.random() < cfg.contrast_probability:
        contrast, brightness = rng.uniform(*cfg.contrast_range), rng.uniform(*cfg.brightness_range)
        face = cv2.convertScaleAbs(face, alpha=contrast, beta=brightness + 127.5 * (1.0 - contrast))
    if rng.random() < cfg.blur_probability:
        face = cv2.GaussianBlur(face, (0, 0), rng.uniform(*cfg.blur_sigma), borderType=cv2.BORDER_REPLICATE)
    if rng.random() < cfg.noise_probability:
        noise = rng.normal(0.0, rng.uniform(*cfg.noise_sigma), size=face.shape)
        face = np.clip(face + noise, 0, 255).astype(np.uint8)
    if rng.random() < cfg.jpeg_probability:
        quality = int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1))
        ok, encoded = cv2.imencode(".jpg", face, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            face = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)
    return face


def _erase(face: np.ndarray, rng: np.random.Generator, area_range: tuple[float, float]) -> None:
    h, w = face.shape
    area = rng.uniform(*area_range) * h * w
    aspect = np.exp(rng.uniform(np.log(0.3), np.log(3.3)))
    eh = int(min(h, round(np.sqrt(area * aspect))))
    ew = int(min(w, round(np.sqrt(area / aspect))))
    top = int(rng.integers(0, h - eh + 1))
    left = int(rng.integers(0, w - ew + 1))
    face[top : top + eh, left : left + ew] = rng.integers(0, 256, size=(eh, ew), dtype=np.uint8)

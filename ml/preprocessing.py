"""Turning grey face crops into model input, as recorded in each model's input spec."""

from __future__ import annotations

import cv2
import numpy as np

from ml.input_spec import InputSpec


def faces_to_input(faces: np.ndarray, spec: InputSpec) -> np.ndarray:
    """(N, H, W) uint8 grey faces -> (N, size, size, channels) float32 in 0-255."""
    if faces.ndim != 3:
        raise ValueError(f"expected (N, H, W) grey faces, got shape {faces.shape}")
    if faces.shape[1:] != (spec.size, spec.size):
        interpolation = cv2.INTER_LINEAR if spec.size > faces.shape[1] else cv2.INTER_AREA
        faces = np.stack([cv2.resize(f, (spec.size, spec.size), interpolation=interpolation) for f in faces])
    batch = faces.astype(np.float32)[..., None]
    if spec.channels == 3:
        batch = np.repeat(batch, 3, axis=-1)
    return batch

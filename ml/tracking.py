"""Keeping faces apart across video frames, and smoothing their probabilities so labels hold still.

A face in a new frame takes the id of the track whose last box overlaps it most (IoU above a
threshold, greedy, best pairs first); unmatched faces start new tracks; tracks unseen for
`max_missing` frames end. Each track averages its last `window` probability vectors.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ml.detection import Box
from ml.emotions import EMOTIONS


@dataclass
class Track:
    id: int
    box: Box
    history: deque = field(default_factory=deque)
    missing: int = 0

    def smoothed(self) -> np.ndarray:
        return np.mean(np.stack(self.history), axis=0)


@dataclass(frozen=True)
class TrackedFace:
    id: int
    box: Box
    probabilities: np.ndarray  # this frame's
    smoothed: np.ndarray  # mean over the track's window

    def to_dict(self) -> dict:
        top = int(np.argmax(self.smoothed))
        return {
            "id": self.id,
            "box": self.box.to_dict(),
            "probabilities": {e: round(float(p), 4) for e, p in zip(EMOTIONS, self.probabilities, strict=True)},
            "smoothed": {e: round(float(p), 4) for e, p in zip(EMOTIONS, self.smoothed, strict=True)},
            "emotion": EMOTIONS[top],
            "confidence": round(float(self.smoothed[top]), 4),
        }


class FaceTracker:
    def __init__(self, window: int = 5, iou_threshold: float = 0.3, max_missing: int = 5):
        self.window, self.iou_threshold, self.max_missing = window, iou_threshold, max_missing
        self.tracks: list[Track] = []
        self._next_id = 1

    def update(self, boxes: list[Box], probabilities: np.ndarray) -> list[TrackedFace]:
        pairs = sorted(
            ((box.iou(track.box), i, j) for i, box in enumerate(boxes) for j, track in enumerate(self.tracks)),
            reverse=True,
        )
        matched: dict[int, Track] = {}
        used: set[int] = set()
        for overlap, i, j in pairs:
            if overlap < self.iou_threshold:
                break
            if i in matched or j in used:
                continue
            matched[i] = self.tracks[j]
            used.add(j)
        for j, track in enumerate(self.tracks):
            if j not in used:
                track.missing += 1
        self.tracks = [t for j, t in enumerate(self.tracks) if j in used or t.missing <= self.max_missing]
        faces = []
        for i, box in enumerate(boxes):
            track = matched.get(i)
            if track is None:
                track = Track(self._next_id, box, deque(maxlen=self.window))
                self._next_id += 1
                self.tracks.append(track)
            track.box, track.missing = box, 0
            track.history.append(np.asarray(probabilities[i], dtype=np.float32))
            faces.append(TrackedFace(track.id, box, probabilities[i], track.smoothed()))
        return faces

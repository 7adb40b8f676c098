"""Keeping faces apart across video frames, and smoothing their probabilities so labels hold still.

A face in a new frame takes the id of the track whose last box overlaps it most (IoU above a
threshold, greedy, best pairs first); unmatched faces start new tracks; tracks unseen for
`max_missing` frames end. Each track averages its last `window` probability vectors.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ml.faces import Box
from ml.serving.pipeline import FaceResult


@dataclass
class Track:
    id: int
    box: Box
    history: deque = field(default_factory=deque)
    missing: int = 0

    def smoothed(self) -> np.ndarray:
        return np.mean(np.stack(self.history), axis=0)


class FaceTracker:
    def __init__(self, window: int = 5, iou_threshold: float = 0.3, max_missing: int = 5):
        self.window, self.iou_threshold, self.max_missing = window, iou_threshold, max_missing
        self.tracks: list[Track] = []
        self._next_id = 1

    def update(self, faces: list[FaceResult]) -> list[FaceResult]:
        """The same faces with their track ids and smoothed probabilities filled in."""
        boxes = [face.box for face in faces]
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
        tracked = []
        for i, (box, face) in enumerate(zip(boxes, faces, strict=True)):
            track = matched.get(i)
            if track is None:
                track = Track(self._next_id, box, deque(maxlen=self.window))
                self._next_id += 1
                self.tracks.append(track)
            track.box, track.missing = box, 0
            track.history.append(np.asarray(face.probabilities, dtype=np.float32))
            tracked.append(face.tracked(track.id, track.smoothed()))
        return tracked

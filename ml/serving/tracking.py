"""Keeping faces apart across video frames, and smoothing their probabilities so labels hold still.

A face in a new frame takes the id of the track whose last box overlaps it most (IoU above a
threshold, greedy, best pairs first); unmatched faces start new tracks; tracks unseen for
`max_missing` frames end. Each track averages its last `window` probability vectors.

A track also keeps its velocity (the smoothed shift of its box centre per frame), and is matched
where it should be now rather than where it was last seen: a face that moves while the detector
misses it for a frame or two (a walking person in a sampled video) keeps its id.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from ml.faces import Box
from ml.serving.pipeline import FaceResult


@dataclass
class Track:
    id: int
    box: Box
    history: deque = field(default_factory=deque)
    missing: int = 0
    velocity: tuple[float, float] = (0.0, 0.0)  # pixels per frame

    def smoothed(self) -> np.ndarray:
        return np.mean(np.stack(self.history), axis=0)

    def predicted(self) -> Box:
        """Where the box should be in the coming frame, moving on at its velocity."""
        steps = self.missing + 1
        dx, dy = self.velocity
        return replace(self.box, x=round(self.box.x + dx * steps), y=round(self.box.y + dy * steps))

    def move_to(self, box: Box) -> None:
        steps = self.missing + 1
        shift = ((box.x + box.w / 2 - self.box.x - self.box.w / 2) / steps,
                 (box.y + box.h / 2 - self.box.y - self.box.h / 2) / steps)
        self.velocity = (0.5 * self.velocity[0] + 0.5 * shift[0], 0.5 * self.velocity[1] + 0.5 * shift[1])
        self.box, self.missing = box, 0


class FaceTracker:
    def __init__(self, window: int = 5, iou_threshold: float = 0.3, max_missing: int = 5):
        self.window, self.iou_threshold, self.max_missing = window, iou_threshold, max_missing
        self.tracks: list[Track] = []
        self._next_id = 1

    def assign(self, boxes: list[Box]) -> list[Track]:
        """The track of each box: matched to a track's last box, or a new track; unmatched tracks age.

        Needs no probabilities, so a video can link faces across frames before they are classified.
        """
        pairs = sorted(
            ((box.iou(track.predicted()), i, j) for i, box in enumerate(boxes) for j, track in enumerate(self.tracks)),
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
        assigned = []
        for i, box in enumerate(boxes):
            track = matched.get(i)
            if track is None:
                track = Track(self._next_id, box, deque(maxlen=self.window))
                self._next_id += 1
                self.tracks.append(track)
            else:
                track.move_to(box)
            assigned.append(track)
        return assigned

    def update(self, faces: list[FaceResult]) -> list[FaceResult]:
        """The same faces with their track ids and smoothed probabilities filled in."""
        tracked = []
        for track, face in zip(self.assign([face.box for face in faces]), faces, strict=True):
            track.history.append(np.asarray(face.probabilities, dtype=np.float32))
            tracked.append(face.tracked(track.id, track.smoothed()))
        return tracked

"""Per-socket running totals of a live stream, turned into a LiveSession record when it stops.

Pure Python (no database, no Keras): the consumer feeds it every analysed frame.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from ml.emotions import EMOTIONS

MAX_TIMELINE_POINTS = 300


@dataclass
class LiveStats:
    model: str
    started_at: datetime = field(default_factory=timezone.now)
    started: float = field(default_factory=time.monotonic)
    frames_received: int = 0
    frames_analysed: int = 0
    frames_dropped: int = 0
    face_ids: set[int] = field(default_factory=set)
    detections: int = 0
    emotion_counts: Counter = field(default_factory=Counter)
    seconds: dict[int, Counter] = field(default_factory=dict)  # second from start -> emotion counts
    latencies_ms: list[float] = field(default_factory=list)

    def add_frame(self, faces: list[dict], latency_ms: float) -> None:
        """`faces` as sent to the page (id, emotion = smoothed top emotion)."""
        self.frames_analysed += 1
        self.latencies_ms.append(latency_ms)
        second = int(time.monotonic() - self.started)
        bucket = self.seconds.setdefault(second, Counter())
        for face in faces:
            self.face_ids.add(face["id"])
            self.detections += 1
            self.emotion_counts[face["emotion"]] += 1
            bucket[face["emotion"]] += 1

    def timeline(self) -> list[dict]:
        """Emotion shares per time step; steps widen so a long session keeps at most 300 points."""
        if not self.seconds:
            return []
        span = max(self.seconds) + 1
        step = max(1, -(-span // MAX_TIMELINE_POINTS))
        merged: dict[int, Counter] = {}
        for second, counts in self.seconds.items():
            merged.setdefault(second // step * step, Counter()).update(counts)
        points = []
        for t in sorted(merged):
            counts = merged[t]
            n = sum(counts.values())
            points.append({"t": t, "n": n, "shares": {e: round(counts[e] / n, 4) if n else 0.0 for e in EMOTIONS}})
        return points

    def summary(self) -> dict:
        latency = sum(self.latencies_ms) / len(self.latencies_ms) if self.latencies_ms else None
        return {
            "model_name": self.model,
            "started_at": self.started_at,
            "ended_at": timezone.now(),
            "duration_s": round(time.monotonic() - self.started, 2),
            "frames_received": self.frames_received,
            "frames_analysed": self.frames_analysed,
            "frames_dropped": self.frames_dropped,
            "faces_seen": len(self.face_ids),
            "face_detections": self.detections,
            "top_emotion": self.emotion_counts.most_common(1)[0][0] if self.emotion_counts else "",
            "emotion_counts": dict(self.emotion_counts),
            "timeline": self.timeline(),
            "mean_latency_ms": round(latency, 1) if latency is not None else None,
        }

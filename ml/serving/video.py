"""Every face of a video file over time: sampled frames -> detection -> batched classification ->
tracks, with progress reports and a cancel check.

The pieces are the photo pipeline's (`ml.serving.detection`, `ml.faces` framing, the registry's
classifier) and the live tracker (`ml.serving.tracking.FaceTracker`). What is particular to files:

- Frames are decoded in a background thread (`ml.serving.video_files.iter_samples`) while the
  previous one is searched for faces: FFmpeg and OpenCV release the GIL, so the two overlap.
- Detection, for detectors whose cost grows with the image (Haar, MTCNN): the whole frame is
  searched at the first sample, then again every `full_detection_s` seconds of video and on the
  sample after a track was missed; on the samples in between each known face is searched for only
  in a square region twice its size around where it should be, scaled to `REGION_SIDE` pixels.
  With Haar a search there costs a tenth of a full-frame one (10 ms against 128 ms on a 640x480
  frame), so a one-face clip costs about half as much as searching every frame; the price is
  that a face entering the picture is found up to `full_detection_s` later. BlazeFace scales
  whatever it is given to the same fixed input, so a region costs as much as the whole frame: it
  searches every frame whole, as does `full_detection_s=0`.
- Tracks are kept when seen in at least MIN_TRACK_FRAMES samples with at least one detection
  scoring CONFIRM_SCORE: a detector's false hits are weak (BlazeFace follows a "face" on the test
  astronaut's suit for a few samples at 0.6-0.7), and real faces are detected confidently at least
  once.
- Tracks are assigned from the boxes alone (`FaceTracker.assign`), so faces of many frames wait
  and are classified together, `batch_faces` at a time.
- Each sample keeps its own probabilities (no smoothing): the stored timeline is what the model
  said about that frame, and its label is their argmax.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from ml.emotions import EMOTIONS
from ml.faces import Box, crop_faces
from ml.serving.detection import DEFAULT_DETECTOR, FaceDetector, get_detector
from ml.serving.images import rgb_to_gray
from ml.serving.registry import DEFAULT_MODEL, get_classifier
from ml.serving.tracking import FaceTracker, Track
from ml.serving.video_files import (
    DEFAULT_MAX_DURATION_S,
    Sample,
    Source,
    VideoInfo,
    iter_samples,
    probe_video,
)

DEFAULT_SAMPLE_FPS = 5.0
MIN_SAMPLE_FPS, MAX_SAMPLE_FPS = 1.0, 30.0
FULL_DETECTION_S = 1.0
REGION_SCALE = 2.0  # the region searched around a known face, as a multiple of its side
REGION_SIDE = 128  # pixels of that region's longer side once scaled (a face then spans about 64: Haar's best)
BATCH_FACES = 64
REPORT_EVERY_S = 0.5
TRACK_MEMORY_S = 1.0  # a track unseen this long ends (the tracker counts it in samples)
# Between samples a walking face moves a good part of its width (more when a sample missed it), so boxes are linked
# from a lower overlap than the live tracker's, where frames are closer together.
TRACK_IOU = 0.15
MIN_TRACK_FRAMES = 3
CONFIRM_SCORE = 0.8
# Detectors whose cost grows with the pixels searched: regional searches pay off only for them.
REGIONAL_DETECTORS = frozenset({"haar", "mtcnn"})


class VideoCancelled(Exception):
    """The caller's cancel check said stop; nothing of the partial analysis is returned."""


@dataclass
class VideoTrack:
    id: int
    times: list[float] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    probabilities: list[np.ndarray] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return len(self.times)

    def emotions(self) -> list[str]:
        return [EMOTIONS[int(np.argmax(p))] for p in self.probabilities]

    def summary(self) -> dict:
        """Share of the track's samples per top emotion, mean probabilities, first and last time."""
        probabilities = np.stack(self.probabilities)
        counts = np.bincount(np.argmax(probabilities, axis=1), minlength=len(EMOTIONS))
        shares = counts / counts.sum()
        mean = probabilities.mean(axis=0)
        return {
            "frames": self.frames,
            "first_t": self.times[0],
            "last_t": self.times[-1],
            "emotion": EMOTIONS[int(np.argmax(counts))],
            "shares": {e: round(float(s), 4) for e, s in zip(EMOTIONS, shares, strict=True)},
            "mean_probabilities": {e: round(float(p), 4) for e, p in zip(EMOTIONS, mean, strict=True)},
        }


@dataclass
class VideoResult:
    info: VideoInfo
    sample_fps: float
    model: str
    detector: str
    frames_analysed: int
    tracks: list[VideoTrack]
    timings_ms: dict[str, float]
    searches: dict[str, int]  # whole-frame and regional detector calls


@dataclass
class _Pending:
    sample: int
    t: float
    boxes: list[Box]
    track_ids: list[int]
    crops: np.ndarray


def _prefetched(samples: Iterator[Sample], size: int = 4) -> Iterator[Sample]:
    """The same samples, decoded ahead in a background thread (errors are raised here, in order)."""
    slots: queue.Queue = queue.Queue(maxsize=size)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for sample in samples:
                while not stop.is_set():
                    try:
                        slots.put(sample, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(done)
        except BaseException as exc:  # handed to the consumer
            slots.put(exc)

    thread = threading.Thread(target=produce, name="video-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = slots.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue, then let it finish
            try:
                slots.get(timeout=0.05)
            except queue.Empty:
                pass
        thread.join()


def _region(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    side = max(box.w, box.h) * REGION_SCALE
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    x0, y0 = max(0, int(cx - side / 2)), max(0, int(cy - side / 2))
    x1, y1 = min(width, int(cx + side / 2)), min(height, int(cy + side / 2))
    return x0, y0, x1, y1


def _search_near(detector: FaceDetector, rgb: np.ndarray, track: Track) -> Box | None:
    """The face in the region around where `track` should be that overlaps that box most, in frame coordinates."""
    height, width = rgb.shape[:2]
    expected = track.predicted()
    x0, y0, x1, y1 = _region(expected, width, height)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    factor = REGION_SIDE / max(x1 - x0, y1 - y0)
    region = rgb[y0:y1, x0:x1]
    size = (max(1, round((x1 - x0) * factor)), max(1, round((y1 - y0) * factor)))
    region = cv2.resize(region, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
    found = [
        Box(x0 + round(b.x / factor), y0 + round(b.y / factor), round(b.w / factor), round(b.h / factor), b.score)
        for b in detector.detect(region)
    ]
    best = max(found, key=expected.iou, default=None)
    return best if best is not None and expected.iou(best) > 0 else None


def _drop_duplicates(boxes: list[Box], threshold: float = 0.5) -> list[Box]:
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: b.score, reverse=True):
        if all(box.iou(k) < threshold for k in kept):
            kept.append(box)
    return kept


class _Detection:
    """Whole-frame searches now and then, regional searches around known faces in between."""

    def __init__(self, detector: FaceDetector, tracker: FaceTracker, full_detection_s: float):
        self.detector, self.tracker, self.full_detection_s = detector, tracker, full_detection_s
        self.last_full: float | None = None
        self.full_searches = self.region_searches = 0

    def boxes(self, sample: Sample) -> list[Box]:
        lost = any(track.missing for track in self.tracker.tracks)
        due = self.last_full is None or sample.t - self.last_full >= self.full_detection_s - 1e-6
        if due or lost or self.full_detection_s <= 0:
            self.last_full = sample.t if due or self.last_full is None else self.last_full
            self.full_searches += 1
            return self.detector.detect(sample.rgb)
        self.region_searches += len(self.tracker.tracks)
        found = [_search_near(self.detector, sample.rgb, track) for track in self.tracker.tracks]
        return _drop_duplicates([box for box in found if box is not None])


def analyse_video(source: Source, *, info: VideoInfo | None = None, model: str = DEFAULT_MODEL,
                  detector: str = DEFAULT_DETECTOR, sample_fps: float = DEFAULT_SAMPLE_FPS,
                  max_duration_s: float = DEFAULT_MAX_DURATION_S,
                  progress: Callable[[int, int], None] | None = None,
                  should_stop: Callable[[], bool] | None = None,
                  full_detection_s: float = FULL_DETECTION_S, batch_faces: int = BATCH_FACES) -> VideoResult:
    """Every face of the video at `sample_fps` frames per second, linked into tracks.

    `progress(frames_done, frames_expected)` and `should_stop()` are called about every
    REPORT_EVERY_S seconds; when `should_stop()` is true the analysis ends with `VideoCancelled`.
    Raises `VideoDecodeError` for a file that cannot be analysed (see `ml.serving.video_files`),
    `UnknownModelError` or `UnknownDetectorError` for bad names.
    """
    if not MIN_SAMPLE_FPS <= sample_fps <= MAX_SAMPLE_FPS:
        raise ValueError(f"sample_fps must be between {MIN_SAMPLE_FPS:g} and {MAX_SAMPLE_FPS:g}")
    classifier = get_classifier(model)  # before decoding: a wrong name fails fast
    face_detector = get_detector(detector)
    started = time.perf_counter()
    info = info or probe_video(source, max_duration_s=max_duration_s)
    expected = info.expected_samples(sample_fps)
    tracker = FaceTracker(iou_threshold=TRACK_IOU, max_missing=max(2, round(TRACK_MEMORY_S * sample_fps)))
    detection = _Detection(face_detector, tracker, full_detection_s if detector in REGIONAL_DETECTORS else 0.0)
    tracks: dict[int, VideoTrack] = {}
    pending: list[_Pending] = []
    timings = {"detect": 0.0, "classify": 0.0}

    def classify_pending() -> None:
        if not pending:
            return
        t0 = time.perf_counter()
        probabilities = classifier.predict_proba(np.concatenate([p.crops for p in pending]))
        timings["classify"] += time.perf_counter() - t0
        row = 0
        for item in pending:
            for box, track_id in zip(item.boxes, item.track_ids, strict=True):
                track = tracks.setdefault(track_id, VideoTrack(track_id))
                track.times.append(item.t)
                track.boxes.append(box)
                track.probabilities.append(np.asarray(probabilities[row], dtype=np.float32))
                row += 1
        pending.clear()

    done, last_report = 0, time.monotonic()
    for sample in _prefetched(iter_samples(source, sample_fps=sample_fps, info=info, max_duration_s=max_duration_s)):
        t0 = time.perf_counter()
        boxes = detection.boxes(sample)
        assigned = tracker.assign(boxes)
        crops = crop_faces(rgb_to_gray(sample.rgb), boxes)
        timings["detect"] += time.perf_counter() - t0
        if boxes:
            pending.append(_Pending(sample.index, sample.t, boxes, [track.id for track in assigned], crops))
        if sum(len(p.boxes) for p in pending) >= batch_faces:
            classify_pending()
        done += 1
        if time.monotonic() - last_report >= REPORT_EVERY_S:
            last_report = time.monotonic()
            if should_stop is not None and should_stop():
                raise VideoCancelled()
            if progress is not None:
                progress(done, max(expected, done))
    classify_pending()
    timings_ms = {name: round(value * 1000, 1) for name, value in timings.items()}
    timings_ms["total"] = round((time.perf_counter() - started) * 1000, 1)
    searches = {"full": detection.full_searches, "region": detection.region_searches}
    kept = [track for track in sorted(tracks.values(), key=lambda tr: tr.id)
            if track.frames >= min(MIN_TRACK_FRAMES, done) and max(b.score for b in track.boxes) >= CONFIRM_SCORE]
    return VideoResult(info, sample_fps, model, detector, done, kept, timings_ms, searches)

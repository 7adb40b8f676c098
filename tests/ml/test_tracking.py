from __future__ import annotations

import numpy as np

from ml.faces import Box
from ml.serving.pipeline import FaceResult
from ml.serving.tracking import FaceTracker


def probs(top: int, p: float = 0.7) -> np.ndarray:
    v = np.full(7, (1 - p) / 6, dtype=np.float32)
    v[top] = p
    return v


def faces(boxes: list[Box], probabilities: list[np.ndarray]) -> list[FaceResult]:
    return [FaceResult(box, p) for box, p in zip(boxes, probabilities, strict=True)]


def test_ids_follow_overlapping_boxes_and_new_faces_get_new_ids():
    tracker = FaceTracker()
    first = tracker.update(faces([Box(0, 0, 100, 100), Box(300, 0, 100, 100)], [probs(3), probs(0)]))
    # Next frame: both moved a little, listed in the other order, plus a newcomer.
    second = tracker.update(faces([Box(305, 5, 100, 100), Box(5, 5, 100, 100), Box(600, 0, 80, 80)],
                                  [probs(0), probs(3), probs(6)]))
    assert [f.track_id for f in first] == [1, 2]
    assert [f.track_id for f in second] == [2, 1, 3]
    assert second[2].to_dict()["id"] == 3


def test_smoothing_averages_the_window_and_damps_one_odd_frame():
    tracker = FaceTracker(window=5)
    for _ in range(4):
        tracker.update(faces([Box(0, 0, 100, 100)], [probs(3, 0.8)]))
    odd = tracker.update(faces([Box(2, 0, 100, 100)], [probs(4, 0.9)]))[0]
    assert odd.to_dict()["emotion"] == "happy"  # one sad-looking frame does not flip the label
    expected = (4 * probs(3, 0.8) + probs(4, 0.9)) / 5
    assert np.allclose(odd.smoothed, expected, atol=1e-6)
    assert abs(sum(odd.to_dict()["smoothed"].values()) - 1) < 1e-3


def test_tracks_end_after_missing_frames():
    tracker = FaceTracker(max_missing=2)
    tracker.update(faces([Box(0, 0, 100, 100)], [probs(3)]))
    for _ in range(3):
        tracker.update([])
    again = tracker.update(faces([Box(0, 0, 100, 100)], [probs(3)]))
    assert again[0].track_id == 2


def test_a_moving_face_missed_for_two_frames_keeps_its_id():
    # 20 px a frame to the right: after two misses the last box and the new one barely overlap (IoU < 0.3),
    # but where the track's velocity says it should be, they do.
    tracker = FaceTracker()
    ids = [tracker.update(faces([Box(20 * i, 0, 60, 60)], [probs(3)]))[0].track_id for i in range(3)]
    tracker.update([])
    tracker.update([])
    later = Box(20 * 5, 0, 60, 60)
    assert later.iou(Box(40, 0, 60, 60)) < 0.3
    assert ids == [1, 1, 1]
    assert tracker.update(faces([later], [probs(3)]))[0].track_id == 1

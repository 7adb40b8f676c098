"""The one definition of a face: framing per detector, eye-line alignment, normalisation."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from ml import faces
from ml.faces import Box, Framing, crop_face, eye_line_angle, faces_to_input, framing_for
from ml.input_spec import InputSpec


def test_framing_scales_and_moves_the_box():
    gray = np.zeros((200, 200), dtype=np.uint8)
    gray[60:100, 80:120] = 255  # a bright 40x40 square
    box = Box(70, 50, 60, 60)  # centred on (100, 80); the square's centre is (100, 80) too
    tight = crop_face(gray, box, Framing(scale=40 / 60), size=40)
    assert tight.min() == 255  # exactly the square
    moved = crop_face(gray, box, Framing(scale=40 / 60, dx=0.5), size=40)  # 30 px to the right
    assert moved[:, :10].min() == 255 and moved[:, -10:].max() == 0


def test_parts_outside_the_photo_are_edge_replicated():
    gray = np.full((50, 50), 90, dtype=np.uint8)
    crop = crop_face(gray, Box(30, 30, 40, 40), Framing(scale=2.0))
    assert crop.shape == (48, 48) and (crop == 90).all()


def _eyes(angle: float) -> tuple[np.ndarray, Box]:
    """A photo with two dark eyes on a level line, turned by `angle` degrees, and its box with landmarks."""
    gray = np.full((240, 240), 200, dtype=np.uint8)
    cv2.circle(gray, (90, 100), 8, 0, -1)
    cv2.circle(gray, (150, 100), 8, 0, -1)
    turn = cv2.getRotationMatrix2D((120, 120), angle, 1.0)
    gray = cv2.warpAffine(gray, turn, (240, 240), borderMode=cv2.BORDER_REPLICATE)
    right, left = (turn @ np.array([90, 100, 1.0])), (turn @ np.array([150, 100, 1.0]))
    box = Box(60, 60, 120, 120, landmarks=(tuple(right), tuple(left), (120.0, 130.0), (105.0, 150.0), (135.0, 150.0)))
    return gray, box


def _eye_rows(crop: np.ndarray) -> tuple[float, float]:
    dark = crop < 100
    cols = np.arange(crop.shape[1])
    left_half, right_half = dark[:, cols < 24], dark[:, cols >= 24]
    rows = np.arange(crop.shape[0])[:, None]
    return float((rows * left_half).sum() / left_half.sum()), float((rows * right_half).sum() / right_half.sum())


def test_alignment_levels_a_turned_eye_line():
    gray, box = _eyes(25.0)
    assert eye_line_angle(box) == pytest.approx(-25.0, abs=0.5)
    plain = _eye_rows(crop_face(gray, box, Framing(scale=1.0)))
    aligned = _eye_rows(crop_face(gray, box, Framing(scale=1.0, align=True)))
    assert abs(plain[0] - plain[1]) > 8  # the turn shows in the plain crop
    assert abs(aligned[0] - aligned[1]) < 1.5  # and is gone from the aligned one


def test_alignment_without_landmarks_changes_nothing():
    gray, box = _eyes(25.0)
    bare = Box(box.x, box.y, box.w, box.h)
    assert np.array_equal(crop_face(gray, bare, Framing(scale=1.0, align=True)), crop_face(gray, bare, Framing(1.0)))


def test_fitted_framings_are_read_from_the_file(tmp_path, monkeypatch):
    path = tmp_path / "framings.json"
    path.write_text(json.dumps({"detectors": {"haar": {"scale": 1.05, "dx": 0.0, "dy": -0.02, "align": False,
                                                        "faces": 10}}}))
    monkeypatch.setattr(faces, "FRAMINGS_FILE", path)
    faces.reload_framings()
    try:
        assert framing_for("haar") == Framing(1.05, 0.0, -0.02, False)
        assert framing_for("unheard-of") == faces.DEFAULT_FRAMING
    finally:
        monkeypatch.undo()
        faces.reload_framings()


def test_model_input_is_equalised_as_the_training_faces_were():
    rng = np.random.default_rng(0)
    dim = (rng.integers(40, 90, size=(2, 48, 48))).astype(np.uint8)  # a dark, low-contrast face
    batch = faces_to_input(dim, InputSpec())
    assert batch.shape == (2, 48, 48, 1) and batch.max() == 255 and batch.min() == 0
    assert np.array_equal(faces_to_input(dim, InputSpec(normalisation="none"))[..., 0], dim.astype(np.float32))

"""The robustness table's perturbations change faces as specified."""

from __future__ import annotations

import numpy as np
import pytest

from ml.training.perturbations import PERTURBATIONS, perturb


@pytest.fixture
def textured() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(3, 48, 48), dtype=np.uint8)


def test_names_in_table_order():
    assert list(PERTURBATIONS) == ["flip", "brightness70", "blur1", "jpeg30"]


def test_flip_mirrors_left_and_right(textured):
    out = perturb(textured, "flip")
    assert out[1, 5, 0] == textured[1, 5, 47] and out[2, 40, 47] == textured[2, 40, 0]
    assert np.array_equal(perturb(out, "flip"), textured)


def test_brightness_is_seventy_percent():
    faces = np.zeros((1, 48, 48), dtype=np.uint8)
    faces[0, 0, :4] = [0, 10, 100, 200]
    out = perturb(faces, "brightness70")
    assert out.dtype == np.uint8
    assert out[0, 0, :4].tolist() == [0, 7, 70, 140]


def test_blur_spreads_an_impulse_as_a_unit_gaussian():
    faces = np.zeros((1, 48, 48), dtype=np.uint8)
    faces[0, 24, 24] = 255
    out = perturb(faces, "blur1").astype(float)
    # The centre of a 2-D Gaussian with sigma 1 holds 1 / (2 pi) of the mass; one step away e^-0.5 of that.
    assert out[0, 24, 24] == pytest.approx(255 / (2 * np.pi), abs=1.0)
    assert out[0, 24, 25] == pytest.approx(255 / (2 * np.pi) * np.exp(-0.5), abs=1.0)
    assert out.sum() == pytest.approx(255, abs=8)  # rounding of each pixel only
    flat = np.full((1, 48, 48), 90, dtype=np.uint8)
    assert np.array_equal(perturb(flat, "blur1"), flat)


def test_jpeg_thirty_is_lossy_but_close(textured):
    smooth = np.tile(np.linspace(0, 255, 48).astype(np.uint8), (2, 48, 1))
    for faces in (textured, smooth):
        out = perturb(faces, "jpeg30")
        assert out.shape == faces.shape and out.dtype == np.uint8
        assert not np.array_equal(out, faces)
    # A smooth ramp survives quality 30 within a few grey levels; noise does not.
    assert np.abs(perturb(smooth, "jpeg30").astype(int) - smooth).mean() < 4
    assert np.abs(perturb(textured, "jpeg30").astype(int) - textured).mean() > 20


def test_bad_input_is_refused(textured):
    with pytest.raises(ValueError, match="unknown perturbation 'rain'"):
        perturb(textured, "rain")
    with pytest.raises(ValueError, match="uint8"):
        perturb(textured.astype(np.float32), "flip")

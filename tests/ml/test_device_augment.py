from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml.model_card import ModelCard
from ml.serving.classifiers import KerasClassifier
from ml.train import main as train_main
from ml.training.augmentation import AugmentConfig
from ml.training.datasets import Dataset
from ml.training.device_augment import DeviceAugment
from ml.training.loop import TrainConfig, train
from tests.ml.conftest import synthetic_faces


def faces_nhwc(n: int = 8) -> np.ndarray:
    return synthetic_faces(2)[0][:n].astype("float32")[..., None]


def test_identity_outside_training():
    x = faces_nhwc()
    assert np.array_equal(np.asarray(DeviceAugment(seed=1)(x, training=False)), x)


def test_training_calls_change_faces_differently_each_time_and_stay_in_range():
    x = faces_nhwc()
    layer = DeviceAugment(seed=1)
    first, second = np.asarray(layer(x, training=True)), np.asarray(layer(x, training=True))
    assert first.shape == x.shape
    assert not np.allclose(first, x) and not np.allclose(first, second)
    assert first.min() >= 0.0 and first.max() <= 256.0


def test_flip_alone_mirrors_faces():
    x = faces_nhwc()
    still = AugmentConfig(max_shift=0.0, max_rotation=0.0, scale_range=(1.0, 1.0), flip=True, erase_probability=0.0)
    out = np.asarray(DeviceAugment(still, seed=4)(x, training=True))
    for face, result in zip(x, out, strict=True):
        assert np.allclose(result, face, atol=1e-3) or np.allclose(result, face[:, ::-1], atol=1e-3)
    assert any(not np.allclose(r, f, atol=1e-3) for f, r in zip(x, out, strict=True))  # some were flipped


def test_on_device_run_writes_the_plain_model(tmp_path: Path, faces):
    x, y = synthetic_faces(1)
    cfg = TrainConfig(arch="fast", epochs=1, batch_size=16, val_fraction=0.25, checkpoints=False,
                      augment_on_device=True)
    card = train(cfg, Dataset(x, y), tmp_path / "m", data_source="synthetic")
    assert card.training["recipe"]["augment_on_device"] is True
    probs = KerasClassifier(tmp_path / "m").predict_proba(faces[0][:3])
    assert probs.shape == (3, 7)
    assert ModelCard.load(tmp_path / "m").arch == "fast"


def test_on_device_augmentation_needs_checkpoints_off(tmp_path: Path, capsys):
    with pytest.raises(ValueError, match="no-checkpoints"):
        TrainConfig(arch="fast", augment_on_device=True)
    data = tmp_path / "d.npz"
    x, y = synthetic_faces(1)
    np.savez(data, x=x, y=y)
    assert train_main(["--arch", "fast", "--data", str(data), "--out", str(tmp_path / "m"), "--augment-on-device"]) == 2
    assert "no-checkpoints" in capsys.readouterr().err


def test_device_equalisation_matches_opencv():
    import cv2

    from ml.training.device_augment import equalize

    rng = np.random.default_rng(3)
    faces = rng.integers(30, 120, size=(6, 48, 48)).astype(np.uint8)
    expected = np.stack([cv2.equalizeHist(f) for f in faces]).astype(np.float32)
    got = np.asarray(equalize(faces.astype("float32")[..., None]))[..., 0]
    assert np.abs(got - expected).max() <= 1.0


def test_device_blur_matches_opencv_away_from_the_edges():
    import cv2

    from ml.training.device_augment import gaussian_blur

    face = np.random.default_rng(4).integers(0, 256, size=(48, 48)).astype(np.float32)
    expected = cv2.GaussianBlur(face, (7, 7), 1.0, borderType=cv2.BORDER_REPLICATE)
    got = np.asarray(gaussian_blur(face[None, ..., None], 1.0))[0, ..., 0]
    assert np.abs(got - expected).max() < 1.0


@pytest.mark.parametrize("damage", ["contrast", "blur", "noise"])
def test_device_damage_changes_faces_only_when_asked(damage):
    from dataclasses import replace

    x = faces_nhwc()
    still = AugmentConfig(max_shift=0.0, max_rotation=0.0, scale_range=(1.0, 1.0), flip=False, erase_probability=0.0)
    assert np.allclose(np.asarray(DeviceAugment(still, seed=2)(x, training=True)), x, atol=1e-3)
    out = np.asarray(DeviceAugment(replace(still, **{f"{damage}_probability": 1.0}), seed=2)(x, training=True))
    assert out.min() >= 0.0 and out.max() <= 255.0
    assert np.abs(out - x).mean() > 1.0

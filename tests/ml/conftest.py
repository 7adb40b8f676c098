"""Fixtures for the ml tests: tiny FER2013-like data made here, and real photos from scikit-image."""

from __future__ import annotations

import csv
import gzip
import io
import lzma
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml.emotions import EMOTIONS

ROWS_PER_CLASS = 6


def synthetic_faces(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A few dozen 48x48 grey images; each class has its own brightness pattern plus noise."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for label in range(len(EMOTIONS)):
        base = np.zeros((48, 48), dtype=np.float32)
        base[:, label * 6 : label * 6 + 12] = 200
        for _ in range(ROWS_PER_CLASS):
            xs.append(np.clip(base + rng.normal(40, 20, (48, 48)), 0, 255).astype(np.uint8))
            ys.append(label)
    return np.stack(xs), np.array(ys, dtype=np.uint8)


def write_csv(path: Path, x: np.ndarray, y: np.ndarray, usages: list[str] | None = None) -> Path:
    opener = {".gz": gzip.open, ".xz": lzma.open}.get(path.suffix, open)
    with opener(path, "wt", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["emotion", "pixels", "Usage"])
        for i, (face, label) in enumerate(zip(x, y, strict=True)):
            usage = usages[i] if usages else "Training"
            writer.writerow([int(label), " ".join(map(str, face.ravel())), usage])
    return path


def write_folder(root: Path, split: str, x: np.ndarray, y: np.ndarray) -> Path:
    for i, (face, label) in enumerate(zip(x, y, strict=True)):
        folder = root / split / EMOTIONS[label]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(face).save(folder / f"{i}.png")
    return root


@pytest.fixture(scope="session")
def faces() -> tuple[np.ndarray, np.ndarray]:
    return synthetic_faces()


@pytest.fixture
def fer_csv(tmp_path: Path, faces) -> Path:
    x, y = faces
    usages = ["Training" if i % 3 else "PublicTest" for i in range(len(y))]
    return write_csv(tmp_path / "fer.csv", x, y, usages)


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory) -> Path:
    """A model directory produced by a 2-epoch training run on synthetic data."""
    from ml.training.datasets import Dataset
    from ml.training.loop import TrainConfig, train

    x, y = synthetic_faces(1)
    out = tmp_path_factory.mktemp("models") / "tiny"
    train(TrainConfig(arch="fast", epochs=2, batch_size=16, val_fraction=0.25), Dataset(x, y), out,
          data_source="synthetic", name="tiny")
    return out


@pytest.fixture
def tiny_models(trained_model_dir: Path, monkeypatch) -> str:
    """Make the trained tiny model available to the registry as `tiny`."""
    monkeypatch.setenv("FER_MODELS_DIR", str(trained_model_dir.parent))
    return "tiny"


def write_ensemble_record(models: Path, name: str, members: list[str], **fields) -> None:
    """A validated, offered ensemble record, as ml.calibrate writes it, in `models`/ensembles.json (`fields`
    override); the members are found by the registry."""
    import json

    from ml.model_card import ModelCard
    from ml.serving import registry
    from ml.serving.ensembles import member_fingerprint

    cards = {m: ModelCard.load(registry.model_dirs()[m]) for m in members}
    record = {"members": members, "weights": {m: 1 / len(members) for m in members},
              "member_fingerprints": {m: member_fingerprint(c) for m, c in cards.items()},
              "offered": True, "reason": "written by a test"} | fields
    path = models / "ensembles.json"
    stored = json.loads(path.read_text()) if path.is_file() else {}
    stored[name] = record
    path.write_text(json.dumps(stored))


def encode(image: np.ndarray | Image.Image, fmt: str = "JPEG", **params) -> bytes:
    pil = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buffer = io.BytesIO()
    pil.save(buffer, format=fmt, **params)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()

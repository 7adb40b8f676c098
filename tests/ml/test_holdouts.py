"""A run continued on another copy of the same faces keeps its parent's hold-out (ml.training.holdouts)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ml.train import main as train_main
from ml.training import holdouts
from ml.training.datasets import Dataset, DatasetError, split_validation
from tests.ml.conftest import write_csv


def _shuffled_copy(faces, tmp_path: Path) -> tuple[Path, Path]:
    """The faces as a CSV in one order and as an .npz in another (as the shared FER2013 files are)."""
    x, y = faces
    csv = write_csv(tmp_path / "fer.csv", x, y)
    order = np.random.default_rng(7).permutation(len(y))
    npz = tmp_path / "arrays.npz"
    np.savez(npz, x=x[order], y=y[order])
    return csv, npz


def _keys(data: Dataset) -> set[bytes]:
    return set(holdouts.face_keys(data.x))


def test_a_continued_run_holds_out_exactly_its_parents_faces(faces, tmp_path: Path):
    csv, npz = _shuffled_copy(faces, tmp_path)
    parent = holdouts.training_rows(npz)
    _, parent_val = split_validation(parent, 0.25, seed=3)
    rows = holdouts.training_rows(csv)
    train, val = holdouts.split(rows, {"val_fraction": 0.25, "seed": 3, "holdout_data": "arrays.npz"}, csv)
    assert _keys(val) == _keys(parent_val) and not _keys(train) & _keys(val)
    assert len(train) + len(val) == len(rows)
    # Its own split of the CSV would have held out other faces: the point of recording the parent's file.
    _, own_val = split_validation(rows, 0.25, seed=3)
    assert _keys(own_val) != _keys(parent_val)


def test_without_a_parent_file_the_split_is_the_datas_own(faces, tmp_path: Path):
    csv, _ = _shuffled_copy(faces, tmp_path)
    rows = holdouts.training_rows(csv)
    _, val = holdouts.split(rows, {"val_fraction": 0.25, "seed": 3, "holdout_data": "fer.csv"}, csv)
    assert _keys(val) == _keys(split_validation(rows, 0.25, seed=3)[1])


def test_a_missing_parent_file_or_other_faces_are_errors(faces, tmp_path: Path):
    csv, _ = _shuffled_copy(faces, tmp_path)
    rows = holdouts.training_rows(csv)
    with pytest.raises(DatasetError, match="elsewhere.npz"):
        holdouts.split(rows, {"val_fraction": 0.25, "seed": 0, "holdout_data": "elsewhere.npz"}, csv)
    strangers = Dataset(255 - rows.x, rows.y)
    with pytest.raises(DatasetError, match="not copies of the same faces"):
        holdouts.split_like(strangers, rows, 0.25, 0)


def test_train_refuses_to_validate_on_faces_the_starting_weights_saw(trained_model_dir: Path, faces,
                                                                     tmp_path: Path, capsys):
    csv, npz = _shuffled_copy(faces, tmp_path)
    parent = tmp_path / "parent"
    shutil.copytree(trained_model_dir, parent)
    card = json.loads((parent / "card.json").read_text())
    card["calibration"] = {"data_file": "arrays.npz"}  # trained (and calibrated) on the .npz's order
    (parent / "card.json").write_text(json.dumps(card))
    common = ["--arch", "fast", "--init-weights", str(parent), "--data", str(csv), "--epochs", "1",
              "--val-fraction", "0.25", "--batch-size", "16", "--no-progress-bar"]
    assert train_main([*common, "--out", str(tmp_path / "refused")]) == 2
    assert "--holdout-data" in capsys.readouterr().err and not (tmp_path / "refused").exists()

    assert train_main([*common, "--holdout-data", str(npz), "--out", str(tmp_path / "run")]) == 0
    run = json.loads((tmp_path / "run" / "card.json").read_text())
    assert run["training"]["recipe"]["holdout_data"] == str(npz)
    _, expected = split_validation(holdouts.training_rows(npz), 0.25, seed=0)
    assert run["training"]["validation_faces"] == len(expected)

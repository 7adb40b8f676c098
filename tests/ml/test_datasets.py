from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml.training.datasets import DatasetError, load, load_csv, load_folder, split_validation
from tests.ml.conftest import write_csv, write_folder


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".csv.xz"])
def test_csv_round_trip_in_every_compression(tmp_path: Path, faces, suffix: str):
    x, y = faces
    path = write_csv(tmp_path / f"fer{suffix}", x, y)
    data = load(path)
    assert np.array_equal(data.x, x)
    assert np.array_equal(data.y, y)


def test_csv_selects_rows_by_usage(fer_csv: Path, faces):
    x, y = faces
    test_rows = [i for i in range(len(y)) if i % 3 == 0]
    data = load_csv(fer_csv, usage="PublicTest")
    assert np.array_equal(data.x, x[test_rows])
    assert len(load_csv(fer_csv, usage="Training")) == len(y) - len(test_rows)


def _bad_csv(tmp_path: Path, row: str) -> Path:
    good = "0," + " ".join(["1"] * 2304) + ",Training"
    path = tmp_path / "bad.csv"
    path.write_text(f"emotion,pixels,Usage\n{good}\n{good}\n{row}\n")
    return path


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("3," + " ".join(["1"] * 100) + ",Training", "expected 2304 pixel values, got 100"),
        ("x," + " ".join(["1"] * 2304) + ",Training", "is not an integer"),
        ("9," + " ".join(["1"] * 2304) + ",Training", "outside 0-6"),
        ("3," + " ".join(["300"] * 2304) + ",Training", "0-255"),
        ("3," + " ".join(["a"] * 2304) + ",Training", "pixels must be integers"),
        ("3,1 2", "expected 3 fields"),
    ],
)
def test_malformed_rows_name_their_line(tmp_path: Path, row: str, message: str):
    with pytest.raises(DatasetError, match=rf"bad\.csv: line 4: .*{message}"):
        load_csv(_bad_csv(tmp_path, row))


def test_missing_header_and_missing_file(tmp_path: Path):
    path = tmp_path / "noheader.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DatasetError, match="line 1"):
        load_csv(path)
    with pytest.raises(DatasetError, match="no such file"):
        load_csv(tmp_path / "absent.csv")


def test_unknown_usage_gives_clear_error(fer_csv: Path):
    with pytest.raises(DatasetError, match="no rows with Usage 'PrivateTest'"):
        load_csv(fer_csv, usage="PrivateTest")


def test_folder_layout(tmp_path: Path, faces):
    x, y = faces
    write_folder(tmp_path, "train", x, y)
    data = load_folder(tmp_path, "train")
    assert sorted(data.y.tolist()) == sorted(y.tolist())
    assert data.x.shape == x.shape
    assert load(tmp_path, "train").x.shape == x.shape


def test_folder_without_emotion_dirs(tmp_path: Path):
    (tmp_path / "train").mkdir()
    with pytest.raises(DatasetError, match="no images"):
        load_folder(tmp_path, "train")


def test_validation_split_is_stratified_and_disjoint(faces):
    from ml.training.datasets import Dataset

    x, y = faces
    x = x.copy()
    x[:, 0, 0] = np.arange(len(y))  # tag each face so overlap would show
    train, val = split_validation(Dataset(x, y), 0.5, seed=3)
    assert len(train) + len(val) == len(y)
    assert not set(train.x[:, 0, 0]) & set(val.x[:, 0, 0])
    assert val.class_counts() == [3] * 7

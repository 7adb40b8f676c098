"""Which faces a training run held out for validation: one rule for training, calibration, soups and exports.

By default a run holds out a stratified `val_fraction` of its own training data (`split_validation`, the
recipe's `seed`). A run continued from another model's weights on a differently ordered copy of the same faces
(the CSV's rows against the .npz's) must keep its parent's hold-out, or it trains on faces its parent never
saw and validates on faces its parent trained on. Such a run records `holdout_data`: the name of the file
whose split held the faces out, looked for beside the data file; the faces are matched by their pixels.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from ml.training.datasets import Dataset, DatasetError, load, split_validation


def face_keys(faces: np.ndarray) -> list[bytes]:
    """A key per face from its pixels: the same face in any file or order has the same key."""
    return [hashlib.blake2b(face.tobytes(), digest_size=16).digest() for face in faces]


def training_rows(path: str | Path) -> Dataset:
    """FER2013 Training rows of a file: the CSV's Training usage, or the whole .npz (it holds only those)."""
    return load(path, None if ".npz" in Path(path).suffixes else "Training")


def split_like(data: Dataset, parent: Dataset, fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """(train, validation) of `data` where validation is every face that `parent`'s split held out."""
    _, parent_val = split_validation(parent, fraction, seed)
    held = set(face_keys(parent_val.x))
    in_val = np.fromiter((key in held for key in face_keys(data.x)), dtype=bool, count=len(data))
    if not in_val.any():
        raise DatasetError("none of the held-out faces are in the training data: not copies of the same faces")
    return data.subset(np.flatnonzero(~in_val)), data.subset(np.flatnonzero(in_val))


def split_run(data: Dataset, fraction: float, seed: int, holdout_data: str | Path | None) -> tuple[Dataset, Dataset]:
    """(train, validation) of `data` for a run: its own stratified split, or `holdout_data`'s faces held out."""
    if holdout_data is None:
        return split_validation(data, fraction, seed)
    return split_like(data, training_rows(holdout_data), fraction, seed)


def split(data: Dataset, recipe: dict[str, Any], data_path: str | Path) -> tuple[Dataset, Dataset]:
    """(train, validation) of `data` (read from `data_path`) as the run with this `recipe` split it."""
    parent_path = None
    if recipe.get("holdout_data") and Path(recipe["holdout_data"]).name != Path(data_path).name:
        parent_path = Path(data_path).parent / Path(recipe["holdout_data"]).name
        if not parent_path.is_file():
            raise DatasetError(f"the hold-out comes from {parent_path.name}, expected beside {data_path}: "
                               f"{parent_path} is missing")
    return split_run(data, float(recipe.get("val_fraction", 0.1)), int(recipe.get("seed", 0)), parent_path)


def holdout_file_of(card_training: dict[str, Any], calibration: dict[str, Any]) -> str | None:
    """Name of the file whose split held out a model's validation faces, when its card says (else None)."""
    recipe = card_training.get("recipe", {})
    return Path(recipe["holdout_data"]).name if recipe.get("holdout_data") else calibration.get("data_file")

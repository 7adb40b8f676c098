"""Loaders for FER2013 in its two common layouts, plus the compact array file.

- Kaggle CSV: header `emotion,pixels,Usage`, 2304 space-separated grey levels per row; plain,
  `.gz` or `.xz` (and `.bz2`), selected by Usage.
- Image folders: `<root>/<split>/<emotion>/*.jpg|png`.
- Arrays: `.npz` (optionally `.xz`) with `x` uint8 (N, 48, 48) and `y` uint8 (N,).

Every loader returns `(x, y)`: uint8 arrays of shape (N, 48, 48) and (N,).
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from ml.emotions import EMOTIONS, NUM_CLASSES

FACE_SIZE = 48
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


class DatasetError(ValueError):
    """A data file that cannot be read as FER2013; the message names the file and line."""


@dataclass(frozen=True)
class Dataset:
    x: np.ndarray  # uint8 (N, 48, 48)
    y: np.ndarray  # uint8 (N,)
    votes: np.ndarray | None = None  # float32 (N, 7): FER+ votes per emotion (ml.training.labels), when known

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, index: np.ndarray) -> Dataset:
        return Dataset(self.x[index], self.y[index], None if self.votes is None else self.votes[index])

    def with_votes(self, votes: np.ndarray) -> Dataset:
        if len(votes) != len(self):
            raise DatasetError(f"{len(votes)} rows of FER+ votes for {len(self)} faces: not the same rows")
        return Dataset(self.x, self.y, votes)

    def class_counts(self) -> list[int]:
        return np.bincount(self.y, minlength=NUM_CLASSES).tolist()


def _open_text(path: Path) -> IO[str]:
    opener = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}.get(path.suffix, open)
    return opener(path, "rt", newline="")  # type: ignore[operator]


def _iter_csv_rows(path: Path, usage: str | None) -> Iterator[tuple[int, int, str]]:
    """Yield (line number, label, pixels) for rows of the wanted usage, validating as it goes."""
    with _open_text(path) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise DatasetError(f"{path}: the file is empty")
        columns = [name.strip().lower() for name in header]
        try:
            i_emotion, i_pixels = columns.index("emotion"), columns.index("pixels")
        except ValueError:
            raise DatasetError(
                f"{path}: line 1: expected a header with 'emotion' and 'pixels' columns, "
                f"got {header!r}"
            ) from None
        i_usage = columns.index("usage") if "usage" in columns else None
        if usage is not None and i_usage is None:
            raise DatasetError(f"{path}: no 'Usage' column, so usage={usage!r} cannot be selected")
        for line_no, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(columns):
                raise DatasetError(f"{path}: line {line_no}: expected {len(columns)} fields, got {len(row)}")
            if usage is not None and row[i_usage].strip() != usage:  # type: ignore[index]
                continue
            try:
                label = int(row[i_emotion])
            except ValueError:
                raise DatasetError(f"{path}: line {line_no}: emotion {row[i_emotion]!r} is not an integer") from None
            if not 0 <= label < NUM_CLASSES:
                raise DatasetError(f"{path}: line {line_no}: emotion {label} is outside 0-{NUM_CLASSES - 1}")
            yield line_no, label, row[i_pixels]


def load_csv(path: str | Path, usage: str | None = None) -> Dataset:
    """Read a FER2013-layout CSV; `usage` keeps only rows whose Usage column matches."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    labels: list[int] = []
    pixels: list[np.ndarray] = []
    for line_no, label, text in _iter_csv_rows(path, usage):
        try:
            values = np.array(text.split(), dtype=np.int32)
        except ValueError:
            raise DatasetError(f"{path}: line {line_no}: pixels must be integers") from None
        if values.size != FACE_SIZE * FACE_SIZE:
            raise DatasetError(
                f"{path}: line {line_no}: expected {FACE_SIZE * FACE_SIZE} pixel values, got {values.size}"
            )
        if values.min() < 0 or values.max() > 255:
            raise DatasetError(f"{path}: line {line_no}: pixel values must lie in 0-255")
        labels.append(label)
        pixels.append(values.astype(np.uint8).reshape(FACE_SIZE, FACE_SIZE))
    if not labels:
        wanted = f" with Usage {usage!r}" if usage else ""
        raise DatasetError(f"{path}: no rows{wanted}")
    return Dataset(np.stack(pixels), np.array(labels, dtype=np.uint8))


def load_folder(root: str | Path, split: str | None = None) -> Dataset:
    """Read `<root>/<split>/<emotion>/*` (or `<root>/<emotion>/*` when split is None)."""
    import cv2  # local: only this loader needs OpenCV

    base = Path(root) / split if split else Path(root)
    if not base.is_dir():
        raise DatasetError(f"{base}: no such folder")
    labels: list[int] = []
    faces: list[np.ndarray] = []
    for label, emotion in enumerate(EMOTIONS):
        folder = base / emotion
        if not folder.is_dir():
            continue
        for file in sorted(folder.iterdir()):
            if file.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            image = cv2.imread(str(file), cv2.IMREAD_GRAYSCALE)
            if image is None:
                raise DatasetError(f"{file}: not a readable image")
            if image.shape != (FACE_SIZE, FACE_SIZE):
                image = cv2.resize(image, (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_AREA)
            faces.append(image)
            labels.append(label)
    if not labels:
        raise DatasetError(f"{base}: no images under any of the emotion folders {', '.join(EMOTIONS)}")
    return Dataset(np.stack(faces), np.array(labels, dtype=np.uint8))


def load_arrays(path: str | Path) -> Dataset:
    """Read an `.npz` (or `.npz.xz`) holding `x` (N, 48, 48) uint8 and `y` (N,)."""
    path = Path(path)
    raw: IO[bytes]
    raw = io.BytesIO(lzma.decompress(path.read_bytes())) if path.suffix == ".xz" else open(path, "rb")
    with raw, np.load(raw) as arrays:
        x, y = arrays["x"].astype(np.uint8), arrays["y"].astype(np.uint8)
    if x.shape[1:] != (FACE_SIZE, FACE_SIZE) or len(x) != len(y):
        raise DatasetError(f"{path}: expected x (N, 48, 48) and y (N,), got {x.shape} and {y.shape}")
    return Dataset(x, y)


def load(path: str | Path, usage: str | None = None) -> Dataset:
    """Load any supported layout; `usage` is the CSV Usage value or the folder split."""
    path = Path(path)
    if path.is_dir():
        return load_folder(path, usage)
    if ".npz" in path.suffixes:
        return load_arrays(path)
    return load_csv(path, usage)


def split_validation(data: Dataset, fraction: float, seed: int = 0) -> tuple[Dataset, Dataset]:
    """Stratified hold-out: the same fraction of every class goes to validation."""
    rng = np.random.default_rng(seed)
    val_idx: list[np.ndarray] = []
    for label in range(NUM_CLASSES):
        idx = np.flatnonzero(data.y == label)
        rng.shuffle(idx)
        val_idx.append(idx[: int(round(len(idx) * fraction))])
    val = np.sort(np.concatenate(val_idx))
    train = np.setdiff1d(np.arange(len(data)), val)
    return data.subset(train), data.subset(val)

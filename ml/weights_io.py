"""Compact weight files: float16, optionally split into parts, loadable on any Keras backend.

GPU runs bring weights back through a channel that takes files of at most 16 MiB, and VGG16 /
ResNet50 are 59 / 94 MB in float32. `save_compact` writes `weights-f16.npz` (every model
variable, in `model.weights` order, as float16) and splits it into `weights-f16.npz.000`,
`.001`, ... when it exceeds `part_bytes`. `load_compact` reassembles and loads them.
Float16 rounding changes predictions negligibly (checked by the tests on a trained model).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

COMPACT_FILE = "weights-f16.npz"
DEFAULT_PART_BYTES = 15 * 1024 * 1024


def compact_parts(directory: Path) -> list[Path]:
    whole = directory / COMPACT_FILE
    if whole.is_file():
        return [whole]
    return sorted(directory.glob(f"{COMPACT_FILE}.[0-9][0-9][0-9]"))


def save_compact(model, directory: str | Path, part_bytes: int = DEFAULT_PART_BYTES) -> list[Path]:
    import keras

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for old in compact_parts(directory):
        old.unlink()
    arrays = {f"w{i:04d}": keras.ops.convert_to_numpy(v).astype(np.float16) for i, v in enumerate(model.weights)}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    if len(data) <= part_bytes:
        path = directory / COMPACT_FILE
        path.write_bytes(data)
        return [path]
    parts = []
    for n, start in enumerate(range(0, len(data), part_bytes)):
        path = directory / f"{COMPACT_FILE}.{n:03d}"
        path.write_bytes(data[start : start + part_bytes])
        parts.append(path)
    return parts


def load_compact(model, directory: str | Path) -> None:
    """Set `model`'s weights from the compact files in `directory` (shapes must match)."""
    directory = Path(directory)
    parts = compact_parts(directory)
    if not parts:
        raise FileNotFoundError(f"no {COMPACT_FILE} in {directory}")
    with np.load(io.BytesIO(b"".join(p.read_bytes() for p in parts))) as stored:
        arrays = [stored[f"w{i:04d}"] for i in range(len(stored.files))]
    if len(arrays) != len(model.weights):
        raise ValueError(f"{directory}: {len(arrays)} stored arrays for {len(model.weights)} model variables")
    for variable, array in zip(model.weights, arrays, strict=True):
        if tuple(variable.shape) != array.shape:
            raise ValueError(f"{directory}: shape {array.shape} stored for variable {variable.path} {variable.shape}")
        variable.assign(array.astype(variable.dtype))

"""Compact weight files, optionally split into parts, loadable on any Keras backend.

GPU runs bring weights back through a channel that takes at most 8 files of 16 MiB and 64 MiB in
all, and VGG16 / ResNet50 are 59 / 94 MB in float32. Two compact formats, both holding every model
variable in `model.weights` order:

- `weights-f16.npz`: float16.
- `weights-int8.npz`: kernels (arrays of two or more dimensions) as int8 with one float32 scale
  per output channel (symmetric, scale = max |w| / 127), everything else as float16. A quarter of
  float32; what it costs in accuracy is measured when a model is exported (`ml.export`).

In both, an array with values beyond float16's range (65504) stays float32: batch norm's moving
variance after a convolution of 0-255 input reaches 1e5, and float16 would turn it into inf.

A file larger than `part_bytes` is split into `<name>.000`, `.001`, ... `load_compact`
reassembles and loads whichever format a directory holds.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

FORMATS = {"float16": "weights-f16.npz", "int8": "weights-int8.npz"}
COMPACT_FILE = FORMATS["float16"]
DEFAULT_PART_BYTES = 15 * 1024 * 1024


def compact_parts(directory: Path) -> list[Path]:
    """The compact weight file(s) in `directory`: one whole file or its numbered parts."""
    for name in FORMATS.values():
        whole = directory / name
        if whole.is_file():
            return [whole]
        parts = sorted(directory.glob(f"{name}.[0-9][0-9][0-9]"))
        if parts:
            return parts
    return []


def quantize_int8(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel (last axis) symmetric int8: returns (values, float32 scales)."""
    array = array.astype(np.float32)
    peak = np.abs(array.reshape(-1, array.shape[-1])).max(axis=0)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    return np.clip(np.rint(array / scale), -127, 127).astype(np.int8), scale


FLOAT16_MAX = float(np.finfo(np.float16).max)


def _encode(arrays: list[np.ndarray], fmt: str) -> dict[str, np.ndarray]:
    stored = {}
    for i, array in enumerate(arrays):
        if fmt == "int8" and array.ndim >= 2:
            stored[f"w{i:04d}"], stored[f"s{i:04d}"] = quantize_int8(array)
        elif array.size and np.abs(array).max() > FLOAT16_MAX:
            stored[f"w{i:04d}"] = array.astype(np.float32)
        else:
            stored[f"w{i:04d}"] = array.astype(np.float16)
    return stored


def _decode(stored) -> list[np.ndarray]:
    count = sum(1 for key in stored.files if key.startswith("w"))
    arrays = []
    for i in range(count):
        values = stored[f"w{i:04d}"]
        scale_key = f"s{i:04d}"
        arrays.append(values * stored[scale_key] if scale_key in stored.files else values)
    return arrays


def save_compact(model, directory: str | Path, part_bytes: int = DEFAULT_PART_BYTES,
                 fmt: str = "float16") -> list[Path]:
    import keras

    if fmt not in FORMATS:
        raise ValueError(f"unknown weight format {fmt!r}; choose one of {', '.join(FORMATS)}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for old in compact_parts(directory):
        old.unlink()
    arrays = [keras.ops.convert_to_numpy(v) for v in model.weights]
    buffer = io.BytesIO()
    np.savez(buffer, **_encode(arrays, fmt))
    data = buffer.getvalue()
    name = FORMATS[fmt]
    if len(data) <= part_bytes:
        path = directory / name
        path.write_bytes(data)
        return [path]
    parts = []
    for n, start in enumerate(range(0, len(data), part_bytes)):
        path = directory / f"{name}.{n:03d}"
        path.write_bytes(data[start : start + part_bytes])
        parts.append(path)
    return parts


def load_compact(model, directory: str | Path) -> None:
    """Set `model`'s weights from the compact files in `directory` (shapes must match)."""
    directory = Path(directory)
    parts = compact_parts(directory)
    if not parts:
        raise FileNotFoundError(f"no {' or '.join(FORMATS.values())} in {directory}")
    with np.load(io.BytesIO(b"".join(p.read_bytes() for p in parts))) as stored:
        arrays = _decode(stored)
    if len(arrays) != len(model.weights):
        raise ValueError(f"{directory}: {len(arrays)} stored arrays for {len(model.weights)} model variables")
    for variable, array in zip(model.weights, arrays, strict=True):
        if tuple(variable.shape) != array.shape:
            raise ValueError(f"{directory}: shape {array.shape} stored for variable {variable.path} {variable.shape}")
        variable.assign(array.astype(variable.dtype))

"""Small passes over an exported ONNX graph that make it lean for serving.

`tf2onnx` already folds batch norm into a convolution without bias; the rest is left to these
passes and to ONNX Runtime's own optimiser at session start (which folds constants, then fuses
Conv + Mul/Add, i.e. the batch norm after a convolution with bias, and picks CPU layouts):

- `drop_unused`: inputs and initializers nothing reads (tf2onnx can leave a captured constant as
  an input; folding the input scale leaves its constants).
- `fold_input_scale`: the input `Rescaling` (a scalar Mul, and an Add of zero) in front of the
  first convolution goes into that convolution's kernel. Exact: scaling commutes with zero padding.
- `compact_initializers`: large float32 weights stored as float16 or int8 values, times one
  float32 scale per output channel where needed, exactly when the shipped weights allow it (they
  are float16 or int8 already; batch norm folded in multiplies them per channel), else rounded to
  float16 (optional); each behind a Cast (and Mul) that ONNX Runtime folds back to float32 when
  the session starts, so the file is small and inference runs in float32.
- `name_io`: readable input/output names and a named dynamic batch dimension.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Weights smaller than this stay float32: they are a rounding error of the file's size.
MIN_COMPACT_ELEMENTS = 4096
FLOAT16_MAX = float(np.finfo(np.float16).max)
LAYOUT_OPS = ("Reshape", "Transpose")


def _consumers(graph: onnx.GraphProto) -> dict[str, list[onnx.NodeProto]]:
    found: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            found.setdefault(name, []).append(node)
    return found


def _initializers(graph: onnx.GraphProto) -> dict[str, onnx.TensorProto]:
    return {t.name: t for t in graph.initializer}


def drop_unused(model: onnx.ModelProto) -> list[str]:
    """Remove inputs and initializers no node reads; returns the names of the inputs removed."""
    graph = model.graph
    used = _consumers(graph)
    dropped = [i.name for i in graph.input if i.name not in used]
    for value in [i for i in graph.input if i.name not in used]:
        graph.input.remove(value)
    for tensor in [t for t in graph.initializer if t.name not in used]:
        graph.initializer.remove(tensor)
    return dropped


def _scalar(inits: dict[str, onnx.TensorProto], name: str) -> float | None:
    if name not in inits:
        return None
    value = numpy_helper.to_array(inits[name])
    return float(value.reshape(-1)[0]) if value.size == 1 else None


def _sole_consumer(graph: onnx.GraphProto, consumers, name: str) -> onnx.NodeProto | None:
    users = consumers.get(name, [])
    if len(users) != 1 or any(o.name == name for o in graph.output):
        return None
    return users[0]


def fold_input_scale(model: onnx.ModelProto) -> float | None:
    """Fold `input * a (+ 0)` feeding the first Conv (through layout-only ops) into its kernel.

    Returns the folded factor, or None when the graph does not start that way (left unchanged).
    """
    graph = model.graph
    if len(graph.input) != 1:
        return None
    consumers, inits = _consumers(graph), _initializers(graph)
    source = graph.input[0].name
    mul = _sole_consumer(graph, consumers, source)
    if mul is None or mul.op_type != "Mul":
        return None
    factor = _scalar(inits, mul.input[1] if mul.input[0] == source else mul.input[0])
    if factor is None:
        return None
    removed, current = [mul], mul.output[0]
    node = _sole_consumer(graph, consumers, current)
    if node is not None and node.op_type == "Add":
        other = node.input[1] if node.input[0] == current else node.input[0]
        if _scalar(inits, other) == 0.0:
            removed.append(node)
            current = node.output[0]
            node = _sole_consumer(graph, consumers, current)
    first_after = node
    while node is not None and node.op_type in LAYOUT_OPS and node.input[0] == current:
        current = node.output[0]
        node = _sole_consumer(graph, consumers, current)
    if node is None or node.op_type != "Conv" or node.input[0] != current:
        return None
    kernel_name = node.input[1]
    if kernel_name not in inits or len(consumers.get(kernel_name, [])) != 1:
        return None
    kernel = inits[kernel_name]
    scaled = (numpy_helper.to_array(kernel).astype(np.float64) * factor).astype(np.float32)
    kernel.CopyFrom(numpy_helper.from_array(scaled, kernel_name))
    # The first node after the removed ones now reads the graph input directly.
    first_after.input[list(first_after.input).index(removed[-1].output[0])] = source
    for dead in removed:
        graph.node.remove(dead)
    return factor


def _channel_scale(target: np.ndarray, values: np.ndarray, axis: int) -> np.ndarray | None:
    """Float32 scales s (one per slice along `axis`) with values * s == target to float32 rounding, or None."""
    t = np.moveaxis(target, axis, -1).reshape(-1, target.shape[axis]).astype(np.float64)
    v = np.moveaxis(values, axis, -1).reshape(-1, values.shape[axis]).astype(np.float64)
    norm = (v * v).sum(axis=0)
    scale = np.where(norm > 0, (v * t).sum(axis=0) / np.where(norm > 0, norm, 1.0), 1.0).astype(np.float32)
    peak = np.maximum(np.abs(t).max(axis=0), np.finfo(np.float32).tiny)
    if np.any(np.abs(v * scale - t).max(axis=0) > 1e-6 * peak):
        return None
    shape = [1] * target.ndim
    shape[axis] = target.shape[axis]
    return scale.reshape(shape)


def _output_axes(array: np.ndarray) -> tuple[int, ...]:
    # Output channels: axis 0 of a Conv kernel (OIHW), the last axis of a MatMul/Gemm matrix.
    return tuple(dict.fromkeys((0, array.ndim - 1)))


def _int8_scaled(array: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(int8 values, scales) if `array` is exactly int8 times one scale per output channel (int8 weights)."""
    for axis in _output_axes(array):
        flat = np.moveaxis(array, axis, -1).reshape(-1, array.shape[axis])
        peak = np.abs(flat).max(axis=0)
        step = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
        shape = [1] * array.ndim
        shape[axis] = array.shape[axis]
        values = np.rint(array / step.reshape(shape))
        if np.abs(values).max() <= 127 and (scale := _channel_scale(array, values, axis)) is not None:
            return values.astype(np.int8), scale
    return None


def _is_float16(array: np.ndarray) -> bool:
    return bool(np.abs(array).max() <= FLOAT16_MAX and np.array_equal(array.astype(np.float16), array))


# How a Keras (TensorFlow layout) weight appears in the ONNX graph: conv kernels HWIO -> OIHW.
KERAS_TO_ONNX_LAYOUT = {4: (3, 2, 0, 1), 2: (0, 1)}


def _float16_scaled(array: np.ndarray, references: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """(float16 values, scales) if `array` is a float16 reference weight times one scale per output channel.

    tf2onnx folds batch norm into the kernel before it, so a kernel shipped as float16 reaches the
    graph multiplied per channel; factoring the product back keeps the float16 values exact.
    """
    for reference in references:
        perm = KERAS_TO_ONNX_LAYOUT.get(reference.ndim)
        if perm is None or reference.size != array.size or not _is_float16(reference):
            continue
        values = np.transpose(reference, perm)
        if values.shape != array.shape:
            continue
        for axis in _output_axes(array):
            if (scale := _channel_scale(array, values, axis)) is not None:
                return values.astype(np.float16), scale
    return None


def compact_initializers(model: onnx.ModelProto, float16: bool = True,
                         references: list[np.ndarray] = ()) -> Counter:
    """Store large float32 weights compactly; returns how many went to each storage.

    Exact storages first: float16 when the values are float16; int8 x per-channel scale (weights
    shipped as int8); float16 x per-channel scale when the array is one of `references` (the Keras
    weights) scaled per channel. Otherwise float16 rounded when `float16`, else float32.
    """
    graph = model.graph
    counts: Counter = Counter()
    decoders: list[onnx.NodeProto] = []
    for tensor in list(graph.initializer):
        if tensor.data_type != TensorProto.FLOAT:
            continue
        array = numpy_helper.to_array(tensor)
        name = tensor.name
        if array.size < MIN_COMPACT_ELEMENTS:
            kind, parts = "float32", None
        elif _is_float16(array):
            kind, parts = "float16", (array.astype(np.float16), None)
        elif (parts := _int8_scaled(array)) is not None:
            kind = "int8 x scale"
        elif (parts := _float16_scaled(array, list(references))) is not None:
            kind = "float16 x scale"
        elif float16 and np.abs(array).max() <= FLOAT16_MAX:
            kind, parts = "float16 rounded", (array.astype(np.float16), None)
        else:
            kind, parts = "float32", None
        counts[kind] += 1
        if parts is None:
            continue
        values, scale = parts
        stored = f"{name}__{values.dtype.name}"
        graph.initializer.append(numpy_helper.from_array(values, stored))
        if scale is None:
            decoders.append(helper.make_node("Cast", [stored], [name], to=TensorProto.FLOAT))
        else:
            graph.initializer.append(numpy_helper.from_array(scale, f"{name}__scale"))
            decoders += [helper.make_node("Cast", [stored], [f"{name}__cast"], to=TensorProto.FLOAT),
                         helper.make_node("Mul", [f"{name}__cast", f"{name}__scale"], [name])]
        graph.initializer.remove(tensor)
    # Decoders first, so the node list stays in topological order.
    nodes = decoders + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return counts


def _rename(graph: onnx.GraphProto, old: str, new: str) -> None:
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new
        for i, name in enumerate(node.output):
            if name == old:
                node.output[i] = new
    for value in (*graph.input, *graph.output):
        if value.name == old:
            value.name = new


def name_io(model: onnx.ModelProto, input_name: str, output_name: str, batch: str = "batch") -> None:
    """One input and one output, renamed, with the first dimension of both called `batch`."""
    graph = model.graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise ValueError(f"expected one input and one output, got {len(graph.input)} and {len(graph.output)}")
    _rename(graph, graph.input[0].name, input_name)
    _rename(graph, graph.output[0].name, output_name)
    for value in (graph.input[0], graph.output[0]):
        value.type.tensor_type.shape.dim[0].dim_param = batch

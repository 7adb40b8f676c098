"""ONNX export and serving: parity with Keras, a lean graph, the registry's choice, no TensorFlow to serve."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from ml import export as export_cli
from ml.model_card import ModelCard, ModelFileError
from ml.serving import registry
from ml.serving.classifiers import KerasClassifier, OnnxClassifier, load_classifier
from ml.training import onnx_export, onnx_graph
from tests.ml.conftest import synthetic_faces, write_csv

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def parity_csv(tmp_path_factory) -> Path:
    x, y = synthetic_faces(2)
    return write_csv(tmp_path_factory.mktemp("data") / "fer.csv", x, y, ["PublicTest"] * len(y))


@pytest.fixture(scope="session")
def onnx_model_dir(trained_model_dir: Path, parity_csv: Path, tmp_path_factory) -> Path:
    """The tiny trained model, exported to ONNX in a copy of its directory named `tinyonnx`."""
    target = tmp_path_factory.mktemp("onnx_models") / "tinyonnx"
    shutil.copytree(trained_model_dir, target)
    card = ModelCard.load(target)
    card.name = "tinyonnx"
    card.save(target)
    assert export_cli.main([str(target), "--onnx", "--data", str(parity_csv)]) == 0
    return target


@pytest.fixture
def onnx_copy(onnx_model_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "broken"
    shutil.copytree(onnx_model_dir, target)
    return target


def test_export_reproduces_keras(onnx_model_dir: Path, faces):
    x = faces[0]
    keras_probs = KerasClassifier(onnx_model_dir).predict_proba(x, flip=True)
    onnx_probs = OnnxClassifier(onnx_model_dir).predict_proba(x, flip=True)
    assert onnx_probs.shape == keras_probs.shape and onnx_probs.dtype == np.float32
    assert np.abs(onnx_probs - keras_probs).max() <= onnx_export.MAX_PROBABILITY_DIFF


def test_concurrent_predictions_match_sequential_ones(onnx_model_dir: Path, faces):
    classifier = OnnxClassifier(onnx_model_dir)
    batches = [faces[0][i : i + 5] for i in range(0, 40, 5)]
    expected = [classifier.predict_proba(b) for b in batches]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(classifier.predict_proba, batches * 4))
    for i, probs in enumerate(got):
        assert np.allclose(probs, expected[i % len(batches)], atol=1e-6)


def test_card_records_the_export(onnx_model_dir: Path):
    record = ModelCard.load(onnx_model_dir).onnx
    path = onnx_model_dir / record["file"]
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record["opset"] == onnx.load(str(path)).opset_import[0].version
    assert record["input"]["name"] == "face" and record["output"]["name"] == "probabilities"
    assert {"keras", "tensorflow", "tf2onnx", "onnx", "onnxruntime"} <= set(record["tools"])
    parity = record["parity"]
    assert parity["usage"] == "PublicTest" and parity["n"] == len(synthetic_faces(2)[1])
    assert parity["max_abs_probability_diff"] <= onnx_export.MAX_PROBABILITY_DIFF
    assert abs(parity["keras_accuracy"] - parity["onnx_accuracy"]) <= onnx_export.MAX_ACCURACY_CHANGE


def test_exported_graph_is_lean(onnx_model_dir: Path, tmp_path: Path):
    model = onnx.load(str(onnx_model_dir / "model.onnx"))
    graph = model.graph
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    # The input rescaling went into the first convolution: nothing computes on the input before it.
    first = next(n for n in graph.node if graph.input[0].name in n.input)
    assert first.op_type in ("Conv", *onnx_graph.LAYOUT_OPS)
    assert not any(n.op_type == "BatchNormalization" for n in graph.node)
    assert any(t.data_type == TensorProto.FLOAT16 for t in graph.initializer)
    # ONNX Runtime folds the casts back and fuses every convolution with what follows it.
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    onnxruntime.InferenceSession(str(onnx_model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"])
    ops = [n.op_type for n in onnx.load(options.optimized_model_filepath).graph.node]
    assert "FusedConv" in ops
    assert not {"Cast", "Mul", "BatchNormalization", "Relu"} & set(ops)


def test_registry_prefers_onnx_and_can_be_told_otherwise(onnx_model_dir: Path, monkeypatch):
    monkeypatch.setenv("FER_MODELS_DIR", str(onnx_model_dir.parent))
    monkeypatch.setattr(registry, "_cache", {})
    classifier = registry.get_classifier("tinyonnx")
    assert isinstance(classifier, OnnxClassifier) and classifier.runtime.startswith("onnxruntime")
    monkeypatch.setenv("FER_MODEL_RUNTIME", "keras")
    assert isinstance(load_classifier(onnx_model_dir), KerasClassifier)


def test_unexported_model_falls_back_to_keras(trained_model_dir: Path, monkeypatch):
    assert isinstance(load_classifier(trained_model_dir), KerasClassifier)
    monkeypatch.setenv("FER_MODEL_RUNTIME", "onnx")
    with pytest.raises(ModelFileError, match="no ONNX export"):
        load_classifier(trained_model_dir)


def test_bad_runtime_settings_are_refused(onnx_model_dir: Path, monkeypatch):
    monkeypatch.setenv("FER_ONNX_THREADS", "two")
    with pytest.raises(ValueError, match="FER_ONNX_THREADS"):
        OnnxClassifier(onnx_model_dir)
    monkeypatch.setenv("FER_MODEL_RUNTIME", "torch")
    with pytest.raises(ValueError, match="FER_MODEL_RUNTIME"):
        load_classifier(onnx_model_dir)


def test_serving_onnx_never_imports_tensorflow(onnx_model_dir: Path):
    script = (
        "import json, sys\n"
        "import numpy as np\n"
        "import ml.serving.pipeline, ml.serving.batching, ml.serving.tracking\n"
        "from ml.serving import registry\n"
        "c = registry.get_classifier('tinyonnx')\n"
        "c.warm_up()\n"
        "p = c.predict_proba(np.zeros((3, 48, 48), np.uint8), flip=True)\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'tf2onnx', 'onnx', 'jax') if m in sys.modules)\n"
        "print(json.dumps({'runtime': c.runtime, 'shape': list(p.shape), 'heavy': heavy}))\n"
    )
    env = {**os.environ, "FER_MODELS_DIR": str(onnx_model_dir.parent), "PYTHONPATH": str(REPO)}
    env.pop("FER_MODEL_RUNTIME", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["runtime"].startswith("onnxruntime") and result["shape"] == [3, 7]
    assert result["heavy"] == []


def test_corrupt_onnx_names_the_file(onnx_copy: Path):
    (onnx_copy / "model.onnx").write_bytes(b"not a protobuf")
    with pytest.raises(ModelFileError, match=r"sha256 .*broken/model\.onnx"):
        load_classifier(onnx_copy)
    card = ModelCard.load(onnx_copy)  # without the checksum, ONNX Runtime's own error is reported
    del card.onnx["sha256"]
    card.save(onnx_copy)
    with pytest.raises(ModelFileError, match=r"could not be loaded: .*broken/model\.onnx"):
        load_classifier(onnx_copy)
    (onnx_copy / "model.onnx").unlink()
    with pytest.raises(ModelFileError, match=r"not found: .*broken/model\.onnx"):
        load_classifier(onnx_copy)


def test_parity_failure_fails_the_export_and_changes_nothing(onnx_copy: Path, parity_csv: Path, monkeypatch,
                                                             capsys):
    before = (onnx_copy / "card.json").read_text(), (onnx_copy / "model.onnx").read_bytes()
    lean = onnx_export.make_lean

    def unfaithful(model, **options):  # an export bug: the classifier's bias comes out wrong
        done = lean(model, **options)
        matmul_add = next(n for n in model.graph.node if n.op_type == "Add" and "emotion" in n.input[1])
        bias = next(t for t in model.graph.initializer if t.name == matmul_add.input[1])
        bias.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(bias) + np.arange(7, dtype=np.float32), bias.name))
        return done

    monkeypatch.setattr(onnx_export, "make_lean", unfaithful)
    assert export_cli.main([str(onnx_copy), "--onnx", "--data", str(parity_csv)]) == 1
    assert "differs from Keras" in capsys.readouterr().err
    assert ((onnx_copy / "card.json").read_text(), (onnx_copy / "model.onnx").read_bytes()) == before
    assert sorted(p.name for p in onnx_copy.iterdir() if "onnx" in p.name) == ["model.onnx"]


def test_compact_copy_forgets_the_onnx_export(onnx_model_dir: Path, tmp_path: Path):
    out = tmp_path / "compact"
    assert export_cli.main([str(onnx_model_dir), str(out)]) == 0
    assert ModelCard.load(out).onnx == {} and not (out / "model.onnx").exists()
    assert isinstance(load_classifier(out), KerasClassifier)


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def _scaled_conv_model(kernel: np.ndarray) -> onnx.ModelProto:
    """x (N,8,8,1) * (1/255) + 0 -> NHWC to NCHW -> Conv with zero padding, as tf2onnx exports a Rescaling."""
    nodes = [
        helper.make_node("Mul", ["x", "a"], ["scaled"]),
        helper.make_node("Add", ["scaled", "zero"], ["shifted"]),
        helper.make_node("Transpose", ["shifted"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "w"], ["y"], pads=[1, 1, 1, 1]),
    ]
    inits = [numpy_helper.from_array(np.array(1 / 255, np.float32), "a"),
             numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
             numpy_helper.from_array(kernel, "w")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 8, 8, 1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", None])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_input_scale_is_folded_into_the_first_convolution():
    rng = np.random.default_rng(0)
    model = _scaled_conv_model(rng.normal(size=(4, 1, 3, 3)).astype(np.float32))
    x = rng.integers(0, 256, size=(2, 8, 8, 1)).astype(np.float32)
    expected = _run(model, x)
    assert onnx_graph.fold_input_scale(model) == pytest.approx(1 / 255)
    onnx_graph.drop_unused(model)
    assert [n.op_type for n in model.graph.node] == ["Transpose", "Conv"]
    assert {t.name for t in model.graph.initializer} == {"w"}
    assert np.allclose(_run(model, x), expected, rtol=1e-5, atol=1e-6)


def test_input_scale_is_left_alone_when_the_graph_starts_otherwise():
    model = _scaled_conv_model(np.ones((4, 1, 3, 3), np.float32))
    model.graph.node[1].input[1] = "a"  # Add(1/255) instead of Add(0): an offset does not commute with padding
    before = model.SerializeToString()
    assert onnx_graph.fold_input_scale(model) is None
    assert model.SerializeToString() == before


def _matmul_model(*weights: np.ndarray) -> onnx.ModelProto:
    """x -> MatMul(w0) -> MatMul(w1) ..."""
    names = [f"w{i}" for i in range(len(weights))]
    flow = ["x", *[f"h{i}" for i in range(len(weights) - 1)], "y"]
    nodes = [helper.make_node("MatMul", [flow[i], names[i]], [flow[i + 1]]) for i in range(len(weights))]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 256])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", None])],
                              [numpy_helper.from_array(w, n) for w, n in zip(weights, names, strict=True)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _compacted(model: onnx.ModelProto, x: np.ndarray, **options) -> tuple[dict, dict, float]:
    """Storage counts, stored dtypes and the largest output change relative to the output's scale."""
    expected = _run(model, x)
    counts = dict(onnx_graph.compact_initializers(model, **options))
    onnx.checker.check_model(model)
    types = {t.name: t.data_type for t in model.graph.initializer}
    return counts, types, float(np.abs(_run(model, x) - expected).max() / np.abs(expected).max())


def test_int8_weights_are_stored_as_int8_exactly():
    rng = np.random.default_rng(1)
    values = rng.integers(-127, 128, size=(256, 64)).astype(np.float32)
    values[0] = 127  # each output channel reaches the int8 peak, as weights_io writes them
    quantised = values * rng.uniform(0.001, 0.01, size=64).astype(np.float32)
    smooth = rng.normal(size=(64, 64)).astype(np.float32)
    x = rng.normal(size=(3, 256)).astype(np.float32)
    counts, types, change = _compacted(_matmul_model(quantised, smooth), x, float16=False)
    assert counts == {"int8 x scale": 1, "float32": 1} and types["w0__int8"] == TensorProto.INT8
    assert change <= 1e-6
    counts, types, change = _compacted(_matmul_model(quantised, smooth), x)
    assert counts == {"int8 x scale": 1, "float16 rounded": 1} and types["w1__float16"] == TensorProto.FLOAT16
    assert 1e-6 < change <= 1e-3  # rounding the float32 weights to float16 costs a little, and only that


def test_float16_weights_scaled_per_channel_stay_exact():
    rng = np.random.default_rng(2)
    # A Keras Dense kernel shipped as float16, and the graph's copy with a per-channel factor folded in.
    shipped = rng.normal(size=(256, 64)).astype(np.float16).astype(np.float32)
    folded = shipped * rng.uniform(0.5, 2.0, size=64).astype(np.float32)
    plain = rng.normal(size=(64, 64)).astype(np.float16).astype(np.float32)
    x = rng.normal(size=(3, 256)).astype(np.float32)
    counts, types, change = _compacted(_matmul_model(folded, plain), x, references=[plain, shipped])
    assert counts == {"float16 x scale": 1, "float16": 1}
    assert types["w0__float16"] == types["w1__float16"] == TensorProto.FLOAT16
    assert change <= 1e-6
    # Without the shipped weights to factor by, only rounding is left.
    counts, _, change = _compacted(_matmul_model(folded, plain), x)
    assert counts == {"float16 rounded": 1, "float16": 1} and change > 1e-6

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ml.export import main as export_main
from ml.model_card import ModelCard, ModelFileError
from ml.serving.classifiers import KerasClassifier
from ml.weights_io import COMPACT_FILE, FORMATS, load_compact, quantize_int8, save_compact
from tests.ml.conftest import synthetic_faces


def test_export_splits_float16_parts_that_load_back(trained_model_dir: Path, tmp_path: Path, faces, capsys):
    out = tmp_path / "compact"
    assert export_main([str(trained_model_dir), str(out), "--part-mib", "0.5"]) == 0
    parts = sorted(out.glob(f"{COMPACT_FILE}.*"))
    assert len(parts) >= 2 and all(p.stat().st_size <= 512 * 1024 for p in parts)
    assert not (out / "model.weights.h5").exists()
    assert (out / "card.json").is_file()

    original = KerasClassifier(trained_model_dir).predict_proba(faces[0])
    compact = KerasClassifier(out).predict_proba(faces[0])
    assert np.abs(original - compact).max() < 0.01
    assert "largest probability change" in capsys.readouterr().out


def test_missing_part_is_a_clear_error(trained_model_dir: Path, tmp_path: Path):
    out = tmp_path / "compact"
    export_main([str(trained_model_dir), str(out), "--part-mib", "0.5"])
    sorted(out.glob(f"{COMPACT_FILE}.*"))[-1].unlink()
    with pytest.raises(ModelFileError, match="could not be loaded"):
        KerasClassifier(out)


def test_export_refuses_a_directory_with_float32_weights(trained_model_dir: Path, tmp_path: Path, capsys):
    target = tmp_path / "same"
    shutil.copytree(trained_model_dir, target)
    assert export_main([str(trained_model_dir), str(target)]) == 2
    assert "already holds float32 weights" in capsys.readouterr().err


def test_int8_export_is_a_quarter_of_float32_and_predicts_alike(trained_model_dir: Path, tmp_path: Path, faces):
    out = tmp_path / "int8"
    assert export_main([str(trained_model_dir), str(out), "--format", "int8"]) == 0
    stored = out / FORMATS["int8"]
    assert stored.is_file() and not (out / FORMATS["float16"]).exists()
    source = KerasClassifier(trained_model_dir)
    float32_bytes = sum(np.asarray(v).nbytes for v in source.model.weights)
    assert stored.stat().st_size < 0.35 * float32_bytes
    original = source.predict_proba(faces[0])
    compact = KerasClassifier(out).predict_proba(faces[0])
    assert np.abs(original - compact).max() < 0.02


def test_int8_quantization_error_is_at_most_half_a_step_per_channel():
    weights = np.random.default_rng(0).normal(0, [0.01, 1.0, 30.0], size=(3, 3, 8, 3)).astype(np.float32)
    values, scale = quantize_int8(weights)
    assert values.dtype == np.int8 and scale.shape == (3,)
    assert np.all(np.abs(values * scale - weights) <= scale / 2 + 1e-7)


@pytest.mark.parametrize("fmt", ["float16", "int8"])
def test_values_beyond_float16_range_survive_compaction(trained_model_dir: Path, tmp_path: Path, fmt):
    source = KerasClassifier(trained_model_dir).model
    variance = next(v for v in source.weights if "moving_variance" in v.path)
    big = np.full(variance.shape, 90_000.0, dtype=np.float32)
    variance.assign(big)
    save_compact(source, tmp_path, fmt=fmt)
    target = KerasClassifier(trained_model_dir).model
    load_compact(target, tmp_path)
    restored = next(v for v in target.weights if v.path == variance.path)
    assert np.array_equal(np.asarray(restored), big)


def test_export_validate_records_the_compact_accuracy(trained_model_dir: Path, tmp_path: Path, capsys):
    x, y = synthetic_faces(1)  # the data the fixture trained on
    data = tmp_path / "train.npz"
    np.savez(data, x=x, y=y)
    out = tmp_path / "checked"
    assert export_main([str(trained_model_dir), str(out), "--format", "int8", "--validate", str(data)]) == 0
    printed = capsys.readouterr().out
    assert '"float32"' in printed and '"int8"' in printed
    card = ModelCard.load(out)
    assert 0.0 <= card.metrics["validation"]["accuracy_int8"] <= 1.0
    assert card.training["weights_format"] == "int8"

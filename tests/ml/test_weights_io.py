from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ml.classifiers import KerasClassifier
from ml.export import main as export_main
from ml.model_card import ModelFileError
from ml.weights_io import COMPACT_FILE


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

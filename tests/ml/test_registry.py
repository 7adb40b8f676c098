from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from ml.model_card import ModelFileError
from ml.serving import registry
from ml.serving.classifiers import KerasClassifier


@pytest.fixture
def model_copy(trained_model_dir: Path, tmp_path: Path, monkeypatch) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(trained_model_dir, target)
    monkeypatch.setenv("FER_MODELS_DIR", f"{trained_model_dir.parent}{os.pathsep}{tmp_path}")
    return target


def test_missing_weights_names_the_file(model_copy: Path):
    (model_copy / "model.weights.h5").unlink()
    with pytest.raises(ModelFileError, match=r"weights not found: .*copy/model\.weights\.h5"):
        KerasClassifier(model_copy)


def test_corrupt_weights_names_the_file(model_copy: Path):
    (model_copy / "model.weights.h5").write_bytes(b"not hdf5")
    with pytest.raises(ModelFileError, match=r"could not be loaded: .*copy/model\.weights\.h5"):
        KerasClassifier(model_copy)


def test_corrupt_card_names_the_file(model_copy: Path):
    (model_copy / "card.json").write_text("{")
    with pytest.raises(ModelFileError, match=r"not valid: .*copy/card\.json"):
        KerasClassifier(model_copy)


def test_models_load_once_per_process(tiny_models: str):
    assert registry.get_classifier(tiny_models) is registry.get_classifier(tiny_models)


def test_ensembles_average_their_members(tiny_models: str, model_copy: Path, faces):
    x = faces[0][:4]
    ensemble = registry.get_classifier("copy+tiny")
    expected = (registry.get_classifier("copy").predict_proba(x) + registry.get_classifier("tiny").predict_proba(x)) / 2
    assert np.allclose(ensemble.predict_proba(x), expected, atol=1e-6)
    with pytest.raises(registry.UnknownModelError):
        registry.validate_name("tiny+missing")


def test_listing_reads_cards_without_loading(tiny_models: str):
    names = [m["name"] for m in registry.list_models()]
    assert "tiny" in names
    tiny = next(m for m in registry.list_models() if m["name"] == "tiny")
    assert tiny["input"] == {"size": 48, "channels": 1, "normalisation": "equalize"}

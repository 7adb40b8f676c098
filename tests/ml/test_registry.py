from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from ml.model_card import ModelFileError
from ml.serving import registry
from ml.serving.classifiers import KerasClassifier

from .conftest import write_ensemble_record


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
    with pytest.raises(registry.ModelNotOfferedError, match="not been validated"):
        registry.get_classifier("copy+tiny")
    write_ensemble_record(model_copy.parent, "copy+tiny", ["copy", "tiny"])  # validated, equal weights
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
    assert {"label", "quality", "quality_reason", "ece", "macro_f1", "uncertain_below", "default"} <= tiny.keys()


def test_listing_marks_a_model_far_below_the_best_as_poor(model_copy: Path):
    from ml.model_card import ModelCard

    card = ModelCard.load(model_copy)
    best = max(registry.describe(n)["accuracy"] or 0 for n in registry.model_dirs() if n != "copy")
    card.metrics["PublicTest"] = {"accuracy": round(best - 0.15, 4)}
    card.save(model_copy)
    copy = registry.describe("copy")
    assert copy["quality"] == "poor" and "points below" in copy["quality_reason"]
    assert copy["label"].startswith("copy: ") and "on FER2013 test faces" in copy["label"]
    card.metrics["PublicTest"] = {"accuracy": round(best - 0.05, 4)}
    card.save(model_copy)
    assert registry.describe("copy")["quality"] == "ok"


def test_the_default_model_is_never_poor():
    assert registry.describe(registry.DEFAULT_MODEL)["quality"] != "poor"
    assert all(not m["default"] for m in registry.list_models() if m["quality"] == "poor")


def test_every_shipped_ensemble_is_as_its_last_fit_decided(monkeypatch):
    """A member's card changed after its ensemble was fitted withdraws the ensemble (its fingerprint no longer
    matches): shipping must re-run ml.calibrate for it, or users lose it silently. An ensemble its fit declined
    (no weighting beat the best member on validation) stays out, for the fit's reason."""
    from ml.serving import ensembles

    monkeypatch.delenv("FER_MODELS_DIR", raising=False)
    records = ensembles.read_records([registry.SHIPPED_DIR])
    assert any(record.get("offered") for record in records.values())
    for name, record in records.items():
        assert registry.ensemble_status(name) == (bool(record.get("offered")), record.get("reason", "")), name

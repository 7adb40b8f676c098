"""`python -m ml.calibrate` on tiny trained models, and ensembles offered only once validated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ml.calibrate import main as calibrate_main
from ml.model_card import ModelCard
from ml.serving import registry
from ml.serving.calibration import apply_temperature

from .conftest import synthetic_faces, write_csv, write_ensemble_record


@pytest.fixture
def two_models(trained_model_dir: Path, tmp_path: Path, monkeypatch) -> Path:
    """Copies `one` and `two` of the tiny model in their own search directory (so cards can change)."""
    models = tmp_path / "models"
    for name in ("one", "two"):
        shutil.copytree(trained_model_dir, models / name)
    monkeypatch.setenv("FER_MODELS_DIR", str(models))
    names = ("one", "two", "one+two")
    for name in names:
        registry.forget(name)
    yield models
    for name in names:
        registry.forget(name)


@pytest.fixture
def training_csv(tmp_path: Path) -> Path:
    """The data the tiny model was trained on (conftest's trained_model_dir), as FER2013 Training rows."""
    x, y = synthetic_faces(1)
    return write_csv(tmp_path / "train.csv", x, y)


def test_calibrate_stores_temperature_and_serving_applies_it(two_models: Path, training_csv: Path, capsys):
    raw = registry.get_classifier("one").predict_proba(synthetic_faces(2)[0][:5])
    assert calibrate_main(["--model", "one", "--data", str(training_csv), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    stored = ModelCard.load(two_models / "one").calibration
    assert stored == printed["calibration"]
    assert {"temperature", "threshold", "rule", "validation_ece_before", "validation_ece_after"} <= stored.keys()
    assert stored["validation"]["n"] == ModelCard.load(two_models / "one").training["validation_faces"]
    served = registry.get_classifier("one").predict_proba(synthetic_faces(2)[0][:5])
    assert np.allclose(served, apply_temperature(raw, stored["temperature"]), atol=1e-5)
    assert registry.describe("one")["uncertain_below"] == stored["threshold"]


def test_calibrate_refuses_data_the_model_was_not_trained_on(two_models: Path, tmp_path: Path, capsys):
    x, y = synthetic_faces(7)  # other faces, same count: the hold-out size matches but not its accuracy
    other = write_csv(tmp_path / "other.csv", x, np.roll(y, 5))
    assert calibrate_main(["--model", "one", "--data", str(other)]) == 2
    assert "not the data" in capsys.readouterr().err
    assert ModelCard.load(two_models / "one").calibration == {}


def test_ensemble_needs_calibrated_members(two_models: Path, training_csv: Path, capsys):
    assert calibrate_main(["--model", "one+two", "--data", str(training_csv)]) == 2
    assert "calibrate the members first" in capsys.readouterr().err


def test_ensemble_calibration_record_and_offer(two_models: Path, training_csv: Path, capsys):
    for name in ("one", "two"):
        assert calibrate_main(["--model", name, "--data", str(training_csv)]) == 0
    assert calibrate_main(["--model", "one+two", "--data", str(training_csv), "--json"]) == 0
    record = json.loads((two_models / "ensembles.json").read_text())["one+two"]
    validation = record["validation"]
    assert validation["accuracy"] >= max(validation["member_accuracy"].values())
    assert sum(record["weights"].values()) == pytest.approx(1.0)
    # Offered exactly when two members carry weight (accuracy is at least the best member's by construction).
    assert record["offered"] == (sum(w > 0 for w in record["weights"].values()) >= 2)
    if not record["offered"]:
        with pytest.raises(registry.ModelNotOfferedError, match="beat"):
            registry.validate_name("one+two")


def test_unvalidated_ensemble_is_refused(two_models: Path):
    with pytest.raises(registry.ModelNotOfferedError, match="has not been validated; run python -m ml.calibrate"):
        registry.validate_name("one+two")


def test_ensemble_not_offered_is_refused_with_its_reason(two_models: Path):
    write_ensemble_record(two_models, "one+two", ["one", "two"], offered=False, reason="no better than one alone")
    with pytest.raises(registry.ModelNotOfferedError, match="not offered: no better than one alone"):
        registry.get_classifier("one+two")
    assert registry.describe("one+two")["offered"] is False


def test_changed_member_withdraws_the_ensemble(two_models: Path):
    write_ensemble_record(two_models, "one+two", ["one", "two"])
    assert registry.validate_name("one+two") == "one+two"
    card = ModelCard.load(two_models / "two")
    card.calibration = {"temperature": 1.5}  # recalibrated since the ensemble was validated
    card.save(two_models / "two")
    with pytest.raises(registry.ModelNotOfferedError, match="two changed since it was validated"):
        registry.validate_name("one+two")


def test_shipped_ensemble_not_listed_when_not_offered(two_models: Path):
    members = registry.ensemble_members(registry.ENSEMBLE_NAME)
    if len(members) < 2:
        pytest.skip("fewer than two shipped models")
    (two_models / "ensembles.json").write_text(json.dumps(
        {"ensemble": {"members": members, "weights": {m: 1.0 for m in members}, "offered": False,
                      "reason": "worse than vgg16"}}))
    assert registry.ENSEMBLE_NAME not in registry.available_names()
    with pytest.raises(registry.ModelNotOfferedError):
        registry.validate_name(registry.ENSEMBLE_NAME)


def test_offered_ensemble_is_the_weighted_average_with_its_temperature(two_models: Path, faces):
    card = ModelCard.load(two_models / "two")  # make the members differ
    card.calibration = {"temperature": 0.5}
    card.save(two_models / "two")
    write_ensemble_record(two_models, "one+two", ["one", "two"], weights={"one": 0.25, "two": 0.75},
                 calibration={"temperature": 2.0, "threshold": 0.4})
    x = faces[0][:4]
    one, two = registry.get_classifier("one").predict_proba(x), registry.get_classifier("two").predict_proba(x)
    expected = apply_temperature(0.25 * one + 0.75 * two, 2.0)
    assert np.allclose(registry.get_classifier("one+two").predict_proba(x), expected, atol=1e-5)
    assert registry.describe("one+two")["uncertain_below"] == 0.4

"""`python -m ml.soup` (two runs of one architecture averaged) and `ml.export --validate` drawing its hold-out
from the Training rows only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from ml.model_card import WEIGHTS_FILE, ModelCard
from ml.serving.classifiers import KerasClassifier
from ml.soup import main as soup_main
from tests.ml.conftest import write_csv


def _other_run(trained_model_dir: Path, out: Path) -> Path:
    """The tiny model with every weight moved: a stand-in for a run continued from it."""
    shutil.copytree(trained_model_dir, out)
    model = KerasClassifier(out).model
    rng = np.random.default_rng(0)
    model.set_weights([w + rng.normal(0, 0.05, w.shape).astype(w.dtype) for w in model.get_weights()])
    model.save_weights(out / WEIGHTS_FILE)
    return out


def test_soup_averages_every_weight_and_records_how(trained_model_dir: Path, tmp_path: Path):
    other = _other_run(trained_model_dir, tmp_path / "other")
    assert soup_main([str(trained_model_dir), str(other), "--alpha", "0.25", "--out", str(tmp_path / "soup")]) == 0
    base, tuned = KerasClassifier(trained_model_dir).model.get_weights(), KerasClassifier(other).model.get_weights()
    for got, a, b in zip(KerasClassifier(tmp_path / "soup").model.get_weights(), base, tuned, strict=True):
        np.testing.assert_allclose(got, 0.75 * a + 0.25 * b, rtol=1e-5, atol=1e-6)
    card = ModelCard.load(tmp_path / "soup")
    assert card.training["soup"]["alpha"] == 0.25 and card.onnx == {} and card.calibration == {}


def test_soup_refuses_other_architectures_and_bad_shares(trained_model_dir: Path, tmp_path: Path, capsys):
    other = tmp_path / "other"
    shutil.copytree(trained_model_dir, other)
    card = json.loads((other / "card.json").read_text())
    card["arch"] = "vgg16"
    (other / "card.json").write_text(json.dumps(card))
    assert soup_main([str(trained_model_dir), str(other), "--alpha", "0.5", "--out", str(tmp_path / "s")]) == 2
    assert "not the same architecture" in capsys.readouterr().err and not (tmp_path / "s").exists()
    same = str(trained_model_dir)
    assert soup_main([same, same, "--alpha", "1.5", "--out", str(tmp_path / "s")]) == 2


def test_export_validation_holds_out_training_rows_only(trained_model_dir: Path, tmp_path: Path, faces):
    from ml.export import validate
    from ml.training.datasets import load_csv, split_validation

    x, y = faces
    csv = write_csv(tmp_path / "fer.csv", x, y, ["Training" if i % 3 else "PublicTest" for i in range(len(y))])
    out = tmp_path / "copy"
    shutil.copytree(trained_model_dir, out)
    recipe = ModelCard.load(out).training["recipe"]
    _, val = split_validation(load_csv(csv, "Training"), recipe["val_fraction"], seed=recipe["seed"])
    expected = float((KerasClassifier(trained_model_dir).predict_proba(val.x).argmax(axis=1) == val.y).mean())
    assert validate(trained_model_dir, out, str(csv), "float16")["float32"] == round(expected, 4)


def test_sweep_gives_the_validation_figures_of_each_share(trained_model_dir: Path, tmp_path: Path, faces):
    from ml.soup import SWEEP, sweep
    from ml.training.datasets import load_csv, split_validation

    x, y = faces
    csv = write_csv(tmp_path / "fer.csv", x, y, ["Training"] * len(y))
    other = _other_run(trained_model_dir, tmp_path / "other")
    rows = sweep(trained_model_dir, other, str(csv), None)
    assert [r["alpha"] for r in rows] == list(SWEEP)
    recipe = ModelCard.load(other).training["recipe"]
    _, val = split_validation(load_csv(csv, "Training"), recipe["val_fraction"], seed=recipe["seed"])
    for alpha, directory in ((0.0, trained_model_dir), (1.0, other)):
        predicted = KerasClassifier(directory).predict_proba(val.x, flip=True).argmax(axis=1)
        row = next(r for r in rows if r["alpha"] == alpha)
        assert row["accuracy"] == round(float((predicted == val.y).mean()), 4) and row["faces"] == len(val)

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ml.evaluate import main as evaluate_main
from ml.model_card import ModelCard
from ml.training.metrics import summarise


def test_evaluate_json_shape_and_totals(tiny_models: str, fer_csv: Path, tmp_path: Path, capsys):
    plot = tmp_path / "confusion.png"
    code = evaluate_main(["--model", tiny_models, "--data", str(fer_csv), "--usage", "PublicTest", "--json",
                          "--plot", str(plot)])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert {"model", "n", "accuracy", "per_class", "confusion"} <= result.keys()
    assert result["model"] == "tiny"
    assert result["n"] == 14
    confusion = np.array(result["confusion"])
    assert confusion.shape == (7, 7) and confusion.sum() == result["n"]
    assert abs(np.trace(confusion) / result["n"] - result["accuracy"]) < 1e-3
    assert set(result["per_class"]) == {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_evaluate_records_figures_in_card(tiny_models: str, fer_csv: Path, trained_model_dir: Path, capsys):
    assert evaluate_main(["--model", tiny_models, "--data", str(fer_csv), "--write-card"]) == 0
    card = ModelCard.load(trained_model_dir)
    assert card.metrics["PublicTest"]["n"] == 14


def test_evaluate_unknown_model(fer_csv: Path, capsys):
    assert evaluate_main(["--model", "nope", "--data", str(fer_csv)]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err


def test_summarise_recall_per_class():
    y = np.array([0, 0, 1, 1])
    probs = np.eye(7)[[0, 1, 1, 1]]
    result = summarise(y, probs)
    assert result["accuracy"] == 0.75
    assert result["per_class"]["angry"] == 0.5 and result["per_class"]["disgust"] == 1.0
    assert result["per_class"]["fear"] is None

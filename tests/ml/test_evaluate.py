from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ml.emotions import EMOTIONS
from ml.evaluate import main as evaluate_main
from ml.model_card import ModelCard
from ml.training.labels import FERPLUS_COLUMNS, FERPLUS_TO_EMOTION
from ml.training.metrics import summarise

from .conftest import write_csv

COLUMN_OF = {emotion: FERPLUS_COLUMNS.index(column) for column, emotion in FERPLUS_TO_EMOTION.items()}


def write_votes(path: Path, labels: list[int], usages: list[str], majority_of) -> Path:
    """FER+ votes: 10 for `majority_of(i, label)` (a class index, or None for a 5-5 tie between two)."""
    lines = [",".join(FERPLUS_COLUMNS) + ",usage"]
    for i, (label, usage) in enumerate(zip(labels, usages, strict=True)):
        votes = [0] * len(FERPLUS_COLUMNS)
        winner = majority_of(i, label)
        if winner is None:
            votes[COLUMN_OF["happy"]], votes[COLUMN_OF["sad"]] = 5, 5
        else:
            votes[COLUMN_OF[EMOTIONS[winner]]] = 10
        lines.append(",".join(map(str, votes)) + f",{usage}")
    path.write_text("\n".join(lines) + "\n")
    return path


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


def test_evaluate_ferplus_robustness_and_calibration_keys(tiny_models: str, faces, tmp_path: Path, capsys):
    x, y = faces
    usages = ["Training" if i % 3 else "PublicTest" for i in range(len(y))]
    data = write_csv(tmp_path / "fer.csv", x, y, usages)
    # FER+ agrees with the FER2013 label except on every fourth face (no majority): FER+ majority accuracy is
    # then the accuracy on the other faces.
    votes = write_votes(tmp_path / "votes.csv", y.tolist(), usages, lambda i, label: None if i % 4 == 0 else label)
    code = evaluate_main(["--model", tiny_models, "--data", str(data), "--ferplus", str(votes), "--robustness",
                          "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert {"model", "n", "accuracy", "per_class", "confusion", "ece", "macro_f1", "ferplus_majority_accuracy",
            "ferplus_majority_n", "robustness"} <= result.keys()
    test_rows = [i for i in range(len(y)) if i % 3 == 0]
    assert result["ferplus_majority_n"] == sum(1 for i in test_rows if i % 4)
    assert 0.0 <= result["ece"] <= 1.0 and 0.0 <= result["macro_f1"] <= 1.0
    table = result["robustness"]
    assert list(table) == ["clean", "flip", "brightness70", "blur1", "jpeg30"]
    assert table["clean"] == {"accuracy": result["accuracy"], "drop_points": 0.0}
    for row in table.values():
        assert row["drop_points"] == round((result["accuracy"] - row["accuracy"]) * 100, 2)


def test_evaluate_refuses_votes_of_other_rows(tiny_models: str, fer_csv: Path, tmp_path: Path, capsys):
    votes = write_votes(tmp_path / "votes.csv", [0] * 5, ["PublicTest"] * 5, lambda i, label: label)
    assert evaluate_main(["--model", tiny_models, "--data", str(fer_csv), "--ferplus", str(votes)]) == 2
    assert "5 rows of votes for 14 faces" in capsys.readouterr().err


def test_evaluate_records_figures_in_card(tiny_models: str, fer_csv: Path, trained_model_dir: Path, capsys):
    assert evaluate_main(["--model", tiny_models, "--data", str(fer_csv), "--write-card"]) == 0
    card = ModelCard.load(trained_model_dir)
    assert card.metrics["PublicTest"]["n"] == 14
    assert {"ece", "macro_f1", "ece_uncalibrated"} <= card.metrics["PublicTest"].keys()


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

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ml.model_card import ModelCard
from ml.serving.classifiers import KerasClassifier
from ml.train import main as train_main
from ml.training.datasets import Dataset, split_validation
from tests.ml.conftest import write_csv


def test_training_writes_a_loadable_model_with_card(trained_model_dir: Path, faces):
    card = ModelCard.load(trained_model_dir)
    assert card.arch == "fast" and card.name == "tiny"
    assert card.training["epochs_run"] == 2
    assert 1 <= card.training["best_epoch"] <= 2
    assert card.training["recipe"]["optimizer"] == "adamw"
    assert 0.0 <= card.metrics["validation"]["accuracy"] <= 1.0
    log = json.loads((trained_model_dir / "training_log.json").read_text())
    assert [r["epoch"] for r in log] == [1, 2] and all(r["images_per_s"] > 0 for r in log)

    probs = KerasClassifier(trained_model_dir).predict_proba(faces[0][:5])
    assert probs.shape == (5, 7)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)


def test_cli_trains_and_resumes(tmp_path: Path, faces, capsys):
    x, y = faces
    data = write_csv(tmp_path / "fer.csv.gz", x, y)
    out = tmp_path / "model"
    args = ["--arch", "fast", "--data", str(data), "--out", str(out), "--batch-size", "16", "--val-fraction", "0.25"]
    assert train_main([*args, "--epochs", "1"]) == 0
    assert train_main([*args, "--epochs", "2", "--resume"]) == 0
    printed = capsys.readouterr().out
    assert "Resuming after epoch 1" in printed
    assert "img/s" in printed
    card = ModelCard.load(out)
    assert card.training["epochs_run"] == 2


def test_cli_reports_bad_data(tmp_path: Path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("emotion,pixels,Usage\n1,2 3,Training\n")
    assert train_main(["--arch", "fast", "--data", str(bad), "--out", str(tmp_path / "m")]) == 2
    assert "line 2" in capsys.readouterr().err


def test_gpu_style_run_keeps_best_weights_in_memory_and_prints_one_line_per_epoch(tmp_path: Path, faces, capsys):
    x, y = faces
    data = write_csv(tmp_path / "fer.csv", x, y)
    out = tmp_path / "model"
    assert train_main(["--arch", "fast", "--data", str(data), "--out", str(out), "--batch-size", "16",
                       "--val-fraction", "0.25", "--epochs", "2", "--no-checkpoints", "--no-progress-bar"]) == 0
    printed = capsys.readouterr().out
    assert not (out / "checkpoint").exists()
    assert (out / "model.weights.h5").is_file()
    epoch_lines = [line for line in printed.splitlines() if line.startswith("fast epoch")]
    assert len(epoch_lines) == 2 and all("val_accuracy" in line for line in epoch_lines)
    card = ModelCard.load(out)
    assert card.training["recipe"]["checkpoints"] is False
    # The weights written at the end are the best epoch's, not the last one's.
    _, val = split_validation(Dataset(x, y), 0.25, seed=0)
    accuracy = float((KerasClassifier(out).predict_proba(val.x).argmax(axis=1) == val.y).mean())
    assert accuracy == pytest.approx(card.metrics["validation"]["accuracy"], abs=1e-3)


@pytest.mark.parametrize("damage", ["contrast", "blur", "noise", "jpeg"])
def test_each_photometric_damage_changes_faces_only_when_asked(damage):
    from dataclasses import replace

    from ml.training.augmentation import AugmentConfig, augment_batch

    faces = np.random.default_rng(1).integers(0, 256, size=(8, 48, 48), dtype=np.uint8)
    still = AugmentConfig(max_shift=0, max_rotation=0, scale_range=(1, 1), flip=False, erase_probability=0)
    assert np.array_equal(augment_batch(faces, np.random.default_rng(0), still), faces)
    damaged = augment_batch(faces, np.random.default_rng(0), replace(still, **{f"{damage}_probability": 1.0}))
    assert damaged.dtype == np.uint8 and damaged.shape == faces.shape
    assert (damaged != faces).mean() > 0.3


def write_votes(path: Path, y: np.ndarray) -> Path:
    """Eight FER+ votes for each face's label and two for neutral, one row per face in `y`'s order."""
    from ml.emotions import EMOTIONS
    from ml.training.labels import FERPLUS_COLUMNS, FERPLUS_TO_EMOTION

    by_emotion = {emotion: column for column, emotion in FERPLUS_TO_EMOTION.items()}
    lines = [",".join(FERPLUS_COLUMNS) + ",usage"]
    for label in y:
        counts = dict.fromkeys(FERPLUS_COLUMNS, 0)
        counts[by_emotion[EMOTIONS[label]]] += 8
        counts["neutral"] += 2
        lines.append(",".join(str(counts[c]) for c in FERPLUS_COLUMNS) + ",Training")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_refuses_votes_in_another_row_order(tmp_path: Path, faces, capsys):
    x, y = (np.concatenate([part] * 4) for part in faces)  # the check needs 100 faces or more
    data = write_csv(tmp_path / "fer.csv", x, y)
    other_order = np.random.default_rng(0).permutation(y)
    assert (other_order == y).mean() < 0.4  # a shuffle that moved most labels
    shuffled = write_votes(tmp_path / "votes.csv", other_order)
    args = ["--arch", "fast", "--data", str(data), "--out", str(tmp_path / "m"), "--ferplus", str(shuffled)]
    assert train_main(args) == 2
    assert "row order" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_cli_trains_on_ferplus_votes_and_a_teacher(tmp_path: Path, faces, tiny_models: str):
    x, y = faces
    data = write_csv(tmp_path / "fer.csv", x, y)
    votes = write_votes(tmp_path / "votes.csv", y)
    out = tmp_path / "model"
    args = ["--arch", "fast", "--data", str(data), "--out", str(out), "--batch-size", "16", "--val-fraction", "0.25",
            "--epochs", "1", "--ferplus", str(votes), "--teacher", tiny_models, "--robust"]
    assert train_main(args) == 0
    card = ModelCard.load(out)
    assert card.training["labels"]["teacher"] == tiny_models and card.training["labels"]["ferplus_weight"] == 0.5
    assert 0.0 <= card.metrics["validation"]["ferplus_majority_accuracy"] <= 1.0
    assert card.training["recipe"]["augment"]["blur_probability"] > 0
    assert (out / "teacher.npy").is_file()


def test_cli_refuses_votes_for_other_rows_and_an_unknown_teacher(tmp_path: Path, faces, capsys):
    from ml.training.labels import FERPLUS_COLUMNS

    x, y = faces
    data = write_csv(tmp_path / "fer.csv", x, y)
    votes = tmp_path / "votes.csv"
    votes.write_text(",".join(FERPLUS_COLUMNS) + ",usage\n" + ",".join(["1"] + ["0"] * 9) + ",Training\n")
    base = ["--arch", "fast", "--data", str(data), "--out", str(tmp_path / "m")]
    assert train_main([*base, "--ferplus", str(votes)]) == 2
    assert "not the same rows" in capsys.readouterr().err
    assert train_main([*base, "--teacher", "no-such-model"]) == 2
    assert "unknown model" in capsys.readouterr().err

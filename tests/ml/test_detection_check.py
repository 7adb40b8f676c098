from __future__ import annotations

import json

import numpy as np
import pytest

from ml.detection_check import Outcome, is_match, main, match, summarise
from ml.detection_scenes import PlacedFace, build_scenes
from ml.faces import Box


def test_matching_rule_on_a_hand_made_photo():
    truths = [Box(0, 0, 100, 100), Box(300, 0, 50, 50)]
    found = [
        Box(10, 10, 90, 90, 0.9),  # centre (55, 55) in face 0, side ratio 0.9: a hit
        Box(20, 20, 70, 70, 0.8),  # also on face 0, scores lower: a duplicate, so a false hit
        Box(260, -40, 120, 120, 0.95),  # centre (320, 20) in face 1, but 120/50 = 2.4 times its side: false hit
        Box(500, 300, 60, 60, 0.99),  # on the background: false hit
    ]
    matched, false_hits = match(truths, found)
    assert matched == [0, None] and false_hits == 3
    # The size bound works both ways: 0.5 times the side is still the face, less is not.
    assert is_match(truths[1], Box(313, 13, 25, 25)) and not is_match(truths[1], Box(314, 14, 24, 24))
    # The higher-scoring of two detections on one face is the one that counts.
    assert match(truths[:1], [Box(20, 20, 70, 70, 0.5), Box(10, 10, 90, 90, 0.7)]) == ([1], 1)
    assert match(truths, []) == ([None, None], 0)


def test_recall_by_group_and_false_hits_per_photo():
    def outcome(side: int, angle: float, size: str, found: bool) -> Outcome:
        face = PlacedFace(0, 0, side, angle, 0)  # found: a box of 0.8 the side, shifted down by 0.1 of it
        return Outcome(0, face, size, Box(side // 10, side // 5, side * 4 // 5, side * 4 // 5) if found else None)

    outcomes = [outcome(50, 0.0, "640x480", True), outcome(60, 10.0, "640x480", False),
                outcome(100, 0.0, "1280x960", True), outcome(200, -8.0, "1280x960", True)]
    summary = summarise(outcomes, false_hits=3, images=2, ms=[10.0, 30.0])
    assert summary["recall"] == 0.75 and summary["faces"] == 4
    assert summary["by_side"]["40-79"] == {"recall": 0.5, "faces": 2}
    assert summary["by_side"]["80-159"] == {"recall": 1.0, "faces": 1}
    assert summary["upright"]["recall"] == 1.0 and summary["turned"] == {"recall": 0.5, "faces": 2}
    assert summary["by_photo"] == {"640x480": {"recall": 0.5, "faces": 2}, "1280x960": {"recall": 1.0, "faces": 2}}
    assert summary["false_hits_per_image"] == 1.5
    assert summary["ms_per_image"]["p50"] == 20.0
    assert summary["framing_of_hits"] == {"side_ratio_p50": 0.8, "dx_p50": 0.0, "dy_p50": 0.1, "mean_iou": 0.64}


def test_scenes_are_deterministic_and_faces_fit_apart(faces):
    x, _ = faces
    first, again = build_scenes(x, 6, seed=3), build_scenes(x, 6, seed=3)
    assert all(np.array_equal(a.rgb, b.rgb) and a.faces == b.faces for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0].rgb, build_scenes(x, 1, seed=4)[0].rgb)
    assert {s.rgb.shape for s in first} == {(480, 640, 3), (960, 1280, 3)}
    for scene in first:
        height, width = scene.rgb.shape[:2]
        assert 1 <= len(scene.faces) <= 6
        for i, face in enumerate(scene.faces):
            assert 0 <= face.x and face.x + face.side <= width and 0 <= face.y and face.y + face.side <= height
            assert 40 <= face.side <= 300 and abs(face.angle) <= 20
            assert all(face.box.iou(other.box) == 0 for other in scene.faces[i + 1:])


def test_scene_arguments_are_checked(faces):
    with pytest.raises(ValueError, match="expected \\(N, H, W\\) grey faces"):
        build_scenes(np.zeros((0, 48, 48), np.uint8), 1)
    with pytest.raises(ValueError, match="min_side <= max_side"):
        build_scenes(faces[0], 1, min_side=100, max_side=50)


def test_cli_reports_and_saves_every_face(fer_csv, tmp_path, capsys):
    saved = tmp_path / "detections.json"
    assert main(["--data", str(fer_csv), "--images", "2", "--detectors", "blazeface", "--json",
                 "--min-scores", "0.6", "0.9", "--save", str(saved)]) == 0
    report = json.loads(capsys.readouterr().out)
    row = report["detectors"]["blazeface"]
    assert report["images"] == 2 and row["faces"] == report["faces"] > 0
    assert [entry["min_score"] for entry in row["score_sweep"]] == [0.6, 0.9]
    assert row["score_sweep"][0]["recall"] == row["recall"]  # 0.6 is the detector's own floor
    data = json.loads(saved.read_text())
    faces = data["detectors"]["blazeface"]["faces"]
    assert len(faces) == report["faces"] and len(data["images"]) == 2
    assert sum(f["detected"] is not None for f in faces) == round(row["recall"] * row["faces"])
    assert len(data["detectors"]["blazeface"]["false_hits"]) == round(row["false_hits_per_image"] * 2)


def test_cli_refuses_a_missing_data_file(tmp_path, capsys):
    assert main(["--data", str(tmp_path / "none.csv"), "--images", "1"]) == 2
    assert "error:" in capsys.readouterr().err

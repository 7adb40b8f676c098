from __future__ import annotations

from pathlib import Path

from PIL import Image

from ml.curves import main as curves_main


def test_curves_draw_a_png_from_training_logs(trained_model_dir: Path, tmp_path: Path):
    out = tmp_path / "curves.png"
    assert curves_main([str(trained_model_dir), "--out", str(out)]) == 0
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width > 400


def test_curves_name_a_missing_log(tmp_path: Path, capsys):
    assert curves_main([str(tmp_path / "nothing"), "--out", str(tmp_path / "c.png")]) == 2
    assert "training_log.json" in capsys.readouterr().err

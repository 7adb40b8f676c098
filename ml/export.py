"""`python -m ml.export MODEL_DIR [OUT_DIR] [--onnx --data CSV]`: compact weights and/or ONNX.

Compact copy (`OUT_DIR`): for bringing GPU-trained models back (files of at most 16 MiB) and for
shipping them compactly: writes the card, the training log and `weights-f16.npz[.NNN]` (or
`weights-int8.npz[.NNN]` with `--format int8`), then reloads the result and checks its
predictions against the float32 model. With `--validate DATA`, it also measures both on the
training run's validation hold-out (same fraction and seed as the card's recipe) and records the
compact copy's accuracy in its card. The copy drops any ONNX export: it no longer matches.

ONNX (`--onnx`): exports the model (in OUT_DIR when given, else in MODEL_DIR) to `model.onnx`
for serving with ONNX Runtime, checks it against Keras on the PublicTest rows of `--data` and
records it in the card; exits 1 and leaves the directory unchanged when the check fails. Needs
the TensorFlow backend.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np

from ml.model_card import ONNX_FILE, ModelCard, ModelFileError
from ml.weights_io import DEFAULT_PART_BYTES, FORMATS, save_compact


def export(model_dir: Path, out_dir: Path, part_bytes: int = DEFAULT_PART_BYTES, fmt: str = "float16") -> float:
    """Write the compact copy; return the largest probability difference it causes."""
    from ml.serving.classifiers import KerasClassifier

    source = KerasClassifier(model_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in ("card.json", "training_log.json"):
        if (model_dir / name).is_file() and model_dir.resolve() != out_dir.resolve():
            shutil.copy2(model_dir / name, out_dir / name)
    save_compact(source.model, out_dir, part_bytes, fmt)
    _drop_onnx(out_dir)
    faces = np.random.default_rng(0).integers(0, 256, size=(16, 48, 48), dtype=np.uint8)
    compact = KerasClassifier(out_dir)
    return float(np.abs(compact.predict_proba(faces) - source.predict_proba(faces)).max())


def _drop_onnx(directory: Path) -> None:
    """New weights invalidate an ONNX export: forget it (the registry serves ONNX only when the card records it)."""
    card = ModelCard.load(directory)
    if card.onnx or (directory / ONNX_FILE).exists():
        (directory / ONNX_FILE).unlink(missing_ok=True)
        card.onnx = {}
        card.save(directory)
        print(f"Removed the ONNX export of {directory}: it was made from other weights")


def validate(model_dir: Path, out_dir: Path, data_path: str, fmt: str) -> dict[str, float]:
    """Accuracy of the float32 and compact weights on the card's validation hold-out."""
    from ml.serving.classifiers import KerasClassifier
    from ml.training import holdouts

    card = ModelCard.load(out_dir)
    # The rows the run trained on: the CSV's Training rows (the .npz holds only those); a CSV read whole would
    # mix PublicTest into the split and draw another hold-out, with faces the model trained on.
    _, val = holdouts.split(holdouts.training_rows(data_path), card.training.get("recipe", {}), data_path)
    result = {}
    for label, directory in (("float32", model_dir), (fmt, out_dir)):
        predicted = KerasClassifier(directory).predict_proba(val.x).argmax(axis=1)
        result[label] = round(float((predicted == val.y).mean()), 4)
    card.metrics.setdefault("validation", {})[f"accuracy_{fmt}"] = result[fmt]
    card.training["weights_format"] = fmt
    card.save(out_dir)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.export", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir", type=Path)
    p.add_argument("out_dir", type=Path, nargs="?", help="write a compact copy here")
    p.add_argument("--part-mib", type=float, default=DEFAULT_PART_BYTES / 2**20)
    p.add_argument("--format", choices=tuple(FORMATS), default="float16")
    p.add_argument("--validate", metavar="DATA", help="the training data: measure both on its validation hold-out")
    p.add_argument("--onnx", action="store_true",
                   help="export model.onnx for serving (checked on PublicTest of --data)")
    p.add_argument("--data", help="FER2013 CSV with PublicTest rows, for the ONNX parity check")
    p.add_argument("--onnx-float32", action="store_true", help="keep float32 weights in model.onnx (default float16)")
    args = p.parse_args(argv)
    if args.out_dir is None and not args.onnx:
        p.error("give OUT_DIR for a compact copy, --onnx for an ONNX export, or both")
    if args.onnx and not args.data:
        p.error("--onnx needs --data (a FER2013 CSV with PublicTest rows) for its parity check")
    if args.out_dir is not None:
        if (args.out_dir / "model.weights.h5").exists():
            print(f"error: {args.out_dir} already holds float32 weights; choose an empty directory", file=sys.stderr)
            return 2
        diff = export(args.model_dir, args.out_dir, int(args.part_mib * 2**20), args.format)
        print(f"Wrote {args.out_dir}; largest probability change from {args.format}: {diff:.5f}")
        if args.validate:
            accuracy = validate(args.model_dir, args.out_dir, args.validate, args.format)
            print(f"Validation accuracy: {json.dumps(accuracy)}")
    if args.onnx:
        return export_onnx_cli(args.out_dir or args.model_dir, args.data, not args.onnx_float32, argv)
    return 0


def export_onnx_cli(directory: Path, data: str, float16: bool, argv: list[str] | None) -> int:
    from ml.training.datasets import DatasetError
    from ml.training.onnx_export import OnnxExportError, ParityError, export_onnx

    command = "python -m ml.export " + " ".join(sys.argv[1:] if argv is None else argv)
    try:
        record = export_onnx(directory, data, float16=float16, command=command)
    except ParityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OnnxExportError, DatasetError, ModelFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    check = record["parity"]
    print(f"Wrote {directory / record['file']} ({record['bytes'] / 2**20:.1f} MiB, "
          f"weights {record['weights_stored']}); on {check['usage']} ({check['n']} faces): largest probability "
          f"difference {check['max_abs_probability_diff']}, accuracy {check['keras_accuracy']} (Keras) / "
          f"{check['onnx_accuracy']} (ONNX)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

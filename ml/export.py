"""`python -m ml.export MODEL_DIR OUT_DIR`: copy a model directory with float16 (split) weights.

For bringing GPU-trained models back (files of at most 16 MiB) and for shipping them compactly:
writes the card, the training log and `weights-f16.npz[.NNN]`, then reloads the result and
checks its predictions against the float32 model.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np

from ml.weights_io import DEFAULT_PART_BYTES, save_compact


def export(model_dir: Path, out_dir: Path, part_bytes: int = DEFAULT_PART_BYTES) -> float:
    """Write the compact copy; return the largest probability difference it causes."""
    from ml.classifiers import KerasClassifier

    source = KerasClassifier(model_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in ("card.json", "training_log.json"):
        if (model_dir / name).is_file() and model_dir.resolve() != out_dir.resolve():
            shutil.copy2(model_dir / name, out_dir / name)
    save_compact(source.model, out_dir, part_bytes)
    faces = np.random.default_rng(0).integers(0, 256, size=(16, 48, 48), dtype=np.uint8)
    compact = KerasClassifier(out_dir)
    return float(np.abs(compact.predict_proba(faces) - source.predict_proba(faces)).max())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.export", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    p.add_argument("--part-mib", type=float, default=DEFAULT_PART_BYTES / 2**20)
    args = p.parse_args(argv)
    if (args.out_dir / "model.weights.h5").exists():
        print(f"error: {args.out_dir} already holds float32 weights; choose an empty directory", file=sys.stderr)
        return 2
    diff = export(args.model_dir, args.out_dir, int(args.part_mib * 2**20))
    print(f"Wrote {args.out_dir}; largest probability change from float16: {diff:.5f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

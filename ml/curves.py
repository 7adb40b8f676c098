"""`python -m ml.curves MODEL_DIR [MODEL_DIR ...] --out FILE.png`: draw training curves.

Reads each directory's `training_log.json` (written by `ml.train`) and plots training and
validation accuracy per epoch against training time, one colour per model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ml.training.plots import plot_training_curves


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml.curves", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dirs", nargs="+", type=Path)
    p.add_argument("--out", required=True, type=Path)
    args = p.parse_args(argv)
    logs = {}
    for directory in args.model_dirs:
        log_path = directory / "training_log.json"
        try:
            logs[directory.name] = json.loads(log_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            print(f"error: cannot read {log_path}: {exc}", file=sys.stderr)
            return 2
    print(f"Wrote {plot_training_curves(logs, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

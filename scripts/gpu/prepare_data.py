"""The Training faces for a GPU run, as arrays in the CSV's row order: what the FER+ votes line up with.

The shared `fer2013_training_arrays.npz.xz` holds the same faces in another order, so FER+ soft targets
built on it would pair each face with another face's votes. This writes `.data/fer2013_training.npz.xz`
from the CSV instead and checks the pairing (`ml.training.labels.check_votes_line_up`) before anything
travels.

    python scripts/gpu/prepare_data.py CSV VOTES_CSV OUT_NPZ_XZ
"""

from __future__ import annotations

import io
import lzma
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ml.training.datasets import load_csv  # noqa: E402
from ml.training.labels import check_votes_line_up, load_ferplus_votes  # noqa: E402


def main(csv: str, votes_csv: str, out: str) -> None:
    data = load_csv(csv, "Training")
    check_votes_line_up(data.y, load_ferplus_votes(votes_csv, "Training"), votes_csv)
    buffer = io.BytesIO()
    np.savez(buffer, x=data.x, y=data.y)
    Path(out).write_bytes(lzma.compress(buffer.getvalue(), preset=6))
    print(f"{out}: {len(data)} Training faces in CSV order, FER+ votes line up")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])

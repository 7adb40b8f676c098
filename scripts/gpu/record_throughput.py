"""Store a model's row of a `python -m ml.bench --json` throughput report in its card (GPU runs).

    python scripts/gpu/record_throughput.py CARD_JSON BENCH_JSON
"""

import json
import subprocess
import sys
from pathlib import Path

card_path, bench_path = Path(sys.argv[1]), Path(sys.argv[2])
card = json.loads(card_path.read_text())
bench = json.loads(bench_path.read_text())
row = next(r for r in bench["throughput"] if r["model"] == card["name"])
try:
    gpu = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                         text=True, check=True).stdout.strip()
except (OSError, subprocess.CalledProcessError):
    gpu = "no GPU (rehearsal)"
card.setdefault("metrics", {})["throughput"] = {
    "device": gpu,
    "backend": bench["backend"],
    "faces_per_s": row["faces_per_s"],
    "command": "python -m ml.bench --throughput-only --batches 64 256",
}
card.setdefault("training", {})["device"] = gpu
card_path.write_text(json.dumps(card, indent=2) + "\n")
print(f"{card['name']}: {row['faces_per_s']} faces/s on {gpu}")

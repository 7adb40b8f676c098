#!/usr/bin/env bash
# Run ON THE GPU MACHINE (device tool), one architecture per call so that what comes back stays
# under the tool's limits (8 files, 16 MiB each, 64 MiB in all):
#   bash scripts/gpu/train_on_device.sh vgg16 4.5        # train for 4.5 minutes of wall clock
# Optional environment: EPOCHS (default 60; the schedule follows the time budget when it is
# shorter), BATCH (128), LR (0.01), OPTIMIZER (sgd), WORKERS (12), INIT (a model dir to
# continue from), EXTRA (more ml.train flags).
# Writes under $OUT/<arch>/: card.json (with GPU throughput), training_log.json and float16
# weight parts; and $OUT/run.log. Rehearse here first: DEVICE_REHEARSAL=1 (see docs/gpu.md).
set -euo pipefail
arch="$1"; minutes="$2"
OUT="${OUT:-var/device-out}"
mkdir -p "$OUT/$arch"
exec > >(tee "$OUT/run.log") 2>&1
PY="${PYTHON:-python3}"

if [ -d .whl ] && [ -z "${DEVICE_REHEARSAL:-}" ]; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH="/tmp/site:$PWD"
fi
export KERAS_BACKEND="${KERAS_BACKEND:-jax}" PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$PY" -c "import keras, numpy; print('keras', keras.__version__, keras.config.backend(), 'numpy', numpy.__version__)"
"$PY" -c "import jax; print('jax', jax.__version__, jax.devices())" || true

run_dir="/tmp/fer-run"
rm -rf "$run_dir/$arch"
flags=()
[ -n "${INIT:-}" ] && flags+=(--init-weights "$INIT")
if [ -n "${DEVICE_REHEARSAL:-}" ]; then flags+=(--limit 2000); else flags+=(--mixed-precision); fi
# Progress bars redraw with \r: keep one line per 10 batches in the log.
"$PY" -m ml.train --arch "$arch" --data .data/fer2013_training_arrays.npz.xz --usage "" \
  --out "$run_dir/$arch" --epochs "${EPOCHS:-60}" --budget-minutes "$minutes" \
  --optimizer "${OPTIMIZER:-sgd}" --lr "${LR:-0.01}" --weight-decay 5e-4 --batch-size "${BATCH:-128}" \
  --workers "${WORKERS:-12}" "${flags[@]}" ${EXTRA:-} | tr '\r' '\n' | grep -v -E '^\s*$' | awk 'NR % 10 == 1 || /epoch|Epoch|Wrote|Train|Resum|Start|budget/'

"$PY" -m ml.export "$run_dir/$arch" "$OUT/$arch"
FER_MODELS_DIR="$run_dir" "$PY" -m ml.bench --models "$arch" --throughput-only --batches 64 256 \
  --seconds "${BENCH_SECONDS:-5}" --json > "$run_dir/throughput.json"
"$PY" scripts/gpu/record_throughput.py "$OUT/$arch/card.json" "$run_dir/throughput.json"
ls -la "$OUT/$arch"

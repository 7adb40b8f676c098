#!/usr/bin/env bash
# Run ON THE GPU MACHINE (device tool). Trains one or more architectures side by side, each in its
# own process (own GIL for its augmentation threads; the GPU has room for both), for MINUTES of
# wall clock each, then exports, validates and benchmarks them:
#   bash scripts/gpu/train_on_device.sh "vgg16 resnet50:int8" 7
# ARCH[:FORMAT]: FORMAT is float16 (default) or int8, the compact weights brought back; what
# comes back is capped at 8 files, 16 MiB each, 64 MiB in all, and VGG16 in float16 (29 MB) plus
# ResNet50 in float16 (47 MB) is over it, so ResNet50 travels as int8 (24 MB).
# Optional environment: EPOCHS (default 400; the schedule follows the time budget when it is
# shorter), BATCH (128), LR (0.01), OPTIMIZER (sgd), WORKERS (threads per run; default splits
# the cores), INIT (a models folder holding <arch>/ to continue from), LABELS (the target flags;
# default: FER+ soft targets from .data/ferplus_votes.csv and the photometric augmentation, on the
# device), EXTRA (more ml.train flags).
# Writes under $OUT/<arch>/: card.json (with validation accuracy of the compact weights and GPU
# throughput), training_log.json and the weight parts; nothing else, to stay within 8 files.
# Rehearse here first: DEVICE_REHEARSAL=1 (see docs/gpu.md).
set -euo pipefail
specs="$1"; minutes="$2"
OUT="${OUT:-var/device-out}"
PY="${PYTHON:-python3}"
run_dir="/tmp/fer-run"
rm -rf "$run_dir"; mkdir -p "$run_dir" "$OUT"
data=.data/fer2013_training.npz.xz  # CSV order (scripts/gpu/prepare_data.py)

if [ -d .whl ] && [ -z "${DEVICE_REHEARSAL:-}" ]; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH="/tmp/site:$PWD"
fi
export KERAS_BACKEND="${KERAS_BACKEND:-jax}" PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
export TF_CPP_MIN_LOG_LEVEL=2
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$PY" -c "import keras, numpy, cv2; print('keras', keras.__version__, keras.config.backend(), 'numpy', numpy.__version__, 'cv2', cv2.__version__)"
"$PY" -c "import jax; print('jax', jax.__version__, jax.devices())" || true

count=$(wc -w <<< "$specs")
workers="${WORKERS:-$(( $(nproc) / count - 1 ))}"
[ "$workers" -ge 2 ] || workers=2
flags=(--no-checkpoints --no-progress-bar)
# FER+ votes as soft targets (half the target), no label smoothing on top of soft targets, and the
# augmentation (affine, contrast, blur, noise, erasing, re-equalisation) inside the compiled step.
labels="${LABELS:---ferplus .data/ferplus_votes.csv --ferplus-weight 0.5 --label-smoothing 0 --robust --augment-on-device}"
if [ -n "${DEVICE_REHEARSAL:-}" ]; then flags+=(--limit "${REHEARSAL_LIMIT:-2000}"); else flags+=(--mixed-precision); fi

declare -A pid_of
for spec in $specs; do
  arch="${spec%%:*}"
  init=()
  [ -n "${INIT:-}" ] && init=(--init-weights "$INIT/$arch")
  "$PY" -m ml.train --arch "$arch" --data "$data" --usage "" --out "$run_dir/$arch" \
    --epochs "${EPOCHS:-400}" --budget-minutes "$minutes" --optimizer "${OPTIMIZER:-sgd}" --lr "${LR:-0.01}" \
    --weight-decay 5e-4 --batch-size "${BATCH:-128}" --workers "$workers" "${flags[@]}" "${init[@]}" $labels ${EXTRA:-} \
    > "$run_dir/$arch.log" 2>&1 &
  pid_of[$arch]=$!
  echo "started $arch (pid $!, $workers augmentation threads)"
done
# Progress as it goes: every epoch line of every run, interleaved.
tail -q -n +1 -F --pid=$$ "$run_dir"/*.log 2>/dev/null | grep --line-buffered -E "epoch [0-9]+:|Training|Traceback|Error|budget|Wrote" &
tailer=$!

exported=()
for spec in $specs; do
  arch="${spec%%:*}"; fmt="float16"; [ "$spec" != "$arch" ] && fmt="${spec#*:}"
  if wait "${pid_of[$arch]}"; then
    "$PY" -m ml.export "$run_dir/$arch" "$OUT/$arch" --format "$fmt" --validate "$data" && exported+=("$arch")
  else
    echo "training $arch FAILED; its log ends:"; tail -n 30 "$run_dir/$arch.log"
  fi
done
kill "$tailer" 2>/dev/null || true

# Batched inference throughput of what ships (the compact weights), plus the CPU model for scale.
# Keras on the device's backend: the shipped fast's ONNX export would need onnxruntime-gpu there.
if [ "${#exported[@]}" -gt 0 ]; then
  FER_MODEL_RUNTIME=keras FER_MODELS_DIR="$OUT" "$PY" -m ml.bench --models fast "${exported[@]}" --throughput-only --batches 64 256 \
    --seconds "${BENCH_SECONDS:-4}" --json > "$run_dir/throughput.json" || true
  cat "$run_dir/throughput.json" || true
  for arch in "${exported[@]}"; do
    "$PY" scripts/gpu/record_throughput.py "$OUT/$arch/card.json" "$run_dir/throughput.json" || true
  done
fi
ls -la "$OUT"/*

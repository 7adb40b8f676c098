#!/usr/bin/env bash
# Run HERE (the build machine) before a device call: puts the Keras wheels for the GPU machine's
# Python 3.12 in .whl/ and the FER2013 Training arrays in .data/, both git-ignored via
# .git/info/exclude, so the device tool can carry them (carry: [".whl", ".data"]).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
grep -qsx '/.whl/' .git/info/exclude || echo '/.whl/' >> .git/info/exclude
grep -qsx '/.data/' .git/info/exclude || echo '/.data/' >> .git/info/exclude
# Where the committed big weights wait during a device call (the tree that travels is capped at 64 MiB).
grep -qsx '/.aside/' .git/info/exclude || echo '/.aside/' >> .git/info/exclude
mkdir -p .whl .data
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 -d .whl keras==3.15.1 namex==0.1.0 optree==0.20.0
# The Training faces in the CSV's row order (the shared .npz has another order, which would pair faces with
# other faces' FER+ votes), checked against the votes; then the votes themselves. Data: only carried.
VOTES="${FERPLUS_VOTES:-../shared/datasets/ferplus/ferplus_votes.csv}"
"${PYTHON:-.venv/bin/python}" scripts/gpu/prepare_data.py "${FER2013_CSV:-../shared/datasets/fer2013/fer2013.csv.xz}" \
  "$VOTES" .data/fer2013_training.npz.xz
cp -f "$VOTES" .data/
du -sh .whl .data
# The tree that travels is capped at 64 MiB: the committed weights of the big models must wait aside.
tracked_mib=$(git ls-files -z | xargs -0 du -ck 2>/dev/null | tail -n1 | awk '{print int($1/1024)}')
echo "Tracked files: ${tracked_mib} MiB (+ .whl and .data carried)"
if [ -d ml/models/vgg16 ] || [ -d ml/models/resnet50 ]; then
  echo "Before the device call: mkdir -p .aside && mv ml/models/vgg16 ml/models/resnet50 .aside/"
  echo "After it:               mv .aside/vgg16 .aside/resnet50 ml/models/"
fi
echo "Ready. Device call: command 'bash scripts/gpu/train_on_device.sh "ARCH[:FORMAT] ..." MINUTES', carry ['.whl', '.data']."

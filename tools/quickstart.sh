#!/usr/bin/env bash
# One command from a fresh clone to a kNN accuracy on real CIFAR-10, on CPU:
#   1. set up .venv with the tested dependency set (tools/setup_env.sh);
#   2. prepare CIFAR-10 offline from ../shared/data/cifar10-jpg.tar.gz
#      (or $CIFAR10_SOURCE) into data/cifar10;
#   3. train the mmbank method on the CPU protocol's data and network, 64
#      samples x 2 views a step with the views made batched, 40 epochs
#      (configs/membank/membank_resnet18-std-w32_1xb64x2-coslr-40e_cifar10-10k.py),
#      with the kNN monitor on the validation queries after epochs 20, 40;
#   4. print the weighted-kNN accuracy of the final checkpoint on the test
#      set (tools/knn.py) beside the floors of the same memory and queries:
#      raw pixels and the randomly initialised network
#      (tools/benchmarks/knn_floors.py).
# Extra arguments go to tools/train.py (e.g. --cfg-options ...).
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${CONFIG:-configs/membank/membank_resnet18-std-w32_1xb64x2-coslr-40e_cifar10-10k.py}
WORK_DIR=${WORK_DIR:-work_dirs/quickstart}
SOURCE=${CIFAR10_SOURCE:-../shared/data/cifar10-jpg.tar.gz}
start=$(date +%s)

bash tools/setup_env.sh
PY=.venv/bin/python
$PY tools/prepare_cifar.py "$SOURCE" data/cifar10 --skip-existing
$PY tools/train.py "$CONFIG" --work-dir "$WORK_DIR" "$@"
CKPT=$(cat "$WORK_DIR/last_checkpoint")
$PY tools/knn.py "$CONFIG" "$CKPT" --k 200 --temperature 0.1 --exact \
    --no-progress --out "$WORK_DIR/knn.json"
echo
$PY tools/benchmarks/knn_floors.py "$CONFIG" --queries test --exact \
    --trained "$WORK_DIR/knn.json" --out "$WORK_DIR/floors.json"
echo "Quick start done in $(( $(date +%s) - start )) s; results in $WORK_DIR/{knn,floors}.json"

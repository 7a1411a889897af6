#!/usr/bin/env bash
# On a machine with an NVIDIA GPU and the CUDA provider installed (Sink Lens: Install CUDA Provider,
# or onnxruntime-node installed with ONNXRUNTIME_NODE_INSTALL=cuda12): the analysis on CUDA and on
# the CPU for the same model and prompt, with the largest difference of every report number.
#   bench/gpu-check.sh [MODEL] [TOKENS]   (default: the 24-layer bench fixture, 2048 tokens)
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-.cache/fixtures/llama-bench-24}"
tokens="${2:-2048}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi not found"
if [ ! -f "$model/model.onnx" ] && [ ! -f "$model" ]; then
  /usr/bin/python3 tools/torch_ref/export_fixtures.py --out .cache/fixtures --only "$(basename "$model")"
fi
[ -f out/bench/gpuCheck.js ] || { npm run build >/dev/null && npx tsc -p tsconfig.test.json; }
node out/bench/gpuCheck.js "$model" "$tokens"

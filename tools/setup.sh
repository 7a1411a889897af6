#!/usr/bin/env bash
# Python side of the fixture tools (tools/torch_ref): Debian's torch 1.13 + onnx for
# /usr/bin/python3 (PyPI is not reachable here). OpenBLAS makes torch's matmul ~8x faster.
# Idempotent: does nothing when they are already there. CI calls it.
set -euo pipefail

if /usr/bin/python3 -c 'import torch, onnx, numpy' 2>/dev/null \
  && dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  echo "tools/setup.sh: python3-torch, python3-onnx, python3-numpy, OpenBLAS already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y python3-torch python3-onnx python3-numpy libopenblas0-pthread
/usr/bin/python3 -c 'import torch, onnx; print("tools/setup.sh: torch", torch.__version__, "onnx", onnx.__version__)'

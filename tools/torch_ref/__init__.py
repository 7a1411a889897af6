"""PyTorch reference and ONNX fixtures for Sink Lens (see README.md).

The modules import each other by plain name (`from models import ...`) so the scripts run as
`/usr/bin/python3 tools/torch_ref/X.py`; importing the package puts this folder on sys.path so
`import tools.torch_ref.models` works too.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

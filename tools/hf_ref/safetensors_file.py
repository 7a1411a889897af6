"""The safetensors format, written and read with the standard library, numpy and torch (Debian has
no `safetensors` package). As documented (huggingface/safetensors, "Format"): an unsigned 64-bit
little-endian N, then N bytes of UTF-8 JSON {name: {"dtype", "shape", "data_offsets": [begin, end]},
"__metadata__": {str: str}}, padded with spaces to a multiple of 8 as the reference writer does,
then the tensors' bytes, row-major, little-endian, offsets relative to the end of the header.
"""
import json
import struct

import numpy as np
import torch

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
NUMPY = {"F32": np.float32, "F16": np.float16, "BF16": np.int16}  # bf16: raw 16-bit words


def tensor_bytes(tensor):
    tensor = tensor.detach().contiguous().cpu()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().tobytes()
    return tensor.numpy().tobytes()


BYTES = {"F32": 4, "F16": 2, "BF16": 2}


def write(path, tensors, metadata=None):
    """tensors: {name: torch tensor of float32, float16 or bfloat16}, written in the given order.
    A value may also be (shape, dtype, make): `make()` is called only when its bytes are written,
    so a large checkpoint is never held in memory at once."""
    header = {"__metadata__": dict(metadata or {"format": "pt"})}
    offset = 0
    for name, value in tensors.items():
        shape, dtype = (value[0], value[1]) if isinstance(value, tuple) else (value.shape, value.dtype)
        size = BYTES[DTYPES[dtype]] * int(np.prod(shape, dtype=np.int64))
        header[name] = {"dtype": DTYPES[dtype], "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name, value in tensors.items():
            data = tensor_bytes(value[2]() if isinstance(value, tuple) else value)
            begin, end = header[name]["data_offsets"]
            assert len(data) == end - begin, f"{name}: {len(data)} bytes, header says {end - begin}"
            f.write(data)
    return offset


def read(path):
    """{name: torch tensor} in the stored dtype (float32, float16 or bfloat16)."""
    with open(path, "rb") as f:
        content = f.read()
    (length,) = struct.unpack("<Q", content[:8])
    header = json.loads(content[8:8 + length])
    start = 8 + length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(content[start + begin:start + end], dtype=NUMPY[entry["dtype"]]).copy()
        tensor = torch.from_numpy(array).reshape(entry["shape"])
        tensors[name] = tensor.view(torch.bfloat16) if entry["dtype"] == "BF16" else tensor
    return tensors

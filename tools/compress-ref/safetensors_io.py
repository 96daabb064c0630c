"""A minimal .safetensors writer/reader (u64 header length, JSON header, little-endian data)."""
import json
import struct

import numpy as np
import torch

_DTYPES = {torch.float32: ("F32", np.float32), torch.int32: ("I32", np.int32),
           torch.uint8: ("U8", np.uint8), torch.int8: ("I8", np.int8), torch.float64: ("F64", np.float64)}
_BY_NAME = {name: (dt, npt) for dt, (name, npt) in _DTYPES.items()}


def save(path, tensors, metadata=None):
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        dname, npt = _DTYPES[t.dtype]
        data = t.numpy().astype(npt).astype(np.dtype(npt).newbyteorder("<")).tobytes()
        header[name] = {"dtype": dname, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        dt, npt = _BY_NAME[e["dtype"]]
        b, end = e["data_offsets"]
        arr = np.frombuffer(raw[8 + n + b:8 + n + end], dtype=np.dtype(npt).newbyteorder("<"))
        out[name] = torch.from_numpy(arr.astype(npt).reshape(e["shape"]).copy())
    return out

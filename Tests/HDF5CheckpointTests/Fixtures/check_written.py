"""Checks an HDF5 file Transfuse wrote against a manifest, reading it with plain h5py by
the rules of Schemas/HDF5-LAYOUT.md (f16 via numpy float16, bf16 via h5py's float32).

    python check_written.py FILE MANIFEST.json

MANIFEST: {"tensors": [{"name", "dtype", "shape", "sha256"}...], "metadata": {...},
"config": str or null} (sha256 of the little-endian tensor bytes). Exit 0 when equal.
"""
import hashlib
import json
import sys

import h5py
import numpy as np

from transfuse_h5 import ESCAPED, dataset_paths, escaped_link, plain_parts, tensor_bytes


def locate(f, name):
    escaped = f"/{ESCAPED}/{escaped_link(name)}"
    if escaped in f:
        return escaped
    parts = plain_parts(name)
    return "/" + "/".join(parts) if parts is not None else None


def check(path, manifest):
    problems = []
    with h5py.File(path, "r") as f:
        if f.attrs.get("transfuse_layout_version") != 1:
            problems.append(f"transfuse_layout_version is {f.attrs.get('transfuse_layout_version')!r}")
        order = json.loads(f.attrs["transfuse_tensor_order"])
        expected = manifest["tensors"]
        if order != [t["name"] for t in expected]:
            problems.append(f"order {order} != {[t['name'] for t in expected]}")
        metadata = json.loads(f.attrs["transfuse_metadata"])
        if metadata != manifest.get("metadata", {}):
            problems.append(f"metadata {metadata} != {manifest.get('metadata')}")
        config = f.attrs.get("transfuse_config")
        if config != manifest.get("config"):
            problems.append(f"config {config!r} != {manifest.get('config')!r}")
        used = set()
        for t in expected:
            where = locate(f, t["name"])
            if where is None or where not in f:
                problems.append(f"{t['name']!r}: no dataset")
                continue
            used.add(where)
            ds = f[where]
            tag = ds.attrs.get("dtype")
            if tag != t["dtype"]:
                problems.append(f"{t['name']!r}: dtype attribute {tag!r} != {t['dtype']}")
            if list(ds.shape) != t["shape"]:
                problems.append(f"{t['name']!r}: shape {list(ds.shape)} != {t['shape']}")
            value = ds[()]
            if t["dtype"] == "F16" and np.asarray(value).dtype != np.float16:
                problems.append(f"{t['name']!r}: h5py reads {np.asarray(value).dtype}, not float16")
            if t["dtype"] == "BOOL" and np.asarray(value).dtype != np.bool_:
                problems.append(f"{t['name']!r}: h5py reads {np.asarray(value).dtype}, not bool")
            if t["dtype"] == "BF16":
                # h5py reads bf16 as float32; HDF5's conversion may change NaN payloads, so
                # compare values NaN-aware and take the exact bits with the file's own type.
                raw = np.empty(ds.shape, dtype="<u2")
                if raw.size:
                    ds.id.read(h5py.h5s.ALL, h5py.h5s.ALL, raw, mtype=ds.id.get_type())
                as_float = (raw.astype("<u4") << 16).view("<f4")
                value = np.asarray(value)
                if value.dtype != np.float32 or not np.array_equal(value, as_float, equal_nan=True):
                    problems.append(f"{t['name']!r}: h5py's float32 values differ from the bf16 bits")
                data = raw.tobytes()
            else:
                data = tensor_bytes(t["dtype"], value)
            digest = hashlib.sha256(data).hexdigest()
            if digest != t["sha256"]:
                problems.append(f"{t['name']!r}: bytes differ (sha256 {digest} != {t['sha256']})")
        extra = sorted(set(dataset_paths(f)) - used)
        if extra:
            problems.append(f"datasets not in the manifest: {extra}")
    return problems


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: check_written.py FILE MANIFEST.json")
    with open(sys.argv[2]) as m:
        manifest = json.load(m)
    problems = check(sys.argv[1], manifest)
    for p in problems:
        print(f"{sys.argv[1]}: {p}", file=sys.stderr)
    print(f"{sys.argv[1]}: {'OK' if not problems else 'FAILED'} ({len(manifest['tensors'])} tensors)")
    sys.exit(1 if problems else 0)

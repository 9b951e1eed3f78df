#!/usr/bin/env python3
"""Checks that the Python `safetensors` package reads a file Transfuse wrote as Transfuse meant.

    python check_written.py FILE MANIFEST.json

FILE is a `.safetensors` file or a sharded `*.safetensors.index.json`. MANIFEST.json, written
by the Swift test that wrote FILE, is {"metadata": {..}, "tensors": [{"name", "dtype",
"shape", "sha256"}, ...]} in Transfuse's store order. Checked: the tensor set, every dtype,
shape and sha256 of the bytes (through `safetensors.numpy.load_file` / `safe_open` where
numpy has the dtype, and `safetensors.deserialize` for all, BF16 included), the metadata
(plus `format: pt`), the order of the header / weight_map, and for an index its
total_size. Exit status 0 when everything matches, 1 otherwise. Needs numpy and safetensors.
"""
import hashlib
import json
import os
import struct
import sys

import safetensors
from safetensors import safe_open
from safetensors.numpy import load_file


def header_names(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))  # json keeps the file's key order
    return [k for k in header if k != "__metadata__"]


def read_file(path):
    """name -> (dtype tag, shape, bytes), plus metadata and header order."""
    with open(path, "rb") as f:
        decoded = {name: info for name, info in safetensors.deserialize(f.read())}
    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata() or {}
        numpy_names = [n for n in f.keys() if decoded[n]["dtype"] != "BF16"]
    if all(info["dtype"] != "BF16" for info in decoded.values()):
        arrays = load_file(path)
    else:  # numpy has no bfloat16: load the others one by one
        with safe_open(path, framework="numpy") as f:
            arrays = {n: f.get_tensor(n) for n in numpy_names}
    tensors = {}
    for name, info in decoded.items():
        data = bytes(info["data"])
        if name in arrays:
            array = arrays[name]  # tobytes() is row-major whatever the strides
            if array.tobytes() != data or list(array.shape) != list(info["shape"]):
                raise AssertionError(f"{path}: numpy and raw reads of '{name}' disagree")
        tensors[name] = (info["dtype"], list(info["shape"]), data)
    return tensors, metadata, header_names(path)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    path, manifest_path = sys.argv[1], sys.argv[2]
    with open(manifest_path) as f:
        manifest = json.load(f)
    expected_metadata = {"format": "pt", **manifest["metadata"]}
    problems = []

    if path.endswith(".index.json"):
        with open(path) as f:
            index = json.load(f)
        folder = os.path.dirname(path)
        tensors, order = {}, list(index["weight_map"])
        for shard in dict.fromkeys(index["weight_map"].values()):
            shard_tensors, metadata, _ = read_file(os.path.join(folder, shard))
            if metadata != expected_metadata:
                problems.append(f"{shard}: metadata {metadata} != {expected_metadata}")
            for name, value in shard_tensors.items():
                if index["weight_map"].get(name) != shard:
                    problems.append(f"{shard}: '{name}' is not mapped to this shard")
                tensors[name] = value
        total = sum(len(v[2]) for v in tensors.values())
        if index["metadata"].get("total_size") != total:
            problems.append(f"total_size {index['metadata'].get('total_size')} != {total}")
    else:
        tensors, metadata, order = read_file(path)
        if metadata != expected_metadata:
            problems.append(f"metadata {metadata} != {expected_metadata}")

    expected_names = [t["name"] for t in manifest["tensors"]]
    if order != expected_names:
        problems.append(f"order {order} != {expected_names}")
    if set(tensors) != set(expected_names):
        problems.append(f"tensor names differ: {sorted(set(tensors) ^ set(expected_names))}")
    for t in manifest["tensors"]:
        if t["name"] not in tensors:
            continue
        dtype, shape, data = tensors[t["name"]]
        if (dtype, shape) != (t["dtype"], t["shape"]):
            problems.append(f"'{t['name']}': {dtype} {shape} != {t['dtype']} {t['shape']}")
        if hashlib.sha256(data).hexdigest() != t["sha256"]:
            problems.append(f"'{t['name']}': bytes differ")

    for problem in problems:
        print(f"{path}: {problem}")
    if not problems:
        print(f"{path}: {len(tensors)} tensors read by safetensors {safetensors.__version__} as written")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Writes the safetensors fixtures of SafeTensorsTests with the reference implementation.

Run from anywhere (writes beside this script):
    python make_fixtures.py

Needs the PyPI packages numpy, safetensors and huggingface_hub (no torch). Writes:
  dtypes.safetensors        every dtype numpy can express, a scalar, an empty [0, 4] tensor,
                            metadata; written by safetensors.numpy.save_file
  bf16.safetensors          BF16 (and F32) tensors: numpy has no bfloat16, so the header is
                            written here by hand and the file checked with safetensors.deserialize
  odd_names.safetensors     tensor names with unicode, quotes, backslashes, slashes, spaces,
                            control characters and the empty string
  sharded/                  model-0000k-of-0000n.safetensors + model.safetensors.index.json,
                            split by huggingface_hub's splitter, index as transformers writes it
  malformed/*.safetensors   small broken files with the error the reference reports
  fuzz-seeds/               seed inputs for the libFuzzer target
  manifest.json             expected tensors (name, dtype, shape, sha256 of the bytes, and the
                            float values of small float tensors), metadata, the expected shard
                            plan and the malformed cases
  SHA256SUMS                sha256sum of every file written
"""
import hashlib
import json
import os
import shutil
import struct

import numpy as np
import safetensors
from huggingface_hub.serialization import split_state_dict_into_shards_factory
from safetensors.numpy import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(20240229)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def header_order(path):
    """Tensor names in the order the header JSON lists them (json keeps object order)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
    return [k for k in header if k != "__metadata__"], header.get("__metadata__") or {}


def describe(path, raw=None):
    """Expected tensors of a valid file, read back with the reference implementation."""
    data = open(path, "rb").read()
    decoded = {name: info for name, info in safetensors.deserialize(data)}
    order, metadata = header_order(path)
    loaded = load_file(path) if raw is None else {}
    tensors = []
    for name in order:
        info = decoded[name]
        entry = {"name": name, "dtype": info["dtype"], "shape": list(info["shape"]),
                 "nbytes": len(info["data"]), "sha256": sha256(bytes(info["data"]))}
        if name in loaded:
            array = loaded[name]
            assert array.tobytes() == bytes(info["data"]), name
            if array.dtype.kind == "f" and array.size <= 16:
                entry["values"] = [float(v) for v in array.reshape(-1)]
        if raw is not None and name in raw:
            entry["values"] = raw[name]
        tensors.append(entry)
    return {"metadata": metadata, "tensors": tensors}


# MARK: - Valid files

def write_dtypes():
    tensors = {
        "f64.matrix": RNG.standard_normal((2, 3)).astype(np.float64),
        "f32.matrix": RNG.standard_normal((3, 4)).astype(np.float32),
        "f16.vector": RNG.standard_normal(5).astype(np.float16),
        "i64.position_ids": np.arange(7, dtype=np.int64).reshape(1, 7) - 3,
        "i32.vector": np.array([-2**31, -1, 0, 1, 2**31 - 1], dtype=np.int32),
        "i16.vector": np.array([-32768, -1, 0, 32767], dtype=np.int16),
        "i8.vector": np.array([-128, -1, 0, 127], dtype=np.int8),
        "u8.image": RNG.integers(0, 256, size=(2, 2, 3), dtype=np.uint8),
        "u16.vector": np.array([0, 1, 65535], dtype=np.uint16),
        "u32.vector": np.array([0, 1, 2**32 - 1], dtype=np.uint32),
        "u64.vector": np.array([0, 1, 2**64 - 1], dtype=np.uint64),
        "bool.mask": np.array([True, False, True, True, False]),
        "c64.vector": np.array([1 + 2j, -3.5 - 0.25j], dtype=np.complex64),
        "scalar.f32": np.array(3.25, dtype=np.float32),
        "empty.f32": np.zeros((0, 4), dtype=np.float32),
    }
    path = os.path.join(HERE, "dtypes.safetensors")
    save_file(tensors, path, metadata={"format": "pt", "source": "make_fixtures.py"})
    return path


def bf16_bits(values):
    """bfloat16 bit patterns of float32 values, rounded to nearest even (finite inputs)."""
    bits = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def write_bf16():
    values = np.array([[1.0, -2.5, 3.140625], [0.1, 65504.0, -1e-3]], dtype=np.float32)
    bits = bf16_bits(values)
    exact = bits.astype(np.uint32) << 16
    tensors = [("bf16.weight", "BF16", [2, 3], bits.tobytes()),
               ("f32.bias", "F32", [3], np.array([0.5, -0.5, 2.0], np.float32).tobytes()),
               ("bf16.scalar", "BF16", [], bf16_bits([1.5]).tobytes())]
    # Reference layout: sorted by alignment (descending) then name, header padded to 8.
    order = sorted(tensors, key=lambda t: (-{"BF16": 2, "F32": 4}[t[1]], t[0]))
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, dtype, shape, data in order:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    path = os.path.join(HERE, "bf16.safetensors")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(t[3] for t in order))
    raw = {"bf16.weight": [float(v) for v in exact.view(np.float32).reshape(-1)],
           "bf16.scalar": [1.5], "f32.bias": [0.5, -0.5, 2.0]}
    return path, raw


ODD_NAMES = ["", " ", "with space", "slash/in/name", "back\\slash", 'quote"d', "ünïcödé.权重.🙂",
             "tab\tnew\nline", "control\u0001char", "trailing.", ".leading", "a..b", "__metadata"]


def write_odd_names():
    tensors = {name: np.full((i % 3 + 1,), i, dtype=np.float32) for i, name in enumerate(ODD_NAMES)}
    path = os.path.join(HERE, "odd_names.safetensors")
    save_file(tensors, path, metadata={"note": 'quotes " and \\ backslashes, ü'})
    return path


def write_sharded():
    folder = os.path.join(HERE, "sharded")
    os.makedirs(folder)
    state = {
        "embeddings.weight": RNG.standard_normal((4, 6)).astype(np.float32),   # 96 bytes
        "layer.0.weight": RNG.standard_normal((6, 6)).astype(np.float16),      # 72
        "layer.0.bias": RNG.standard_normal(6).astype(np.float32),             # 24
        "huge.weight": RNG.standard_normal((8, 8)).astype(np.float32),         # 256 > max: own shard
        "layer.1.weight": RNG.standard_normal((6, 6)).astype(np.float16),      # 72
        "layer.1.bias": RNG.standard_normal(6).astype(np.float32),             # 24
        "position_ids": np.arange(6, dtype=np.int64).reshape(1, 6),           # 48
    }
    split = split_state_dict_into_shards_factory(
        state, get_storage_size=lambda t: t.nbytes, get_storage_id=lambda t: None,
        filename_pattern="model{suffix}.safetensors", max_shard_size=128)
    for filename, names in split.filename_to_tensors.items():
        save_file({n: state[n] for n in names}, os.path.join(folder, filename), metadata={"format": "pt"})
    index = {"metadata": split.metadata, "weight_map": split.tensor_to_filename}
    index_path = os.path.join(folder, "model.safetensors.index.json")
    with open(index_path, "w") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")  # as transformers writes it
    with open(index_path) as f:
        weight_map = json.load(f)["weight_map"]
    tensors = []
    for name in weight_map:  # the index's order
        array = state[name]
        tensors.append({"name": name, "dtype": {"float32": "F32", "float16": "F16", "int64": "I64"}[str(array.dtype)],
                        "shape": list(array.shape), "nbytes": array.nbytes, "sha256": sha256(array.tobytes()),
                        "shard": weight_map[name]})
    plan = {"max_shard_size": 128,
            "tensors": [{"name": name, "nbytes": int(array.nbytes)} for name, array in state.items()],
            "shards": list(split.filename_to_tensors.values())}
    return {"index": "sharded/model.safetensors.index.json", "metadata": {"format": "pt"},
            "total_size": split.metadata["total_size"], "tensors": tensors}, plan


# MARK: - Malformed files, each checked against the reference reader

def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def build(header_text: bytes, data: bytes, length=None):
    n = len(header_text) if length is None else length
    return struct.pack("<Q", n) + header_text + data


def js(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


MALFORMED = {
    # name: (bytes, Transfuse error name)
    "header_too_small": (b"\x10\x00\x00", "HeaderTooSmall"),
    "header_too_large": (struct.pack("<Q", 100_000_001) + b"{}", "HeaderTooLarge"),
    "invalid_header_length": (build(b'{"a":{}}', b"", length=4096), "InvalidHeaderLength"),
    "invalid_utf8": (build(b'{"\xff":' + js(entry("U8", [1], 0, 1)) + b"}", b"\x00"), "InvalidHeaderDeserialization"),
    "invalid_json": (build(b'{"a":{"dtype":"U8",}}', b""), "InvalidHeaderDeserialization"),
    "unknown_dtype": (build(js({"a": entry("F128", [1], 0, 16)}), b"\x00" * 16), "InvalidHeaderDeserialization"),
    "negative_dim": (build(js({"a": entry("U8", [-1], 0, 0)}), b""), "InvalidHeaderDeserialization"),
    "missing_offsets": (build(js({"a": {"dtype": "U8", "shape": [1]}}), b"\x00"), "InvalidHeaderDeserialization"),
    "metadata_not_string": (build(js({"__metadata__": {"epochs": 3}, "a": entry("U8", [1], 0, 1)}), b"\x00"),
                            "InvalidHeaderDeserialization"),
    "tensor_invalid_info": (build(js({"a": entry("F32", [2, 2], 0, 12)}), b"\x00" * 12), "TensorInvalidInfo"),
    "offset_gap": (build(js({"a": entry("U8", [4], 0, 4), "b": entry("U8", [4], 8, 12)}), b"\x00" * 12), "InvalidOffset"),
    "offset_overlap": (build(js({"a": entry("U8", [4], 0, 4), "b": entry("U8", [4], 2, 6)}), b"\x00" * 6), "InvalidOffset"),
    "first_not_zero": (build(js({"a": entry("U8", [4], 4, 8)}), b"\x00" * 8), "InvalidOffset"),
    "incomplete_buffer": (build(js({"a": entry("U8", [4], 0, 4)}), b"\x00" * 3), "MetadataIncompleteBuffer"),
    "trailing_bytes": (build(js({"a": entry("U8", [4], 0, 4)}), b"\x00" * 5), "MetadataIncompleteBuffer"),
    "shape_overflow": (build(js({"a": entry("F32", [2**40, 2**40], 0, 0)}), b""), "ValidationOverflow"),
    # The reference accepts these two; Transfuse refuses them.
    "duplicate_name": (build(b'{"a":' + js(entry("U8", [1], 0, 1)) + b',"a":' + js(entry("U8", [1], 0, 1)) + b"}",
                             b"\x00"), "DuplicateTensorName"),
    "unknown_field": (build(js({"a": {**entry("U8", [1], 0, 1), "extra": 1}}), b"\x00"),
                      "InvalidHeaderDeserialization"),
}


def write_malformed():
    folder = os.path.join(HERE, "malformed")
    os.makedirs(folder)
    cases = {}
    for name, (data, expected) in MALFORMED.items():
        path = os.path.join(folder, name + ".safetensors")
        with open(path, "wb") as f:
            f.write(data)
        try:
            safetensors.deserialize(data)
            reference = "accepted"
        except Exception as error:  # the reference's message, for the record
            reference = str(error)
        if expected in ("DuplicateTensorName",) or name == "unknown_field":
            assert reference == "accepted", (name, reference)
        else:
            assert reference != "accepted", name
        cases[f"malformed/{name}.safetensors"] = {"error": expected, "reference": reference}
    return cases


def write_fuzz_seeds():
    folder = os.path.join(HERE, "fuzz-seeds")
    os.makedirs(folder)
    for name in ["dtypes.safetensors", "bf16.safetensors", "odd_names.safetensors",
                 "malformed/offset_gap.safetensors", "malformed/metadata_not_string.safetensors",
                 "malformed/duplicate_name.safetensors"]:
        shutil.copy(os.path.join(HERE, name), os.path.join(folder, name.replace("/", "-")))


def main():
    for name in ["dtypes.safetensors", "bf16.safetensors", "odd_names.safetensors", "manifest.json", "SHA256SUMS"]:
        if os.path.exists(os.path.join(HERE, name)):
            os.remove(os.path.join(HERE, name))
    for folder in ["sharded", "malformed", "fuzz-seeds"]:
        shutil.rmtree(os.path.join(HERE, folder), ignore_errors=True)

    manifest = {"generator": "make_fixtures.py", "safetensors": safetensors.__version__, "numpy": np.__version__,
                "files": {}}
    manifest["files"]["dtypes.safetensors"] = describe(write_dtypes())
    path, raw = write_bf16()
    manifest["files"]["bf16.safetensors"] = describe(path, raw=raw)
    manifest["files"]["odd_names.safetensors"] = describe(write_odd_names())
    manifest["sharded"], manifest["shard_plan"] = write_sharded()
    manifest["malformed"] = write_malformed()
    write_fuzz_seeds()
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")

    generated = []
    for root, _, files in os.walk(HERE):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), HERE)
            if rel.endswith(".py") or rel == "SHA256SUMS" or "__pycache__" in rel or rel == ".keep":
                continue
            generated.append(rel)
    with open(os.path.join(HERE, "SHA256SUMS"), "w") as f:
        for rel in sorted(generated):
            f.write(f"{sha256(open(os.path.join(HERE, rel), 'rb').read())}  {rel}\n")
    print(f"wrote {len(generated)} fixtures to {HERE}")


if __name__ == "__main__":
    main()

"""Regenerates the HDF5 interop fixtures of HDF5CheckpointTests.

Needs numpy, h5py, keras (+ torch as its backend); run from anywhere:
    KERAS_BACKEND=torch python make_fixtures.py
Writes *.h5, manifest.json (expected layout, names in order, dtypes, shapes, sha256 of the
little-endian tensor bytes, metadata, config) and SHA256SUMS into this folder.
"""
import hashlib
import json
import os
import re
import subprocess

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py
import numpy as np

from transfuse_h5 import NUMPY, assign_paths, create_tracked_file, require_tracked_group, write_tensor, tensor_bytes

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2024)
manifest = {}


def sha(data):
    return hashlib.sha256(data).hexdigest()


def natural_key(path):
    """Per path component: digit runs by value, other runs as text (Transfuse's order for
    files that do not track creation order)."""
    key = []
    for part in path.strip("/").split("/"):
        runs = re.findall(r"\d+|\D+", part)
        key.append(([(0, int(r), "") if r.isdigit() else (1, 0, r) for r in runs], part))
    return key


def entry(name, tag, value):
    value = np.asarray(value)
    return {"name": name, "dtype": tag, "shape": list(value.shape), "sha256": sha(tensor_bytes(tag, value))}


def sample(tag, shape):
    if tag in ("F64", "F32", "F16"):
        return rng.standard_normal(shape).astype(NUMPY[tag])
    if tag == "BOOL":
        return rng.integers(0, 2, shape).astype("?")
    info = np.iinfo(NUMPY[tag])
    return rng.integers(info.min, info.max, shape, dtype=NUMPY[tag], endpoint=True)


# MARK: flat layout (f[name] = array), no creation order: read in natural name order
def make_flat():
    tensors = {
        "embeddings.weight": sample("F32", (4, 3)),
        "encoder.layer.0.weight": sample("F16", (2, 3)),
        "encoder.layer.9.bias": sample("F64", (3,)),
        "encoder.layer.10.bias": sample("F16", (3,)),
        "position_ids": np.arange(6, dtype="<i8").reshape(1, 6),
        "mask": sample("BOOL", (5,)),
        "scalar": np.float32(3.25),
        "empty": np.zeros((0, 3), dtype="<f4"),
        "big_endian": rng.standard_normal((2, 2)).astype(">f4"),
        "i32": sample("I32", (3,)), "i16": sample("I16", (3,)), "i8": sample("I8", (3,)),
        "u8": sample("U8", (3,)), "u16": sample("U16", (3,)), "u32": sample("U32", (3,)), "u64": sample("U64", (3,)),
    }
    tags = {"big_endian": "F32", "scalar": "F32", "empty": "F32", "position_ids": "I64", "mask": "BOOL",
            "embeddings.weight": "F32", "encoder.layer.0.weight": "F16", "encoder.layer.9.bias": "F64",
            "encoder.layer.10.bias": "F16"}
    with h5py.File(os.path.join(HERE, "flat.h5"), "w") as f:
        for name, value in tensors.items():
            f[name] = value
    order = sorted(tensors, key=natural_key)
    manifest["flat.h5"] = {"layout": "flat", "metadata": {}, "config": None,
                           "tensors": [entry(n, tags.get(n, n.upper()), tensors[n]) for n in order]}


# MARK: nested groups, untracked (natural order) and tracked (creation order), some gzip
def make_nested():
    tensors = []
    for i in (0, 1, 2, 10):
        tensors.append((f"vit/encoder/layer/{i}/attention/query/weight", sample("F32", (4, 4))))
        tensors.append((f"vit/encoder/layer/{i}/attention/query/bias", sample("F16", (4,))))
    tensors.append(("vit/embeddings/cls_token", sample("F32", (1, 1, 4))))
    tensors.append(("classifier/weight", sample("F32", (3, 4))))
    with h5py.File(os.path.join(HERE, "nested.h5"), "w") as f:
        for k, (path, value) in enumerate(tensors):
            if k % 3 == 0 and value.ndim:
                f.create_dataset(path, data=value, compression="gzip", shuffle=True, chunks=True)
            else:
                f[path] = value
    order = sorted(tensors, key=lambda t: natural_key(t[0]))
    manifest["nested.h5"] = {"layout": "nested", "metadata": {}, "config": None,
                             "tensors": [entry(p.replace("/", "."), "F32" if v.dtype == np.float32 else "F16", v)
                                         for p, v in order]}

    created = [("zeta/weight", sample("F32", (2,))), ("alpha/weight", sample("F32", (2,))),
               ("alpha/bias", sample("F64", (1,))), ("mid", sample("I32", (2,)))]
    with create_tracked_file(os.path.join(HERE, "nested_tracked.h5")) as f:
        for path, value in created:
            group_path, _, link = path.rpartition("/")
            require_tracked_group(f, group_path)[link] = value
    manifest["nested_tracked.h5"] = {"layout": "nested", "metadata": {}, "config": None,
                                     "tensors": [entry(p.replace("/", "."), {"<f4": "F32", "<f8": "F64", "<i4": "I32"}[v.dtype.str], v)
                                                 for p, v in created]}


# MARK: the canonical layout written by plain h5py from Schemas/HDF5-LAYOUT.md
def make_canonical():
    tensors = [
        ("vit.embeddings.cls_token", "F32", sample("F32", (1, 1, 4))),
        ("vit.encoder.layer.0.attention.query.weight", "BF16", rng.integers(0, 1 << 16, (4, 4), dtype="<u2") & 0x7F7F),
        ("vit.encoder.layer.0.attention.query.bias", "F16", sample("F16", (4,))),
        ("a.b", "I64", sample("I64", (2,))),
        ("a.b.c", "I32", sample("I32", (2,))),
        ("path/with/slashes", "U8", sample("U8", (3,))),
        ("double..dot", "I16", sample("I16", (2,))),
        (".leading", "I8", sample("I8", (1,))),
        ("trailing.", "U16", sample("U16", (1,))),
        ("", "U32", sample("U32", (1,))),
        ("ünïcødé.名前", "F64", sample("F64", (2,))),
        ("__escaped__.x", "U64", sample("U64", (1,))),
        ("flags", "BOOL", sample("BOOL", (4,))),
        ("scalar", "F32", np.float32(-1.5)),
        ("empty", "F16", np.zeros((2, 0), dtype="<f2")),
        ("100%", "F32", sample("F32", (1,))),
    ]
    names = [t[0] for t in tensors]
    metadata = {"format": "pt", "note": "written by h5py from the layout document"}
    config = json.dumps({"model_type": "vit", "hidden_size": 4}, indent=2)
    with create_tracked_file(os.path.join(HERE, "canonical_h5py.h5")) as f:
        f.attrs["transfuse_layout_version"] = 1
        f.attrs["transfuse_tensor_order"] = json.dumps(names, ensure_ascii=False)
        f.attrs["transfuse_metadata"] = json.dumps(metadata, ensure_ascii=False)
        f.attrs["transfuse_config"] = config
        for (name, tag, value), path in zip(tensors, assign_paths(names)):
            write_tensor(f, path, tag, value)
    entries = []
    for name, tag, value in tensors:
        if tag == "BF16":
            entries.append({"name": name, "dtype": tag, "shape": list(value.shape), "sha256": sha(value.astype("<u2").tobytes())})
        else:
            entries.append(entry(name, tag, value))
    manifest["canonical_h5py.h5"] = {"layout": "transfuse", "metadata": metadata, "config": config, "tensors": entries}


# MARK: legacy Keras .h5 written by h5py as tf.keras does (fixed-length byte string arrays)
def make_keras_legacy_h5py():
    layers = [("dense", [("dense/kernel:0", sample("F32", (3, 4))), ("dense/bias:0", sample("F32", (4,)))]),
              ("dropout", []),
              ("layer_norm", [("layer_norm/gamma:0", sample("F32", (4,))), ("layer_norm/beta:0", sample("F32", (4,)))]),
              ("dense_1", [("dense_1/kernel:0", sample("F16", (4, 2))), ("dense_1/bias:0", sample("F16", (2,)))])]
    with h5py.File(os.path.join(HERE, "keras_legacy_h5py.h5"), "w") as f:
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        names = np.array([name.encode() for name, _ in layers])  # dtype S10
        f.attrs["layer_names0"] = names[:2]  # split as Keras does for large attributes
        f.attrs["layer_names1"] = names[2:]
        for layer, weights in layers:
            g = f.create_group(layer)
            g.attrs["weight_names"] = np.array([w.encode() for w, _ in weights]) if weights else np.array([])
            for w, value in reversed(weights):  # storage order must not matter
                g[w] = value
    manifest["keras_legacy_h5py.h5"] = {
        "layout": "kerasLegacy", "metadata": {}, "config": None,
        "tensors": [entry(w, "F32" if v.dtype == np.float32 else "F16", v) for _, ws in layers for w, v in ws]}


# MARK: really written by Keras 3: model.save_weights(".weights.h5") and legacy model.save(".h5")
def make_keras():
    import keras
    keras.utils.set_random_seed(7)
    inp = keras.Input((3,), dtype="int32")
    x = keras.layers.Embedding(10, 4)(inp)
    x = keras.layers.LayerNormalization()(x)
    x = keras.layers.Dense(5, dtype="bfloat16")(x)
    x = keras.layers.Dense(2)(x)
    model = keras.Model(inp, x)
    weights_path = os.path.join(HERE, "keras3.weights.h5")
    legacy_path = os.path.join(HERE, "keras3_legacy.h5")
    model.save_weights(weights_path)
    model.save(legacy_path)

    def read(ds):
        value = ds[()]
        tag = "BF16" if ds.dtype.kind == "V" else {"<f4": "F32"}[ds.dtype.str]
        return tag, np.asarray(value)

    with h5py.File(weights_path, "r") as f:
        found = []
        f.visititems(lambda n, o: found.append(n) if isinstance(o, h5py.Dataset) else None)
        tensors = []
        for path in sorted(found, key=natural_key):
            tag, value = read(f[path])
            tensors.append({"name": path, "dtype": tag, "shape": list(value.shape), "sha256": sha(value.tobytes())})
    manifest["keras3.weights.h5"] = {"layout": "keras3", "metadata": {}, "config": None, "tensors": tensors}

    with h5py.File(legacy_path, "r") as f:
        g = f["model_weights"]
        tensors = []
        for layer in g.attrs["layer_names"]:
            layer = layer.decode() if isinstance(layer, bytes) else layer
            for w in g[layer].attrs["weight_names"]:
                w = w.decode() if isinstance(w, bytes) else w
                tag, value = read(g[layer][w])
                tensors.append({"name": w, "dtype": tag, "shape": list(value.shape), "sha256": sha(value.tobytes())})
    manifest["keras3_legacy.h5"] = {"layout": "kerasLegacy", "metadata": {}, "config": None, "tensors": tensors}


if __name__ == "__main__":
    make_flat()
    make_nested()
    make_canonical()
    make_keras_legacy_h5py()
    make_keras()
    with open(os.path.join(HERE, "manifest.json"), "w") as out:
        json.dump(manifest, out, indent=1, ensure_ascii=False, sort_keys=True)
        out.write("\n")
    files = sorted(f for f in os.listdir(HERE) if f.endswith(".h5") or f == "manifest.json")
    sums = subprocess.run(["sha256sum", *files], cwd=HERE, check=True, capture_output=True, text=True).stdout
    with open(os.path.join(HERE, "SHA256SUMS"), "w") as out:
        out.write(sums)

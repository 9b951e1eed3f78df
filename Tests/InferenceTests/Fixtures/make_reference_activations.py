"""Activation fixtures from the paper's own capture code (graldij/transformer-fusion,
otfusion/utils.py `get_activations`: forward hooks on every module, flatten, seq_filter,
std/center/norm), on the tiny 8×8-grid ViT that make_fixtures.py writes to vit_grid8/.

The reference code is not committed here: pass the folder holding its `otfusion/` package, e.g.
    git --git-dir=<mirror of graldij/transformer-fusion> archive HEAD otfusion | tar -x -C /tmp/tfref
    /work/main/.venv-paper/bin/python make_reference_activations.py /tmp/tfref

It needs transformers 4.x (the reference finds modules by their 4.x names; 4.46.3 used here),
torch, h5py, safetensors, matplotlib (imported by the reference's utils).

Writes reference_activations_vit_grid8_<seq_filter>_<transform>.h5: one dataset per module that
Transfuse captures (canonical names: the reference's `vit.` prefix removed), with attributes
num_samples / seq_filter / normalize. The reference's `classifier` entry is left out: it flattens
the 2-D logits into a single column, which Transfuse does not reproduce. Then refreshes SHA256SUMS.
"""
import hashlib
import json
import logging
import os
import sys

import h5py
import numpy as np
import torch
from safetensors.torch import load_file
from transformers import ViTConfig, ViTForImageClassification

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_num_threads(1)


def load_model():
    with open(os.path.join(HERE, "vit_grid8", "config.json")) as f:
        config = ViTConfig(**{k: v for k, v in json.load(f).items() if k not in ("transformers_version", "dtype")})
    model = ViTForImageClassification(config).eval()
    canonical = load_file(os.path.join(HERE, "vit_grid8", "model.safetensors"))
    state = {(k if k.startswith("classifier") else "vit." + k): v for k, v in canonical.items()}
    model.load_state_dict(state, strict=True)
    return model


def flatten_nested(tree, prefix=""):
    """The reference's nested dict back to {module name: tensor} ('data' holds a parent's own output)."""
    out = {}
    for key, value in tree.items():
        name = prefix if key == "data" else (f"{prefix}.{key}" if prefix else key)
        if isinstance(value, dict):
            out.update(flatten_nested(value, name))
        else:
            out[name] = value
    return out


def wanted(name, layers):
    keep = {"embeddings.patch_embeddings", "embeddings"}
    for i in range(layers):
        p = f"encoder.layer.{i}"
        keep |= {p, f"{p}.attention", f"{p}.attention.output.dense", f"{p}.intermediate.dense", f"{p}.output.dense",
                 f"{p}.attention.attention.query", f"{p}.attention.attention.key", f"{p}.attention.attention.value"}
    return name in keep


def main():
    sys.path.insert(0, os.path.join(sys.argv[1], "otfusion"))
    import utils as reference  # the paper's otfusion/utils.py
    reference.matrix_stats = lambda *a, **k: ""  # asks for the terminal size (ALGORITHM.md §9)

    model = load_model()
    with h5py.File(os.path.join(HERE, "vit_grid8_data.h5")) as f:
        images = torch.from_numpy(f["images"][:])
        labels = torch.from_numpy(f["labels"][:])
    num_samples = 2
    loader = [{"pixel_values": images[i:i + 1], "labels": labels[i:i + 1]} for i in range(len(images))]
    settings = [(None, "standardize"), ("window_2", "center"), ("window_6", "standardize"), ("only_cls", "l2")]
    for seq_filter, mode in settings:
        args = {"model": {"type": "hf_vit"},
                "fusion": {"acts": {"num_samples": num_samples, "seq_pos": -1, "seq_filter": seq_filter,
                                    "avg_seq_items": False, "std": mode == "standardize", "center": mode == "center",
                                    "norm": mode == "l2"}}}
        # The hooks stay registered on the model; a fresh copy per setting keeps runs independent.
        acts = reference.get_activations(args, [load_model()], loader, logging.WARNING, "cpu")["model_0"]
        flat = flatten_nested(acts)
        label = f"{seq_filter or 'all'}_{mode}"
        path = os.path.join(HERE, f"reference_activations_vit_grid8_{label}.h5")
        with h5py.File(path, "w") as f:
            f.attrs["num_samples"] = num_samples
            f.attrs["seq_filter"] = seq_filter or "all"
            f.attrs["normalize"] = mode
            for name in sorted(flat):
                canonical = name[len("vit."):] if name.startswith("vit.") else name
                if wanted(canonical, model.config.num_hidden_layers):
                    f.create_dataset(canonical, data=flat[name].numpy().astype(np.float32))
    lines = []
    for root, _, names in os.walk(HERE):
        for name in names:
            if name.endswith((".h5", ".safetensors", ".json", ".py")):
                rel = os.path.relpath(os.path.join(root, name), HERE)
                lines.append(f"{hashlib.sha256(open(os.path.join(HERE, rel), 'rb').read()).hexdigest()}  {rel}")
    with open(os.path.join(HERE, "SHA256SUMS"), "w") as out:
        out.write("\n".join(sorted(lines, key=lambda l: l.split("  ", 1)[1])) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Parity fixtures for Transfuse's `compat: reference` fusion: runs the paper's own
`hf_vit_fusion` (github.com/graldij/transformer-fusion) on the sample digit ViTs
(Samples/vit-digits-a as model_0, Samples/vit-digits-b as model_1 = the anchor) and writes

  parity/<case>.safetensors   the reference's fused tensors (HF ViT names) of the embeddings,
                              the last encoder layer, the final LayerNorm and the classifier
                              (the last layer depends on every map before it)
  parity/activations-model{0,1}.h5  the reference's own transformed activations of both
                              models in Transfuse's activations file layout
                              (Schemas/ACTIVATIONS.md), fed to Transfuse in the activation cases
  parity/cases.json           the fusion settings of each case
  SHA256SUMS                  checksums of every fixture

Usage: make_parity.py [PAPER_CHECKOUT] (or env TRANSFORMER_FUSION_DIR). Needs the paper's
environment: torch, transformers 4.x (4.46.3), POT, numpy, safetensors, h5py, pyyaml.
Run by `make fixtures`, never by `make test`.
"""
import copy
import hashlib
import json
import logging
import os
import sys
from pathlib import Path

import h5py
import numpy as np
import torch
import yaml
from safetensors.numpy import save_file

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
NUM_SAMPLES = 4          # calibration images (x 17 tokens): keeps the activation fixture small
CASES = {
    "weights-emd": dict(type="wts", ot_solver="emd"),
    "weights-sinkhorn": dict(type="wts", ot_solver="sinkhorn", sinkhorn_reg=0.06),
    "acts-emd": dict(type="acts", ot_solver="emd"),
    "acts-sinkhorn": dict(type="acts", ot_solver="sinkhorn", sinkhorn_reg=0.08),
    "weights-emd-eq_t_map": dict(type="wts", ot_solver="emd", qk_fusion="eq_t_map"),
    "weights-emd-only_resid": dict(type="wts", ot_solver="emd", resid_policy="only_resid"),
}
# Modules whose activations the reference reads in these cases (canonical names).
ACT_MODULES = ["embeddings.patch_embeddings"] + [
    f"encoder.layer.{i}.{m}" for i in range(4) for m in (
        "attention.attention.query", "attention.attention.key", "attention.attention.value",
        "attention.output.dense", "intermediate.dense", "output.dense")]
KEEP_PREFIXES = ("vit.embeddings.", "vit.encoder.layer.3.", "vit.layernorm.", "classifier.")


def write_activations(path: Path, flat: dict, model: str) -> None:
    """The reference's transformed activations in Transfuse's activations file layout
    (Schemas/ACTIVATIONS.md): root attributes, one float32 [rows, width] dataset per module."""
    with h5py.File(path, "w", track_order=True) as f:
        for key, value in [("format", "transfuse-activations/1"), ("model", model), ("family", "vit"),
                           ("dataset", "Samples/data/digits-calib.h5"), ("task", "image-classification"),
                           ("seq_filter", "all"), ("normalize", "standardize")]:
            f.attrs[key] = np.bytes_(value)
        f.attrs["num_samples"] = np.int64(NUM_SAMPLES)
        for module in ACT_MODULES:
            f.create_dataset(module, data=flat["vit." + module].numpy().astype(np.float32), track_times=False)


def main() -> None:
    paper = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TRANSFORMER_FUSION_DIR", ""))
    if not (paper / "otfusion" / "hf_vit_fusion.py").exists():
        sys.exit("usage: make_parity.py PAPER_CHECKOUT (or set TRANSFORMER_FUSION_DIR)")
    sys.path.insert(0, str(paper / "otfusion"))
    import otfusion_lib  # noqa: E402  (the paper's code)
    import utils  # noqa: E402
    from hf_vit_fusion import hf_vit_fusion  # noqa: E402
    from transformers import ViTForImageClassification  # noqa: E402

    # Its debug histogram asks for the terminal size; it is only logged.
    otfusion_lib.matrix_stats = lambda *args, **kwargs: ""
    utils.matrix_stats = otfusion_lib.matrix_stats
    torch.manual_seed(0)

    base = yaml.safe_load((paper / "experiments" / "fuse_hf_vit_cifar10.yaml").read_text())
    base["model"]["type"] = "hf_vit"
    base["model"]["dataset"] = "digits"      # not tinyimagenet/wiki: those change weight normalisation
    base["fusion"]["acts"]["num_samples"] = NUM_SAMPLES
    base["fusion"]["acts"]["seq_filter"] = None

    models = [ViTForImageClassification.from_pretrained(REPO / "Samples" / f"vit-digits-{k}").eval() for k in "ab"]
    with h5py.File(REPO / "Samples" / "data" / "digits-calib.h5", "r") as f:
        images = np.asarray(f["images"][:NUM_SAMPLES], dtype=np.float32)
        labels = np.asarray(f["labels"][:NUM_SAMPLES], dtype=np.int64)
    loader = [{"pixel_values": torch.from_numpy(images[i:i + 1]), "labels": torch.from_numpy(labels[i:i + 1])}
              for i in range(NUM_SAMPLES)]

    out = HERE / "parity"
    out.mkdir(exist_ok=True)
    cases = {}
    saved_acts = False
    for name, settings in CASES.items():
        args = copy.deepcopy(base)
        args["fusion"].update(settings)
        cases[name] = args["fusion"]
        with torch.no_grad():
            hook_dict = {}
            utils.apply_hooks(models, hook_dict)
            raw = utils.get_raw_acts(args, hook_dict, loader, models, logging.getLogger("parity"), "cpu")
            flat = utils.transform_acts(args, raw, models, logging.getLogger("parity"), "cpu")
            for m in models:
                for module in list(m.modules()):
                    module._forward_hooks.clear()
            if not saved_acts:
                for k, letter in enumerate("ab"):
                    write_activations(out / f"activations-model{k}.h5", flat[f"model_{k}"], f"Samples/vit-digits-{letter}")
                saved_acts = True
            acts = {key: utils.to_nest_dict(value, logging.getLogger("parity")) for key, value in flat.items()}
            weights = {f"model_{k}": utils.model_to_dict(models[k]) for k in range(2)}
            fused = hf_vit_fusion(args, weights, acts, 0.5, torch.device("cpu"), logging.WARNING)
        tensors = {}

        def walk(prefix, node):
            for key, value in node.items():
                if isinstance(value, dict):
                    walk(prefix + key + ".", value)
                elif isinstance(value, torch.Tensor) and (prefix + key).startswith(KEEP_PREFIXES):
                    tensors[prefix + key] = value.detach().numpy().astype(np.float32).copy()
        walk("", fused)
        save_file(tensors, str(out / f"{name}.safetensors"))
        print(f"{name}: {len(tensors)} tensors")

    (out / "cases.json").write_text(json.dumps({"num_samples": NUM_SAMPLES, "model_0": "Samples/vit-digits-a",
                                               "model_1 (anchor)": "Samples/vit-digits-b", "cases": cases},
                                              indent=1, sort_keys=True, default=str) + "\n")
    files = sorted(p for p in HERE.rglob("*") if p.is_file() and p.name != "SHA256SUMS")
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(HERE)}" for p in files]
    (HERE / "SHA256SUMS").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

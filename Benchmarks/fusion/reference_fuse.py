#!/usr/bin/env python3
"""Runs the paper's weights-mode EMD fusion (hf_vit_fusion) on two HF ViT folders and prints
the seconds spent in hf_vit_fusion. Usage: reference_fuse.py PAPER_CHECKOUT MODEL0 MODEL1."""
import copy
import logging
import sys
import time
import warnings
from pathlib import Path

import torch
import yaml


def main() -> None:
    paper, m0, m1 = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    sys.path.insert(0, str(paper / "otfusion"))
    import otfusion_lib
    import utils
    from hf_vit_fusion import hf_vit_fusion
    from transformers import ViTForImageClassification
    otfusion_lib.matrix_stats = lambda *a, **k: ""
    warnings.filterwarnings("ignore")
    args = yaml.safe_load((paper / "experiments" / "fuse_hf_vit_cifar10.yaml").read_text())
    args["model"]["type"] = "hf_vit"
    args["model"]["dataset"] = "bench"
    args["fusion"].update(type="wts", ot_solver="emd")
    args["fusion"]["acts"]["num_samples"] = 1
    args["fusion"]["acts"]["seq_filter"] = None
    models = [ViTForImageClassification.from_pretrained(p).eval() for p in (m0, m1)]
    loader = [{"pixel_values": torch.zeros(1, 3, 224, 224), "labels": torch.zeros(1, dtype=torch.long)}]
    with torch.no_grad():
        acts = utils.get_activations(args, models, loader, logging.WARNING, torch.device("cpu"))
        weights = {f"model_{k}": utils.model_to_dict(models[k]) for k in range(2)}
        start = time.perf_counter()
        hf_vit_fusion(args, weights, acts, 0.5, torch.device("cpu"), logging.WARNING)
        print(f"{time.perf_counter() - start:.2f}")


if __name__ == "__main__":
    main()

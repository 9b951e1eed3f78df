#!/usr/bin/env python3
"""Independent PyTorch reference of `transfuse fuse --refit` (the least-squares refit, Refit.swift).

Fuses the sample digit ViTs a + b with Transfuse's data defaults but without the refit
(`--data --no-refit --save-maps`), then refits the fused model's linear layers here, in PyTorch,
from the parents' own outputs mapped through the saved transport maps:

    for each linear layer in forward order (query/key/value, attention output, MLP in, MLP out),
    then the classifier:
        X1 = [inputs the layer now receives in the fused model, 1]   (every calibration token)
        Y* = 1/2 · Y_a + 1/2 · Y_b · T̃_b   (T̃_b: the map with each anchor column scaled to sum 1)
        [W | b] = argmin ‖X1·[W | b]ᵀ − Y*‖² + λ‖[W | b] − [W0 | b0]‖²,  λ = ridge · mean(diag X1ᵀX1)

The maps: query/key/value and the MLP's first layer through their own maps, the attention output
through the stream map after the attention join, the MLP's second layer through the stream map
after the MLP join; the classifier's target is the average of the parents' logits.

Then it runs `transfuse fuse --data --refit-samples N` itself and compares: the test accuracy of
both, and the largest difference between their refitted weights. Run by `make fixtures`'s
environment (.venv-fixtures: torch, transformers, safetensors, scikit-learn), never by `make test`:

    .venv-fixtures/bin/python Benchmarks/refit/reference_refit.py --transfuse .build/release/transfuse
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.numpy import load_file
from transformers import ViTForImageClassification

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Samples"))
import make_samples as ms  # noqa: E402  (the digit splits)

# transformers' ViT module names → Transfuse's canonical names (the maps' places).
CANONICAL = {"attention.q_proj": "attention.attention.query", "attention.k_proj": "attention.attention.key",
             "attention.v_proj": "attention.attention.value", "attention.o_proj": "attention.output.dense",
             "mlp.fc1": "intermediate.dense", "mlp.fc2": "output.dense"}
# Where each layer's outputs were aligned: the stream map after a join for the two stream writers.
MAP_PLACE = {"attention.o_proj": "attention.residual", "mlp.fc2": "output.residual"}


def modules(layers: int) -> list[tuple[str, str]]:
    """(torch module name, map place) per linear layer, in forward order."""
    out = []
    for l in range(layers):
        for part in ["attention.q_proj", "attention.k_proj", "attention.v_proj", "attention.o_proj", "mlp.fc1", "mlp.fc2"]:
            canonical_place = f"encoder.layer.{l}." + (MAP_PLACE[part] if part in MAP_PLACE else CANONICAL[part])
            out.append((f"vit.layers.{l}.{part}", canonical_place))
    return out


def outputs(model, x, names):
    got = {}
    hooks = [model.get_submodule(n).register_forward_hook(
        lambda m, i, o, n=n: got.__setitem__(n, o.reshape(-1, o.shape[-1]).double())) for n in names]
    logits = model(pixel_values=x).logits.double()
    for h in hooks:
        h.remove()
    return got, logits


def layer_input(model, x, name):
    got = {}
    h = model.get_submodule(name).register_forward_hook(lambda m, i, o: got.__setitem__("x", i[0].reshape(-1, i[0].shape[-1]).double()))
    model(pixel_values=x)
    h.remove()
    return got["x"]


def ridge_fit(module, x, target, ridge):
    x1 = torch.cat([x, torch.ones(x.shape[0], 1, dtype=torch.float64)], 1)
    w0 = torch.cat([module.weight.double(), module.bias.double()[:, None]], 1)   # out × (in + 1)
    gram = x1.T @ x1
    lam = ridge * gram.diagonal().mean()
    solution = torch.linalg.solve(gram + lam * torch.eye(gram.shape[0], dtype=torch.float64), x1.T @ target + lam * w0.T)
    module.weight.copy_(solution[:-1].T.float())
    module.bias.copy_(solution[-1].float())


def accuracy(model, x, y):
    return (model(pixel_values=x).logits.argmax(-1) == y).float().mean().item()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--transfuse", required=True, help="the transfuse binary")
    ap.add_argument("--samples", type=int, default=300, help="calibration images (default 300, all of digits-calib.h5)")
    ap.add_argument("--ridge", type=float, default=1e-3)
    args = ap.parse_args()
    torch.set_grad_enabled(False)
    splits = ms.digits_splits()
    xc = torch.from_numpy(splits["calib"][0][:args.samples])
    xt, yt = torch.from_numpy(splits["test"][0]), torch.from_numpy(splits["test"][1])
    a = ViTForImageClassification.from_pretrained(REPO / "Samples/vit-digits-a").eval()
    b = ViTForImageClassification.from_pretrained(REPO / "Samples/vit-digits-b").eval()
    calib = str(REPO / "Samples/data/digits-calib.h5")
    members = [str(REPO / "Samples/vit-digits-a"), str(REPO / "Samples/vit-digits-b")]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([args.transfuse, "fuse", *members, "--data", calib, "--no-refit", "--output", f"{tmp}/fused",
                        "--save-maps", f"{tmp}/maps.safetensors"], check=True, capture_output=True)
        subprocess.run([args.transfuse, "fuse", *members, "--data", calib, "--refit-samples", str(args.samples),
                        "--refit-ridge", str(args.ridge), "--output", f"{tmp}/refitted"], check=True, capture_output=True)
        fused = ViTForImageClassification.from_pretrained(f"{tmp}/fused").eval()
        ours = ViTForImageClassification.from_pretrained(f"{tmp}/refitted").eval()
        maps = load_file(f"{tmp}/maps.safetensors")
    print(f"parents {accuracy(a, xt, yt):.4f} / {accuracy(b, xt, yt):.4f}; fused without the refit {accuracy(fused, xt, yt):.4f}")
    linear = modules(fused.config.num_hidden_layers)
    ya, la = outputs(a, xc, [n for n, _ in linear])
    yb, lb = outputs(b, xc, [n for n, _ in linear])
    for name, place in linear:
        t = torch.from_numpy(maps[f"model1/{place}"]).double()
        target = 0.5 * ya[name] + 0.5 * yb[name] @ (t / t.sum(0, keepdim=True))
        ridge_fit(fused.get_submodule(name), layer_input(fused, xc, name), target, args.ridge)
    ridge_fit(fused.classifier, layer_input(fused, xc, "classifier"), 0.5 * (la + lb), args.ridge)
    reference, transfuse = accuracy(fused, xt, yt), accuracy(ours, xt, yt)
    worst, where = 0.0, ""
    ref_state, our_state = fused.state_dict(), ours.state_dict()
    for key, value in ref_state.items():
        d = (value.double() - our_state[key].double()).abs().max().item() / max(value.abs().max().item(), 1e-12)
        if d > worst:
            worst, where = d, key
    print(f"refit ({args.samples} samples, ridge {args.ridge}): PyTorch reference {reference:.4f}, Transfuse {transfuse:.4f}; "
          f"largest weight difference {worst:.2e} of the tensor's largest entry ({where})")


if __name__ == "__main__":
    main()

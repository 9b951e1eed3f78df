#!/usr/bin/env python3
"""Generates the Transport test fixtures from independent references.

* EMD and Sinkhorn cases come from POT (`ot.emd`, `ot.sinkhorn`, `ot.bregman.sinkhorn_log`).
* Ground-metric cases come from the paper's own `GroundMetric` class
  (github.com/graldij/transformer-fusion, file otfusion/ground_metric.py), loaded from a
  checkout whose path is the first argument. It needs torch.

Usage:  python make_fixtures.py /path/to/transformer-fusion-checkout
Needs:  numpy, POT (package `pot`), torch.

Output (beside this script): emd.bin, sinkhorn.bin, ground_metric.bin (little-endian float64,
arrays concatenated), manifest.json (for every case: parameters and, per array, the .bin file,
the element offset and the shape), SHA256SUMS.
"""
import hashlib
import importlib.util
import json
import os
import sys

import numpy as np
import ot
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


class Store:
    """Appends float64 arrays to per-kind .bin files and records where they went."""

    def __init__(self):
        self.buffers = {}

    def put(self, file, array):
        array = np.ascontiguousarray(np.asarray(array, dtype="<f8"))
        buf = self.buffers.setdefault(file, [])
        offset = sum(a.size for a in buf)
        buf.append(array.reshape(-1))
        return {"file": file, "offset": int(offset), "shape": list(array.shape)}

    def write(self):
        for file, arrays in self.buffers.items():
            with open(os.path.join(HERE, file), "wb") as f:
                f.write(np.concatenate(arrays).astype("<f8").tobytes())


def euclidean_cost(rng, n, m, d=8):
    x, y = rng.normal(size=(n, d)), rng.normal(size=(m, d))
    c = ot.dist(x, y, metric="euclidean")
    return c / c.max()


def emd_cases(rng, store):
    cases = []

    def add(name, c, a=None, b=None):
        n, m = c.shape
        a_ = np.full(n, 1.0 / n) if a is None else a
        b_ = np.full(m, 1.0 / m) if b is None else b
        plan, log = ot.emd(a_, b_, c, log=True)
        assert log["result_code"] == 1, (name, log["warning"])
        arrays = {"cost": store.put("emd.bin", c)}
        if a is not None:
            arrays["a"] = store.put("emd.bin", a)
        if b is not None:
            arrays["b"] = store.put("emd.bin", b)
        cases.append({"name": name, "kind": "emd", "pot_cost": float(log["cost"]), "arrays": arrays})

    for n in (1, 2, 7, 33, 64):
        add(f"emd-random-square-{n}", euclidean_cost(rng, n, n))
    add("emd-random-32x64", euclidean_cost(rng, 32, 64))
    add("emd-random-60x20", euclidean_cost(rng, 60, 20))
    add("emd-random-30x45", euclidean_cost(rng, 30, 45))
    add("emd-random-50x17", euclidean_cost(rng, 50, 17))
    # Ties: small integer costs, a constant matrix, |i - j| on a line.
    add("emd-ties-integers-24", rng.integers(0, 4, size=(24, 24)).astype(float))
    add("emd-ties-integers-16x40", rng.integers(0, 3, size=(16, 40)).astype(float))
    add("emd-ties-constant-10x15", np.ones((10, 15)))
    i = np.arange(20)
    add("emd-ties-line-20", np.abs(i[:, None] - i[None, :]).astype(float))
    # Non-uniform and degenerate marginals.
    a = rng.random(25); a /= a.sum()
    b = rng.random(35); b /= b.sum()
    add("emd-marginals-25x35", euclidean_cost(rng, 25, 35), a, b)
    a = rng.random(30); a[[0, 5, 17]] = 0; a /= a.sum()
    b = rng.random(30); b[[3, 4, 29]] = 0; b /= b.sum()
    add("emd-zeros-30", euclidean_cost(rng, 30, 30), a, b)
    a = np.zeros(12); a[4] = 1.0
    b = rng.random(9); b /= b.sum()
    add("emd-dirac-12x9", euclidean_cost(rng, 12, 9), a, b)
    a = rng.integers(1, 5, size=40).astype(float)
    b = rng.integers(1, 5, size=28).astype(float); b *= a.sum() / b.sum()
    add("emd-mass-not-one-40x28", rng.integers(0, 5, size=(40, 28)).astype(float), a, b)
    return cases


def sinkhorn_cases(rng, store):
    cases = []

    def add(name, c, reg, method="sinkhorn", a=None, b=None, num_iter=1000, stop=1e-9):
        n, m = c.shape
        a_ = np.full(n, 1.0 / n) if a is None else a
        b_ = np.full(m, 1.0 / m) if b is None else b
        if method == "sinkhorn":
            plan, log = ot.sinkhorn(a_, b_, c, reg, numItermax=num_iter, stopThr=stop, log=True)
        else:
            plan, log = ot.bregman.sinkhorn_log(a_, b_, c, reg, numItermax=num_iter, stopThr=stop, log=True)
        assert np.all(np.isfinite(plan)), name
        arrays = {"cost": store.put("sinkhorn.bin", c), "plan": store.put("sinkhorn.bin", plan)}
        if a is not None:
            arrays["a"] = store.put("sinkhorn.bin", a)
        if b is not None:
            arrays["b"] = store.put("sinkhorn.bin", b)
        cases.append({"name": name, "kind": method, "reg": reg, "max_iterations": num_iter,
                      "stop_threshold": stop, "pot_niter": int(log["niter"]),
                      "arrays": arrays})

    add("sinkhorn-square-40-reg0.05", euclidean_cost(rng, 40, 40), 0.05)
    add("sinkhorn-square-64-reg0.1", euclidean_cost(rng, 64, 64), 0.1)
    add("sinkhorn-rect-30x50-reg0.05", euclidean_cost(rng, 30, 50), 0.05)
    add("sinkhorn-rect-48x16-reg1", euclidean_cost(rng, 48, 16), 1.0)
    add("sinkhorn-cap-32-reg0.01-20it", euclidean_cost(rng, 32, 32), 0.01, num_iter=20)
    add("sinkhorn-fast-stop-24-reg0.5", euclidean_cost(rng, 24, 24), 0.5, stop=1e-3)
    # Zeros in a or in b (with zeros in both, POT's K/a has inf·0 = NaN and it returns its
    # starting point, so that case is tested by properties instead).
    a = rng.random(20); a[[2, 7]] = 0; a /= a.sum()
    b = rng.random(26); b /= b.sum()
    add("sinkhorn-zeros-in-a-20x26-reg0.1", euclidean_cost(rng, 20, 26), 0.1, a=a, b=b)
    a = rng.random(22); a /= a.sum()
    b = rng.random(18); b[[0, 17]] = 0; b /= b.sum()
    add("sinkhorn-zeros-in-b-22x18-reg0.1", euclidean_cost(rng, 22, 18), 0.1, a=a, b=b)
    i = np.arange(16)
    add("sinkhorn-ties-line-16-reg0.2", np.abs(i[:, None] - i[None, :]).astype(float) / 15, 0.2)
    # Small regularisation: the kernel underflows, POT's log-domain solver is the reference.
    add("sinkhorn_log-24x30-reg0.002", euclidean_cost(rng, 24, 30), 0.002, method="sinkhorn_log", num_iter=300)
    c = euclidean_cost(rng, 20, 20) * 3
    add("sinkhorn_log-20-reg0.001", c, 0.001, method="sinkhorn_log", num_iter=200)
    add("sinkhorn_log-36x18-reg0.05", euclidean_cost(rng, 36, 18), 0.05, method="sinkhorn_log")
    return cases


def load_ground_metric(checkout):
    path = os.path.join(checkout, "otfusion", "ground_metric.py")
    spec = importlib.util.spec_from_file_location("reference_ground_metric", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.GroundMetric


def ground_metric_cases(rng, store, GroundMetric, skipped):
    cases = []

    def add(name, x, y, type="euclidean", norm="max", squared=False, mem_eff=True, clip=False,
            clip_min=0.0, clip_max=1.0, reg=0.01, ensemble="wts", wts_norm=False, dataset="cifar10"):
        args = {
            "fusion": {
                "gnd_metric": {"type": type, "norm": norm, "reg": reg, "squared": squared,
                               "mem_eff": mem_eff, "clip_max": clip_max, "clip_min": clip_min, "clip": clip},
                "acts": {"norm": False, "num_samples": 1},
                "type": ensemble,
                "wts": {"norm": wts_norm},
            },
            "model": {"dataset": dataset},
        }
        gm = GroundMetric(args)
        tx = torch.from_numpy(x)
        ty = None if y is None else torch.from_numpy(y)
        try:
            out = gm.process(tx, ty)
        except (AttributeError, TypeError) as error:
            # The reference's Euclidean path returns a numpy array, on which its median, log1p
            # and clipping code fail: no reference value exists for those combinations.
            skipped.append(f"{name}: {error.__class__.__name__}: {error}")
            return
        out = out.numpy() if isinstance(out, torch.Tensor) else np.asarray(out)
        arrays = {"x": store.put("ground_metric.bin", x), "expected": store.put("ground_metric.bin", out)}
        if y is not None:
            arrays["y"] = store.put("ground_metric.bin", y)
        preprocessing = "none"
        if ensemble == "wts" and wts_norm:
            preprocessing = {"tinyimagenet": "globalMax", "wiki": "globalAbsMax"}.get(dataset, "unitNorm")
        cases.append({"name": name, "kind": "ground_metric",
                      "options": {"type": type, "norm": norm, "squared": squared, "clip": clip,
                                  "clip_min": clip_min, "clip_max": clip_max, "reg": reg,
                                  "preprocessing": preprocessing},
                      "arrays": arrays})

    x, y = rng.normal(size=(20, 12)), rng.normal(size=(28, 12))
    for norm in ("max", "median", "mean", "log", "none"):
        add(f"gm-euclidean-{norm}", x, y, norm=norm)
        add(f"gm-euclidean-squared-{norm}", x, y, norm=norm, squared=True)
        add(f"gm-cosine-{norm}", x, y, type="cosine", norm=norm)
    add("gm-euclidean-pairwise-loop", x, y, mem_eff=False)
    add("gm-euclidean-pairwise-loop-squared", x, y, mem_eff=False, squared=True)
    add("gm-euclidean-unitnorm", x * 3, y, wts_norm=True)
    add("gm-cosine-unitnorm", x, y * 0.1, type="cosine", wts_norm=True)
    add("gm-euclidean-tinyimagenet", x, y, wts_norm=True, dataset="tinyimagenet")
    add("gm-euclidean-wiki", x, y, wts_norm=True, dataset="wiki", squared=True)
    add("gm-acts-ignores-wts-norm", x, y, wts_norm=True, ensemble="acts")
    add("gm-clip", x, y, clip=True, clip_min=10.0, clip_max=60.0, reg=0.01)
    add("gm-clip-min-above-max", x, y, clip=True, clip_min=5.0, clip_max=0.0, reg=0.01)
    add("gm-cosine-clip", x, y, type="cosine", clip=True, clip_min=10.0, clip_max=60.0, reg=0.01)
    add("gm-cosine-clip-min-above-max", x, y, type="cosine", clip=True, clip_min=5.0, clip_max=0.0, reg=0.01)
    add("gm-self-euclidean", x, None, squared=True)
    add("gm-self-cosine", x, None, type="cosine", norm="none")
    big_x, big_y = rng.normal(size=(64, 40)), rng.normal(size=(48, 40))
    add("gm-euclidean-64x48-width40", big_x, big_y)
    add("gm-euclidean-64x48-unitnorm-squared", big_x, big_y, squared=True, wts_norm=True)
    return cases


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_fixtures.py /path/to/transformer-fusion-checkout")
    torch.set_default_dtype(torch.float64)
    GroundMetric = load_ground_metric(sys.argv[1])
    rng = np.random.default_rng(20240504)
    store = Store()
    skipped = []
    cases = emd_cases(rng, store) + sinkhorn_cases(rng, store) + ground_metric_cases(rng, store, GroundMetric, skipped)
    store.write()
    manifest = {"generator": "make_fixtures.py", "pot_version": ot.__version__,
                "numpy_version": np.__version__, "torch_version": torch.__version__,
                "reference_failures": skipped, "cases": cases}
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    files = sorted(["manifest.json"] + list(store.buffers))
    with open(os.path.join(HERE, "SHA256SUMS"), "w") as f:
        for name in files:
            with open(os.path.join(HERE, name), "rb") as g:
                f.write(f"{hashlib.sha256(g.read()).hexdigest()}  {name}\n")


if __name__ == "__main__":
    main()

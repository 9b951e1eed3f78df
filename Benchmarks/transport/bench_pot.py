#!/usr/bin/env python3
"""Times POT on the Transport benchmark problems and saves them for the Swift side.

Usage: bench_pot.py OUTDIR [--runs R] [--quick]

Writes OUTDIR/problems.json and one raw little-endian float64 file per cost matrix
(row-major), then prints one JSON object: for each problem the median seconds over R runs,
all run times, POT's cost <P, C> and iteration count.

Problems (random Gaussian features, Euclidean costs divided by their max, fixed seed):
  emd-1536, emd-1536x768, emd-3072           ot.emd (numItermax 10^7 so it reaches the optimum)
  emd-1024-marginals                          ot.emd, random non-uniform marginals (network simplex)
  emd-3072-d768                               ot.emd on 768-dim features (fusion's MLP assignments)
  sinkhorn-1536, sinkhorn-3072                ot.sinkhorn, reg 0.05, 1000 iterations (stopThr 0)
  sinkhorn_log-1024-reg0.05, -reg0.001         ot.bregman.sinkhorn_log, 100 iterations (stopThr 0)
Needs: numpy, POT.
"""
import argparse
import json
import os
import statistics
import time
import warnings

import numpy as np
import ot

PROBLEMS = [
    # name, kind, rows, cols, reg, iterations
    ("emd-1536", "emd", 1536, 1536, None, None),
    ("emd-1536x768", "emd", 1536, 768, None, None),
    ("emd-3072", "emd", 3072, 3072, None, None),
    ("emd-1024-marginals", "emd_marginals", 1024, 1024, None, None),
    ("sinkhorn-1536", "sinkhorn", 1536, 1536, 0.05, 1000),
    ("sinkhorn-3072", "sinkhorn", 3072, 3072, 0.05, 1000),
    ("sinkhorn_log-1024-reg0.05", "sinkhorn_log", 1024, 1024, 0.05, 100),
    ("sinkhorn_log-1024-reg0.001", "sinkhorn_log", 1024, 1024, 0.001, 100),
    # The shape of fusion's MLP assignments (ViT-B/BERT-base): 768-dim features, a flat cost.
    ("emd-3072-d768", "emd", 3072, 3072, None, None),
]
# Feature dimension per problem (default 32).
FEATURES = {"emd-3072-d768": 768}


def cost_matrix(rng, n, m, d=32):
    x, y = rng.normal(size=(n, d)), rng.normal(size=(m, d))
    c = ot.dist(x, y, metric="euclidean")
    return c / c.max()


def marginals(n, m):
    """Non-uniform marginals, a fixed function of the sizes."""
    a = 1.0 + np.sin(np.arange(n)) ** 2
    b = 1.0 + np.cos(np.arange(m) * 0.7) ** 2
    return a / a.sum(), b / b.sum()


def run(kind, c, reg, iterations):
    n, m = c.shape
    a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    if kind == "emd_marginals":
        a, b = marginals(n, m)
    start = time.perf_counter()
    if kind in ("emd", "emd_marginals"):
        plan, log = ot.emd(a, b, c, numItermax=10_000_000, log=True)
        niter = None
    elif kind == "sinkhorn":
        plan, log = ot.sinkhorn(a, b, c, reg, numItermax=iterations, stopThr=0, log=True)
        niter = int(log["niter"]) + 1
    else:
        plan, log = ot.bregman.sinkhorn_log(a, b, c, reg, numItermax=iterations, stopThr=0, log=True)
        niter = int(log["niter"]) + 1
    seconds = time.perf_counter() - start
    return seconds, float(np.sum(plan * c)), niter


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated problem names")
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(1536)
    only = set(filter(None, args.only.split(",")))
    problems, results = [], {}
    for name, kind, n, m, reg, iterations in PROBLEMS:
        c = cost_matrix(rng, n, m, FEATURES.get(name, 32))  # always drawn, so a subset sees the same matrices
        if only and name not in only:
            continue
        path = os.path.join(args.outdir, f"{name}.f64")
        c.astype("<f8").tofile(path)
        entry = {"name": name, "kind": kind, "file": os.path.basename(path), "rows": n, "cols": m,
                 "reg": reg, "iterations": iterations}
        if kind == "emd_marginals":
            a, b = marginals(n, m)
            a.astype("<f8").tofile(os.path.join(args.outdir, f"{name}.a.f64"))
            b.astype("<f8").tofile(os.path.join(args.outdir, f"{name}.b.f64"))
            entry["a_file"], entry["b_file"] = f"{name}.a.f64", f"{name}.b.f64"
        problems.append(entry)
        times, cost, niter = [], None, None
        for _ in range(args.runs):
            seconds, cost, niter = run(kind, c, reg, iterations)
            times.append(seconds)
        results[name] = {"median_seconds": statistics.median(times), "seconds": times, "cost": cost,
                         "iterations": niter}
    with open(os.path.join(args.outdir, "problems.json"), "w") as f:
        json.dump({"problems": problems}, f, indent=1)
    info = {}
    try:
        import threadpoolctl
        info = [{k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
                for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
    except ImportError:
        pass
    print(json.dumps({"pot_version": ot.__version__, "numpy_version": np.__version__, "blas": info,
                      "results": results}))


if __name__ == "__main__":
    main()

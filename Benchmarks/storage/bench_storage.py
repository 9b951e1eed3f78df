"""Storage benchmark: safetensors -> HDF5 -> safetensors, Transfuse vs Python vs cp.

Usage: bench_storage.py TRANSFUSE_BIN WORKDIR [--gb 1.0] [--runs 3]

Generates a ~1 GB F32 checkpoint, then in the same run times
  * transfuse convert in.safetensors mid.h5 ; transfuse convert mid.h5 out.safetensors
  * the same job in Python with safetensors + h5py (bench_python_convert.py)
  * cp in.safetensors a ; cp a b   (copying the same bytes twice)
and reports medians of wall time and peak resident memory (ru_maxrss of each child,
mapped pages included) as a Markdown table with ratios.
"""
import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np
from safetensors.numpy import save_file


def run(cmd):
    """Runs cmd, returns (seconds, peak RSS in bytes)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"failed ({status}): {' '.join(map(str, cmd))}")
    return elapsed, usage.ru_maxrss * 1024


def make_input(path, gigabytes):
    rng = np.random.default_rng(0)
    per_tensor = 4 * 1024 * 1024  # 16 MB of float32
    count = max(1, int(gigabytes * 1e9 / (per_tensor * 4)))
    tensors = {f"layers.{i}.weight": rng.standard_normal(per_tensor, dtype=np.float32).reshape(2048, 2048)
               for i in range(count)}
    save_file(tensors, str(path), metadata={"format": "pt"})


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--make-input":
        make_input(pathlib.Path(sys.argv[2]), float(sys.argv[3]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("transfuse")
    parser.add_argument("workdir")
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = pathlib.Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    source = work / "in.safetensors"
    if not source.exists():
        # In a child process: Linux children inherit the parent's peak RSS across fork/exec, so
        # this process must never hold the data or every measured RSS would include it.
        subprocess.run([sys.executable, __file__, "--make-input", str(source), str(args.gb)], check=True)
    size = source.stat().st_size
    here = pathlib.Path(__file__).parent

    def clean():
        for name in ["mid.h5", "out.safetensors", "py-mid.h5", "py-out.safetensors", "copy-a", "copy-b"]:
            (work / name).unlink(missing_ok=True)

    results = {"transfuse": [], "python": [], "cp": []}
    for _ in range(args.runs):
        clean()
        t1, m1 = run([args.transfuse, "convert", source, work / "mid.h5"])
        t2, m2 = run([args.transfuse, "convert", work / "mid.h5", work / "out.safetensors"])
        results["transfuse"].append((t1 + t2, max(m1, m2)))
        p1, q1 = run([sys.executable, here / "bench_python_convert.py", "to-h5", source, work / "py-mid.h5"])
        p2, q2 = run([sys.executable, here / "bench_python_convert.py", "to-st", work / "py-mid.h5", work / "py-out.safetensors"])
        results["python"].append((p1 + p2, max(q1, q2)))
        c1, r1 = run(["cp", source, work / "copy-a"])
        c2, r2 = run(["cp", work / "copy-a", work / "copy-b"])
        results["cp"].append((c1 + c2, max(r1, r2)))
    # The round trip must be exact, or the timing means nothing.
    check = subprocess.run([args.transfuse, "diff", source, work / "out.safetensors"], stdout=subprocess.DEVNULL)
    if check.returncode != 0:
        sys.exit("round trip is not exact")
    clean()

    med = {k: (statistics.median(t for t, _ in v), statistics.median(m for _, m in v)) for k, v in results.items()}
    print(f"Input: {size / 1e9:.2f} GB F32 safetensors, {args.runs} runs, medians.\n")
    print("| job (safetensors → HDF5 → safetensors) | seconds | peak RSS | RSS / file size |")
    print("|---|---:|---:|---:|")
    for key, label in [("transfuse", "transfuse convert ×2"), ("python", "Python safetensors + h5py"), ("cp", "cp ×2 (same bytes)")]:
        t, m = med[key]
        print(f"| {label} | {t:.2f} | {m / 1e6:.0f} MB | {m / size:.2f} |")
    print()
    print(f"- Python / Transfuse time: **{med['python'][0] / med['transfuse'][0]:.2f}×** (target ≥ 2×)")
    print(f"- Transfuse / cp time: **{med['transfuse'][0] / med['cp'][0]:.2f}×** (target ≤ 2×)")
    print(f"- Transfuse peak RSS / file size: **{med['transfuse'][1] / size:.2f}** (target well below 1)")


if __name__ == "__main__":
    main()

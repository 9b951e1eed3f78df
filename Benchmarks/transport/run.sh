#!/usr/bin/env bash
# Transport benchmark: POT and Transfuse side by side on the same cost matrices, in one run.
#
#   Benchmarks/transport/run.sh [--runs N] [--only name1,name2]
#
# For each problem, bench_pot.py draws the cost matrix (fixed seed), saves it as raw float64 and
# times POT; then TransportBench (release build) times Transfuse on the same file. Both sides
# get OPENBLAS_NUM_THREADS (default 2) and OpenBLAS's own kernel choice (Benchmarks/openblas-env.sh).
# Prints the JSON of both sides, then a Markdown table of medians and ratios.
#
# Environment: PYTHON (a Python with numpy + POT; default .venv-bench, else .venv-fixtures),
#              SCRATCH (SwiftPM scratch path, default .build-bench), OPENBLAS_NUM_THREADS.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/openblas-env.sh

RUNS=3
ONLY="emd-1536,emd-1536x768,emd-3072,emd-3072-d768,emd-1024-marginals,sinkhorn-1536,sinkhorn-3072,sinkhorn_log-1024-reg0.05,sinkhorn_log-1024-reg0.001"
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --only) ONLY="$2"; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--only name1,name2]" >&2; exit 2 ;;
    esac
done

if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv-bench/bin/python ]; then PYTHON=.venv-bench/bin/python; else PYTHON=.venv-fixtures/bin/python; fi
fi
SCRATCH="${SCRATCH:-.build-bench}"
THREADS="${OPENBLAS_NUM_THREADS:-2}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

swift build -c release --scratch-path "$SCRATCH" --product TransportBench >&2
BENCH="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/TransportBench"

IFS=',' read -r -a NAMES <<< "$ONLY"
for name in "${NAMES[@]}"; do
    dir="$WORK/$name"
    mkdir -p "$dir"
    echo "== $name" >&2
    OPENBLAS_NUM_THREADS="$THREADS" \
        "$PYTHON" Benchmarks/transport/bench_pot.py "$dir" --runs "$RUNS" --only "$name" 2>/dev/null > "$dir/pot.json"
    OPENBLAS_NUM_THREADS="$THREADS" "$BENCH" "$dir" --runs "$RUNS" > "$dir/transfuse.json"
    rm -f "$dir"/*.f64
done

python3 - "$WORK" "$THREADS" "$RUNS" "${NAMES[@]}" <<'PY'
import json, os, sys
work, threads, runs, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
targets = {"emd-1536": 2, "emd-1536x768": 2, "sinkhorn-1536": 3, "sinkhorn-3072": 3,
           "sinkhorn_log-1024-reg0.05": 20, "sinkhorn_log-1024-reg0.001": 20}
rows, versions = [], None
for name in names:
    pot = json.load(open(os.path.join(work, name, "pot.json")))
    ours = json.load(open(os.path.join(work, name, "transfuse.json")))
    print(json.dumps({"problem": name, "pot": pot["results"][name], "transfuse": ours["results"][name]}))
    versions = f'POT {pot["pot_version"]}, numpy {pot["numpy_version"]}'
    p = pot["results"][name]
    for key in sorted(k for k in ours["results"] if k == name or k.startswith(name + "/")):
        t = ours["results"][key]
        ratio = p["median_seconds"] / t["median_seconds"]
        rel = abs(p["cost"] - t["cost"]) / abs(p["cost"])
        target = targets.get(key)
        verdict = "" if target is None else (f"≥{target}× ✓" if ratio >= target else f"≥{target}× ✗")
        rows.append(f'| {key} | {p["median_seconds"]:.3f} | {t["median_seconds"]:.3f} | {ratio:.1f}× | {verdict} | {rel:.1e} | {t["solver"]} |')
print()
print(f"Medians of {runs} runs, OPENBLAS_NUM_THREADS={threads}, {versions}.")
print()
print("| problem | POT s | Transfuse s | speed-up | target | cost rel. diff | Transfuse solver |")
print("|---|---:|---:|---:|---|---:|---|")
print("\n".join(rows))
PY

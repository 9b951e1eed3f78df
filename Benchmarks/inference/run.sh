#!/usr/bin/env bash
# Inference benchmark: Transfuse (InferenceBench, release) and PyTorch (transformers) forward
# passes of ViT-B/16 (224², logits) and BERT-base (sequence 128, last hidden state) on random
# weights, float32, same thread count, side by side.
#
#   Benchmarks/inference/run.sh [--rounds N] [--batch B] [--layers K] [--only vit,bert]
#
# Each round runs one timed forward pass of each side, alternating (PyTorch, then Transfuse), so
# both see the same machine load; each process does an untimed warm-up pass first. Prints the JSON
# of every run, then a Markdown table of medians and the throughput ratio Transfuse / PyTorch.
#
# Environment: PYTHON (torch + transformers; default .venv-fixtures), SCRATCH (default .build-bench),
#              THREADS (default 2: OPENBLAS_NUM_THREADS for Transfuse, torch.set_num_threads for PyTorch).
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/openblas-env.sh  # OpenBLAS's own kernels unless KEEP_OPENBLAS_CORETYPE=1

ROUNDS=3
BATCH=32
LAYERS=12
ONLY="vit,bert"
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --batch) BATCH="$2"; shift 2 ;;
        --layers) LAYERS="$2"; shift 2 ;;
        --only) ONLY="$2"; shift 2 ;;
        *) echo "usage: $0 [--rounds N] [--batch B] [--layers K] [--only vit,bert]" >&2; exit 2 ;;
    esac
done
PYTHON="${PYTHON:-.venv-fixtures/bin/python}"
SCRATCH="${SCRATCH:-.build-bench}"
THREADS="${THREADS:-2}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

swift build -c release --scratch-path "$SCRATCH" --product InferenceBench >&2
BENCH="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/InferenceBench"

IFS=',' read -r -a MODELS <<< "$ONLY"
for model in "${MODELS[@]}"; do
    for round in $(seq 1 "$ROUNDS"); do
        echo "== $model round $round" >&2
        OMP_NUM_THREADS="$THREADS" "$PYTHON" Benchmarks/inference/bench_torch.py "$model" --batch "$BATCH" --seq 128 \
            --runs 1 --layers "$LAYERS" --threads "$THREADS" 2>/dev/null >> "$WORK/$model.torch.jsonl"
        OPENBLAS_NUM_THREADS="$THREADS" "$BENCH" "$model" --batch "$BATCH" --seq 128 --runs 1 --layers "$LAYERS" \
            >> "$WORK/$model.transfuse.jsonl"
    done
done

python3 - "$WORK" "$THREADS" "$ROUNDS" "${MODELS[@]}" <<'PY'
import json, os, statistics, sys
work, threads, rounds, models = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
names = {"vit": "ViT-B/16, 224² (197 tokens), logits", "bert": "BERT-base, sequence 128, last hidden state"}
rows = []
for model in models:
    torch_runs = [json.loads(l) for l in open(os.path.join(work, f"{model}.torch.jsonl"))]
    ours_runs = [json.loads(l) for l in open(os.path.join(work, f"{model}.transfuse.jsonl"))]
    for t, o in zip(torch_runs, ours_runs):
        print(json.dumps({"model": model, "pytorch": t, "transfuse": o}))
    t_med = statistics.median(r["median"] for r in torch_runs)
    o_med = statistics.median(r["median"] for r in ours_runs)
    ratios = [t["median"] / o["median"] for t, o in zip(torch_runs, ours_runs)]
    batch = torch_runs[0]["batch"]
    rows.append(f"| {names[model]} | {batch} | {t_med:.2f} | {o_med:.2f} | {batch / t_med:.2f} | {batch / o_med:.2f} "
                f"| **{t_med / o_med:.2f}×** | {min(ratios):.2f}–{max(ratios):.2f} |")
    versions = f'torch {torch_runs[0]["torch"]}, transformers {torch_runs[0]["transformers"]} ({torch_runs[0]["attention"]} attention)'
print()
print(f"Threads: {threads} on both sides; {rounds} alternating rounds; medians. {versions}.")
print()
print("| forward pass | batch | PyTorch s | Transfuse s | PyTorch samples/s | Transfuse samples/s | throughput ratio | per-round ratios |")
print("|---|---|---|---|---|---|---|---|")
print("\n".join(rows))
PY

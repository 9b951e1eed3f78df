#!/bin/bash
# Weights-mode EMD fusion of two random ViT-B/16 models: Transfuse vs the paper's code, same
# machine, same run. Prints a Markdown table (seconds, peak RSS). Usage:
#   Benchmarks/fusion/run.sh [RUNS]   (env: TRANSFORMER_FUSION_DIR = paper checkout,
#   PAPER_PYTHON = its venv's python, FIXTURE_PYTHON = a python with numpy + safetensors,
#   TRANSFUSE = the release binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/openblas-env.sh  # OpenBLAS's own kernels unless KEEP_OPENBLAS_CORETYPE=1
RUNS=${1:-1}
PAPER=${TRANSFORMER_FUSION_DIR:-/work/paper-code}
PAPER_PYTHON=${PAPER_PYTHON:-.venv-paper/bin/python}
FIXTURE_PYTHON=${FIXTURE_PYTHON:-.venv-fixtures/bin/python}
TRANSFUSE=${TRANSFUSE:-.build/release/transfuse}
WORK=${BENCH_DIR:-/tmp/transfuse-fusion-bench}
mkdir -p "$WORK"
[ -f "$WORK/vit-b-1/model.safetensors" ] || "$FIXTURE_PYTHON" Benchmarks/fusion/make_models.py "$WORK"
INPUT_BYTES=$(( $(stat -c %s "$WORK/vit-b-0/model.safetensors") + $(stat -c %s "$WORK/vit-b-1/model.safetensors") ))

measure() {  # command... → "seconds rss_kb" (wall time of the whole process, peak RSS)
    /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" > "$WORK/out.txt" 2> "$WORK/err.txt" || { cat "$WORK/err.txt" >&2; exit 1; }
    cat "$WORK/time.txt"
}

echo "| run | Transfuse total (s) | Transfuse peak RSS (MB) | RSS / inputs | reference hf_vit_fusion (s) | reference total (s) | speed-up (fusion) | speed-up (total) |"
echo "|---|---|---|---|---|---|---|---|"
for run in $(seq 1 "$RUNS"); do
    # Remove the previous run's output first, outside the timing: replacing an existing 343 MB
    # file makes the final rename free its pages (about 0.3 s here), which is not fusion work
    # (the reference writes nothing).
    rm -f "$WORK/fused.safetensors"
    read -r ts trss < <(measure "$TRANSFUSE" fuse "$WORK/vit-b-0" "$WORK/vit-b-1" --output "$WORK/fused.safetensors" --force)
    read -r rs rrss < <(OPENBLAS_NUM_THREADS=2 measure "$PAPER_PYTHON" Benchmarks/fusion/reference_fuse.py "$PAPER" "$WORK/vit-b-0" "$WORK/vit-b-1")
    rfuse=$(cat "$WORK/out.txt" | tail -1)
    awk -v r="$run" -v ts="$ts" -v trss="$trss" -v inb="$INPUT_BYTES" -v rf="$rfuse" -v rs="$rs" 'BEGIN {
        printf "| %d | %.1f | %.0f | %.0f%% | %.1f | %.1f | %.1fx | %.1fx |\n", r, ts, trss/1024, 100*trss*1024/inb, rf, rs, rf/ts, rs/ts }'
done

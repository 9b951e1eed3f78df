#!/usr/bin/env bash
# `make bench`: every benchmark, side by side with its Python reference, in one run.
# Each part installs the Python reference it compares with into a venv of its own under .cache/.
# The fusion part also needs TRANSFORMER_FUSION_DIR (a checkout of graldij/transformer-fusion);
# it is skipped, with a note, without it. Results go to standard output as Markdown tables
# (copy them into BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time; }
swift build -c release --product transfuse >/dev/null
BIN="$(swift build -c release --show-bin-path)/transfuse"
WORK="${BENCH_DIR:-.cache/bench}"
mkdir -p "$WORK"

venv() {  # venv NAME REQUIREMENTS... → path of its python
    local dir=".cache/venv-bench-$1"; shift
    if [ ! -f "$dir/.done" ]; then
        python3 -m venv "$dir" >&2
        "$dir/bin/pip" install --quiet --disable-pip-version-check "$@" >&2
        touch "$dir/.done"
    fi
    echo "$dir/bin/python"
}

echo "## Storage"
PY=$(venv storage numpy==2.4.6 h5py==3.14.0 safetensors==0.8.0)
"$PY" Benchmarks/storage/bench_storage.py "$BIN" "$WORK/storage" --runs "${BENCH_RUNS:-3}"
rm -rf "$WORK/storage"

echo; echo "## Optimal transport"
PYTHON=$(venv transport numpy==2.4.6 POT==0.9.7.post1) bash Benchmarks/transport/run.sh --runs "${BENCH_RUNS:-3}"

echo; echo "## Inference"
PYTHON=$(venv inference torch==2.15.0 transformers==5.24.0 numpy==2.4.6) bash Benchmarks/inference/run.sh

echo; echo "## Fusion"
if [ -n "${TRANSFORMER_FUSION_DIR:-}" ]; then
    PAPER_PYTHON=$(venv paper -r requirements/paper.txt) \
    FIXTURE_PYTHON=$(venv storage numpy==2.4.6 h5py==3.14.0 safetensors==0.8.0) \
    TRANSFUSE="$BIN" bash Benchmarks/fusion/run.sh "${BENCH_RUNS:-1}"
else
    echo "skipped: set TRANSFORMER_FUSION_DIR to a checkout of graldij/transformer-fusion"
fi

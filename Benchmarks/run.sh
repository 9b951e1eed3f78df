#!/usr/bin/env bash
# `make bench`: every benchmark, side by side with its Python reference, in one run.
# Each installs the Python reference it compares with into a venv of its own under .cache/.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product transfuse >/dev/null
BIN="$(swift build -c release --show-bin-path)/transfuse"
WORK="${BENCH_DIR:-.cache/bench}"
mkdir -p "$WORK"

venv() {  # venv NAME REQUIREMENTS...
    local dir=".cache/venv-bench-$1"; shift
    if [ ! -x "$dir/bin/python" ]; then
        python3 -m venv "$dir"
        "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
    fi
    echo "$dir/bin/python"
}

echo "## Storage"
PY=$(venv storage numpy==2.4.6 h5py==3.14.0 safetensors==0.8.0)
"$PY" Benchmarks/storage/bench_storage.py "$BIN" "$WORK/storage" --runs "${BENCH_RUNS:-3}"
rm -rf "$WORK/storage"

for extra in Benchmarks/*/run.sh; do
    [ -f "$extra" ] || continue
    echo; echo "## $(basename "$(dirname "$extra")")"
    bash "$extra" "$BIN"
done

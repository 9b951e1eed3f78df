#!/usr/bin/env bash
# `make fixtures`: regenerate every committed fixture and sample with pinned Python tools,
# each rewriting its own SHA256SUMS manifest. Usage: Tests/make_fixtures.sh PYTHON
# Scripts that drive the paper's own code read TRANSFORMER_FUSION_DIR (a checkout of
# github.com/graldij/transformer-fusion); they are skipped with a note when it is unset.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-python3}"
for script in $(git ls-files 'Tests/*/Fixtures/make_fixtures.py'); do
    echo "== $script"
    "$PY" "$script"
done
if [ -f Samples/make_samples.py ]; then
    echo "== Samples/make_samples.py"
    "$PY" Samples/make_samples.py
fi

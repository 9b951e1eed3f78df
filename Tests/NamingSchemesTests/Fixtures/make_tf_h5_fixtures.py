"""Hugging Face `tf_model.h5` fixtures for the `tf-bert` scheme's `hf-tf-h5` dialect, written
by transformers 4.46.3's own PyTorch → TensorFlow loader (`from_pt=True`) from the PyTorch
fixtures that make_fixtures.py writes (run that first). Transformers 5 has no TensorFlow
models, so this runs the 4.46.3 wheel with the Keras 2 it needs, from folders on PYTHONPATH:

    pip download --no-deps transformers==4.46.3 -d /tmp/t446 && mkdir -p /tmp/t446/full && \
        (cd /tmp/t446/full && unzip -q -o ../transformers-4.46.3-py3-none-any.whl)
    pip install --no-deps --target /tmp/tfk tf-keras==2.21.0 tokenizers==0.20.3 huggingface_hub==0.26.5
    PYTHONPATH=/tmp/t446/full:/tmp/tfk .venv-fixtures/bin/python Tests/NamingSchemesTests/Fixtures/make_tf_h5_fixtures.py

Needs tensorflow 2.21 and torch (both in .venv-fixtures). Updates SHA256SUMS.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import transformers
from transformers import TFBertForMaskedLM, TFBertForSequenceClassification

assert transformers.__version__ == "4.46.3", transformers.__version__
HERE = os.path.dirname(os.path.abspath(__file__))

for cls, source, target in [(TFBertForMaskedLM, "hf-bert-mlm", "tf-bert-h5-mlm"),
                            (TFBertForSequenceClassification, "hf-bert-classifier", "tf-bert-h5-classifier")]:
    model = cls.from_pretrained(os.path.join(HERE, source), from_pt=True)
    model.save_pretrained(os.path.join(HERE, target))
    os.remove(os.path.join(HERE, target, "config.json"))  # the PyTorch folder's config is the reference config
    import shutil
    shutil.copy(os.path.join(HERE, source, "config.json"), os.path.join(HERE, target, "config.json"))
    # Check: the TF weights equal the PyTorch ones (kernels transposed).
    weights = {w.name: w.numpy() for w in model.weights}
    from safetensors.numpy import load_file
    pt = load_file(os.path.join(HERE, source, "model.safetensors"))
    root = model.name
    assert np.array_equal(weights[f"{root}/bert/encoder/layer_._1/output/dense/kernel:0"],
                          pt["bert.encoder.layer.1.output.dense.weight"].T)

sys.path.insert(0, HERE)
from checksums import write_checksums  # noqa: E402

write_checksums()
print("tf_model.h5 fixtures written")

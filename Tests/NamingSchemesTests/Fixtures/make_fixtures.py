"""Fixtures for NamingSchemesTests: tiny random ViT and BERT models written in every naming
scheme by the reference libraries' own code, so that Transfuse's rule files are checked
against transformers, timm, keras-hub and Hugging Face's TF converter, not against themselves.

Usage (from the repository root):
    pip download --no-deps transformers==4.46.3 -d /tmp/t446 && (cd /tmp/t446 && unzip -q -o *.whl)
    KERAS_BACKEND=torch .venv-fixtures/bin/python Tests/NamingSchemesTests/Fixtures/make_fixtures.py /tmp/t446

The transformers 4.46.3 wheel is needed only for two conversion scripts that transformers 5
no longer ships (timm → HF ViT renames, HF → original TF BERT names); they are loaded from the
unzipped wheel and run against the installed transformers 5.

Needs: torch, transformers (5.x), timm, keras, keras-hub, tensorflow (pulled in by keras-hub),
safetensors, numpy, h5py.
"""
import importlib.util
import json
import os
import shutil
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py
import numpy as np
import torch
from safetensors.numpy import save_file

from checksums import write_checksums

HERE = os.path.dirname(os.path.abspath(__file__))
T446 = sys.argv[1] if len(sys.argv) > 1 else "/tmp/t446"
torch.manual_seed(0)
rng = np.random.default_rng(0)


def load_module(relative, name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(T446, "transformers", "models", relative))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def out(*parts):
    path = os.path.join(HERE, *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def save_state(state, path, metadata=None):
    arrays = {k: np.ascontiguousarray(v.detach().cpu().numpy() if torch.is_tensor(v) else v) for k, v in state.items()}
    save_file(arrays, out(path), metadata=metadata or {"format": "pt"})


def randomize(model):
    """Random values everywhere (LayerNorm and biases included) so that no mapping can pass by luck."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    return model


def write_config(config, folder):
    with open(out(folder, "config.json"), "w") as f:
        f.write(config.to_json_string())


# ---------------------------------------------------------------- ViT
from transformers import BertConfig, BertForMaskedLM, BertForPreTraining, BertForSequenceClassification, BertModel
from transformers import ViTConfig, ViTForImageClassification, ViTModel
import timm

VIT = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32, image_size=8,
           patch_size=4, num_channels=3, layer_norm_eps=1e-6, qkv_bias=True)


def make_vit():
    config = ViTConfig(**VIT, num_labels=3)
    classifier = randomize(ViTForImageClassification(config)).eval()
    classifier.save_pretrained(out("hf-vit-classifier"), safe_serialization=True)
    backbone = randomize(ViTModel(ViTConfig(**VIT))).eval()
    backbone.save_pretrained(out("hf-vit-model"), safe_serialization=True)

    # timm → HF with transformers' own conversion script (create_rename_keys + read_in_q_k_v).
    timm_model = randomize(timm.models.vision_transformer.VisionTransformer(
        img_size=8, patch_size=4, in_chans=3, num_classes=3, embed_dim=16, depth=2, num_heads=2, mlp_ratio=2.0,
        qkv_bias=True)).eval()
    timm_state = {k: v.clone() for k, v in timm_model.state_dict().items()}
    save_state(timm_state, "timm-vit/model.safetensors")
    conv = load_module("vit/convert_vit_timm_to_pytorch.py", "convert_vit_timm")
    hf_config = ViTConfig(**VIT, num_labels=3)
    state = {k: v.clone() for k, v in timm_state.items()}
    for src, dest in conv.create_rename_keys(hf_config, base_model=False):
        conv.rename_key(state, src, dest)
    conv.read_in_q_k_v(state, hf_config, base_model=False)
    save_state(state, "timm-vit/hf-reference.safetensors")
    # Check the reference: transformers loads the converted weights and computes timm's logits.
    with tempfile.TemporaryDirectory() as tmp:
        save_file({k: v.numpy() for k, v in state.items()}, os.path.join(tmp, "model.safetensors"), metadata={"format": "pt"})
        with open(os.path.join(tmp, "config.json"), "w") as f:
            f.write(hf_config.to_json_string())
        hf = ViTForImageClassification.from_pretrained(tmp).eval()
        pixels = torch.randn(2, 3, 8, 8)
        with torch.no_grad():
            assert torch.allclose(hf(pixel_values=pixels).logits, timm_model(pixels), atol=1e-4), "timm → HF logits differ"

    # google (JAX .npz) → timm with timm's own loader (_load_weights).
    H, h, d, I, P, C, L = 16, 2, 8, 32, 4, 3, 3
    arrays = {"cls": rng.standard_normal((1, 1, H)), "embedding/kernel": rng.standard_normal((P, P, C, H)),
              "embedding/bias": rng.standard_normal(H), "Transformer/posembed_input/pos_embedding": rng.standard_normal((1, 5, H)),
              "Transformer/encoder_norm/scale": rng.standard_normal(H), "Transformer/encoder_norm/bias": rng.standard_normal(H),
              "head/kernel": rng.standard_normal((H, L)), "head/bias": rng.standard_normal(L)}
    for i in range(2):
        b = f"Transformer/encoderblock_{i}/"
        a = b + "MultiHeadDotProductAttention_1/"
        for n in ("query", "key", "value"):
            arrays[a + n + "/kernel"] = rng.standard_normal((H, h, d))
            arrays[a + n + "/bias"] = rng.standard_normal((h, d))
        arrays[a + "out/kernel"] = rng.standard_normal((h, d, H))
        arrays[a + "out/bias"] = rng.standard_normal(H)
        for ln in ("LayerNorm_0", "LayerNorm_2"):
            arrays[b + ln + "/scale"] = rng.standard_normal(H)
            arrays[b + ln + "/bias"] = rng.standard_normal(H)
        arrays[b + "MlpBlock_3/Dense_0/kernel"] = rng.standard_normal((H, I))
        arrays[b + "MlpBlock_3/Dense_0/bias"] = rng.standard_normal(I)
        arrays[b + "MlpBlock_3/Dense_1/kernel"] = rng.standard_normal((I, H))
        arrays[b + "MlpBlock_3/Dense_1/bias"] = rng.standard_normal(H)
    arrays = {k: v.astype(np.float32) for k, v in arrays.items()}
    np.savez(out("google-vit/model.npz"), **arrays)
    google_timm = timm.models.vision_transformer.VisionTransformer(
        img_size=8, patch_size=4, in_chans=3, num_classes=3, embed_dim=16, depth=2, num_heads=2, mlp_ratio=2.0, qkv_bias=True)
    timm.models.vision_transformer._load_weights(google_timm, out("google-vit/model.npz"))
    save_state(google_timm.state_dict(), "google-vit/timm-reference.safetensors")


# ---------------------------------------------------------------- BERT
BERT = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
            max_position_embeddings=24, type_vocab_size=2)


class AssigningTF:
    """tf.compat.v1 for transformers' HF → TF BERT converter. Its `tf_var.assign(...)` only
    builds an op in graph mode and never runs it, so the checkpoint it saves holds the zero
    initial values; this proxy runs each assignment in the converter's session. The converter's
    naming and transposition logic is untouched."""

    def __init__(self, tf1):
        self._tf = tf1
        self.session = None

    def __getattr__(self, name):
        return getattr(self._tf, name)

    def Session(self):
        proxy = self

        class Session:
            def __enter__(self):
                self.inner = proxy._tf.Session().__enter__()
                proxy.session = self.inner
                return self

            def __exit__(self, *args):
                return self.inner.__exit__(*args)

            def run(self, fetches, *args, **kwargs):
                return self.inner.run(fetches.var if isinstance(fetches, AssigningVariable) else fetches, *args, **kwargs)

            def __getattr__(self, name):
                return getattr(self.inner, name)

        return Session()

    def get_variable(self, **kwargs):
        return AssigningVariable(self, self._tf.get_variable(**kwargs))

    @property
    def train(self):
        real = self._tf.train

        class Train:
            def __getattr__(self, name):
                return getattr(real, name)

            def Saver(self, *args, **kwargs):
                saver = real.Saver(*args, **kwargs)

                class Saver:
                    def save(self, session, path, *rest, **options):
                        return saver.save(getattr(session, "inner", session), path, *rest, **options)

                return Saver()

        return Train()

    def variables_initializer(self, variables):
        return self._tf.variables_initializer([v.var if isinstance(v, AssigningVariable) else v for v in variables])


class AssigningVariable:
    def __init__(self, tf, var):
        self.tf, self.var, self.dtype = tf, var, var.dtype

    def assign(self, value):
        self.tf.session.run(self.var.assign(value))


def make_bert():
    for cls, folder, extra in [(BertModel, "hf-bert-model", {}), (BertForMaskedLM, "hf-bert-mlm", {}),
                               (BertForPreTraining, "hf-bert-pretraining", {}),
                               (BertForSequenceClassification, "hf-bert-classifier", {"num_labels": 3})]:
        model = randomize(cls(BertConfig(**BERT, **extra))).eval()
        model.save_pretrained(out(folder), safe_serialization=True)

    # An older save: LayerNorm gamma/beta and the int64 position_ids buffer, loaded back by
    # transformers to check that it still understands the spelling.
    model = BertModel.from_pretrained(out("hf-bert-model"))
    from safetensors.numpy import load_file
    state = load_file(out("hf-bert-model", "model.safetensors"))
    legacy = {}
    for key, value in state.items():
        if ".LayerNorm." in key:
            key = key.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        legacy[key] = value
    legacy["embeddings.position_ids"] = np.arange(24, dtype=np.int64)[None, :]
    save_file(legacy, out("hf-bert-legacy", "model.safetensors"), metadata={"format": "pt"})
    shutil.copy(out("hf-bert-model", "config.json"), out("hf-bert-legacy", "config.json"))

    # HF BertModel → original Google TF names with transformers' own converter, read back from
    # the TensorFlow checkpoint it writes.
    import tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    conv = load_module("bert/convert_bert_pytorch_checkpoint_to_original_tf.py", "convert_bert_to_tf")
    conv.tf = AssigningTF(tf.compat.v1)
    with tempfile.TemporaryDirectory() as tmp:
        conv.convert_pytorch_checkpoint_to_tf(model=model, ckpt_dir=tmp, model_name="tiny-bert")
        ckpt = os.path.join(tmp, "tiny_bert.ckpt")
        names = [name for name, _ in tf.train.list_variables(ckpt)]
        tf_state = {name: tf.train.load_variable(ckpt, name) for name in names}
    # Check the reference against the model it came from (kernels are the transposed weights).
    assert np.array_equal(tf_state["bert/encoder/layer_1/intermediate/dense/kernel"],
                          model.encoder.layer[1].intermediate.dense.weight.detach().numpy().T)
    assert np.array_equal(tf_state["bert/embeddings/word_embeddings"], model.embeddings.word_embeddings.weight.detach().numpy())
    save_file(tf_state, out("tf-bert", "model.safetensors"), metadata={"format": "tf"})

    # keras-hub: its own Hugging Face converter builds a BertBackbone from the HF folder;
    # Keras writes the .weights.h5. The same arrays are also dumped to safetensors under
    # their HDF5 paths so the names can be tested without the HDF5 reader.
    import keras_hub
    backbone = keras_hub.models.BertBackbone.from_preset(out("hf-bert-model"))
    backbone.save_weights(out("keras-hub-bert", "model.weights.h5"))
    dumped = {}
    with h5py.File(out("keras-hub-bert", "model.weights.h5"), "r") as f:
        f.visititems(lambda name, obj: dumped.__setitem__(name, np.array(obj)) if isinstance(obj, h5py.Dataset) else None)
    save_file(dumped, out("keras-hub-bert", "model-h5-paths.safetensors"), metadata={"format": "keras"})
    with open(out("keras-hub-bert", "config.json"), "w") as f:
        json.dump({"module": "keras_hub.src.models.bert.bert_backbone", "class_name": "BertBackbone",
                   "config": backbone.get_config()}, f, indent=2, default=str)


def make_npz_cases():
    """Edge cases for the .npz reader: deflated entries, big-endian and half floats, booleans,
    Fortran order and object arrays (the last two are rejected)."""
    np.savez_compressed(out("npz", "compressed.npz"), **{
        "a/b": np.arange(6, dtype=np.float32).reshape(2, 3), "ints": np.arange(4, dtype=np.int64),
        "half": np.array([0.5, 1.5, -2.0], dtype=np.float16), "big": np.arange(4, dtype=">f4").reshape(2, 2),
        "flag": np.array([True, False]), "scalar": np.float64(2.5)})
    np.savez(out("npz", "fortran.npz"), w=np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    np.savez(out("npz", "object.npz"), o=np.array([{"a": 1}], dtype=object))


if __name__ == "__main__":
    make_vit()
    make_bert()
    make_npz_cases()
    write_checksums()
    print("fixtures written to", HERE)

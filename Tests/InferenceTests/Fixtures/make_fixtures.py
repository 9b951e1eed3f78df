"""Reference fixtures for InferenceTests, made with Hugging Face transformers (5.x) in float32.

Run from this folder with the fixtures venv:
    /work/main/.venv-fixtures/bin/python make_fixtures.py [MINILM_DIR]

Writes (all small):
  vit/model.safetensors + vit/config.json      tiny random ViTForImageClassification, canonical names
  bert_mlm/...                                  tiny random BertForMaskedLM (tied decoder)
  bert_cls/...                                  tiny random BertForSequenceClassification (with pooler)
  vit_data.h5, bert_mlm_data.h5, bert_cls_data.h5   datasets in Transfuse's dataset layout
  expected.h5                                   transformers' outputs (logits, pooler, loss, accuracy)
  activations_*.h5                              activations captured with forward hooks
  minilm.h5                                     token ids + sentence embeddings + pooler of all-MiniLM-L6-v2
  vit_grid8/..., vit_grid8_data.h5              a ViT with an 8×8 patch grid for the reference's own capture code
                                                (make_reference_activations.py, transformers 4.46.3)
  SHA256SUMS

Canonical names are the Hugging Face module names without the `vit.` / `bert.` prefix (see
Schemas/vit.json, Schemas/bert.json). transformers 5 renames ViT modules in memory
(`vit.layers.N.attention.q_proj`), so this script maps them back explicitly.

Activation capture follows the reference code (graldij/transformer-fusion, otfusion/utils.py):
a forward hook on each module records its output (the first element of a tuple); batches of one
sample; the first `num_samples` samples in file order; tokens flattened into rows
(sample-major); `seq_filter` keeps the class token only, or the class token plus a centre
window of patches, on modules whose sequence is the full token sequence; then per neuron
(column) standardise `(a - mean) / (std + 1e-9)` with torch.std (unbiased, N-1), or centre,
or `torch.nn.functional.normalize(a, dim=0, eps=1e-12)`. This reproduces the hook semantics with
plain torch hooks on transformers 5 (the reference itself needs transformers 4.x). For BERT,
tokens whose attention mask is 0 are dropped (a batch of one unpadded sentence, as the
reference feeds, has none).
"""
import hashlib
import json
import math
import os
import sys

import h5py
import numpy as np
import torch
from safetensors.torch import save_file
from transformers import (BertConfig, BertForMaskedLM, BertForSequenceClassification, BertModel,
                          ViTConfig, ViTForImageClassification)

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))


def perturb(model, seed, scale=0.15):
    """Random weights of a useful magnitude (default init makes everything ~0)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("LayerNorm.weight") or "layernorm" in name and name.endswith("weight"):
                p.copy_(1.0 + scale * torch.randn(p.shape, generator=g))
            else:
                p.copy_(scale * 2 * torch.randn(p.shape, generator=g))
    model.eval()


# MARK: - Canonical names

def vit_canonical(key):
    """transformers 5 in-memory ViT names → canonical (Schemas/vit.json)."""
    if key.startswith("vit."):
        key = key[len("vit."):]
    parts = key.split(".")
    if parts[0] == "layers":
        i, rest = parts[1], ".".join(parts[2:])
        table = {
            "attention.q_proj": "attention.attention.query",
            "attention.k_proj": "attention.attention.key",
            "attention.v_proj": "attention.attention.value",
            "attention.o_proj": "attention.output.dense",
            "mlp.fc1": "intermediate.dense",
            "mlp.fc2": "output.dense",
        }
        for old, new in table.items():
            if rest == old or rest.startswith(old + "."):
                rest = new + rest[len(old):]
                break
        return f"encoder.layer.{i}" + ("." + rest if rest else "")
    return key


def bert_canonical(key):
    return key[len("bert."):] if key.startswith("bert.") else key


def save_model(model, folder, rename, drop=()):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    tensors = {}
    for key, value in model.state_dict().items():
        name = rename(key)
        if name in drop:
            continue
        tensors[name] = value.detach().contiguous().clone()
    save_file(tensors, os.path.join(HERE, folder, "model.safetensors"))
    config = model.config.to_dict()
    with open(os.path.join(HERE, folder, "config.json"), "w") as f:
        json.dump(config, f, indent=1, sort_keys=True)


# MARK: - Activation hooks (reference semantics)

def capture(model, samples, forward, module_names, rename):
    """Runs `forward(model, sample)` for each sample (batch of one) with hooks on the named
    modules; returns {canonical name: [rows, width]} with tokens flattened."""
    store = {}
    handles = []
    modules = dict(model.named_modules())
    for name in module_names:
        def hook(module, inputs, output, name=name):
            out = output if isinstance(output, torch.Tensor) else output[0]
            store[name] = out.detach()
        handles.append(modules[name].register_forward_hook(hook))
    per_sample = []
    for sample in samples:
        store.clear()
        forward(model, sample)
        per_sample.append({rename(k): v.clone() for k, v in store.items()})
    for h in handles:
        h.remove()
    return per_sample


def window_rows(tokens, grid, filt):
    """Token indices kept by `filt` for a ViT sequence of 1 + grid² tokens."""
    if filt is None:
        return list(range(tokens))
    if filt == "only_cls":
        return [0]
    n = int(filt.split("_")[1])
    start = (grid - n) // 2
    keep = [0]
    for r in range(start, start + n):
        for c in range(start, start + n):
            keep.append(1 + r * grid + c)
    return keep


def normalise(a, mode):
    if mode == "standardize":
        return (a - a.mean(dim=0)) / (a.std(dim=0) + 1e-9)
    if mode == "center":
        return a - a.mean(dim=0)
    if mode == "l2":
        return torch.nn.functional.normalize(a, dim=0, p=2, eps=1e-12)
    return a


def write_acts(path, acts, attrs):
    with h5py.File(path, "w") as f:
        for key, value in attrs.items():
            f.attrs[key] = value
        for name, a in acts.items():
            f.create_dataset(name, data=a.numpy().astype(np.float32))


# MARK: - ViT

def make_vit(expected):
    config = ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                       image_size=16, patch_size=4, num_channels=3, num_labels=5, hidden_act="gelu",
                       layer_norm_eps=1e-12, qkv_bias=True)
    config.id2label = {i: f"class_{i}" for i in range(5)}
    config.label2id = {v: k for k, v in config.id2label.items()}
    torch.manual_seed(0)
    model = ViTForImageClassification(config)
    perturb(model, 1)
    save_model(model, "vit", vit_canonical)

    g = torch.Generator().manual_seed(2)
    n = 24
    images = torch.randn((n, 3, 16, 16), generator=g)
    with torch.no_grad():
        logits = model(pixel_values=images).logits
    # labels: the model's prediction for two thirds of the samples, random otherwise
    labels = logits.argmax(-1).clone()
    labels[::3] = torch.randint(0, 5, (labels[::3].shape[0],), generator=g)
    with torch.no_grad():
        out = model(pixel_values=images, labels=labels)
    with h5py.File(os.path.join(HERE, "vit_data.h5"), "w") as f:
        f.create_dataset("images", data=images.numpy().astype(np.float32))
        f.create_dataset("labels", data=labels.numpy().astype(np.int64))
        f.attrs["task"] = "image-classification"
    expected["vit/logits"] = out.logits.numpy()
    expected["vit/loss"] = np.array(out.loss.item(), dtype=np.float64)
    expected["vit/accuracy"] = np.array((out.logits.argmax(-1) == labels).float().mean().item(), dtype=np.float64)

    modules = ["vit.embeddings.patch_embeddings", "vit.embeddings"]
    for i in range(config.num_hidden_layers):
        for m in ["attention.q_proj", "attention.k_proj", "attention.v_proj", "attention.o_proj", "attention",
                  "mlp.fc1", "mlp.fc2", ""]:
            modules.append(f"vit.layers.{i}" + ("." + m if m else ""))
    modules.append("classifier")
    num_samples = 4
    samples = [images[i:i + 1] for i in range(num_samples)]
    raw = capture(model, samples, lambda m, x: m(pixel_values=x), modules, vit_canonical)
    # the attention block's output is the output projection's (ViT has no residual inside it)
    assert torch.equal(raw[0]["encoder.layer.0.attention"], raw[0]["encoder.layer.0.attention.output.dense"])
    grid = 16 // 4
    tokens = grid * grid + 1
    for filt, mode in [(None, "standardize")]:  # filters: see make_reference_activations.py
        acts = {}
        for name in raw[0]:
            rows = []
            for sample in raw:
                a = sample[name]
                if a.dim() == 3:
                    keep = window_rows(tokens, grid, filt) if a.shape[1] == tokens else list(range(a.shape[1]))
                    rows.append(a[0, keep, :])
                else:
                    rows.append(a)
            acts[name] = normalise(torch.cat(rows, 0), mode)
        label = f"{filt or 'all'}_{mode}"
        write_acts(os.path.join(HERE, f"activations_vit_{label}.h5"), acts,
                   {"num_samples": num_samples, "seq_filter": filt or "all", "normalize": mode})


def make_vit_grid8(expected):
    """A ViT with an 8×8 patch grid (65 tokens, as the reference's hard-coded windows assume):
    image 8, patch 1. Its activations come from the paper's own code (make_reference_activations.py)."""
    config = ViTConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                       image_size=8, patch_size=1, num_channels=3, num_labels=3, hidden_act="gelu",
                       layer_norm_eps=1e-12, qkv_bias=True)
    torch.manual_seed(9)
    model = ViTForImageClassification(config)
    perturb(model, 10)
    save_model(model, "vit_grid8", vit_canonical)
    g = torch.Generator().manual_seed(11)
    images = torch.randn((6, 3, 8, 8), generator=g)
    labels = torch.randint(0, 3, (6,), generator=g)
    with torch.no_grad():
        logits = model(pixel_values=images).logits
    with h5py.File(os.path.join(HERE, "vit_grid8_data.h5"), "w") as f:
        f.create_dataset("images", data=images.numpy().astype(np.float32))
        f.create_dataset("labels", data=labels.numpy().astype(np.int64))
    expected["vit_grid8/logits"] = logits.numpy()


# MARK: - BERT

def bert_inputs(g, n, length, vocab):
    ids = torch.randint(5, vocab, (n, length), generator=g)
    mask = torch.ones((n, length), dtype=torch.int64)
    for row in range(n):
        real = int(torch.randint(length // 2, length + 1, (1,), generator=g))
        mask[row, real:] = 0
        ids[row, real:] = 0
        ids[row, 0] = 2  # a [CLS]-like token
    return ids, mask


def bert_config(**extra):
    return BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                      vocab_size=100, max_position_embeddings=24, type_vocab_size=2, hidden_act="gelu",
                      layer_norm_eps=1e-12, **extra)


def bert_modules(prefix, layers):
    modules = [f"{prefix}embeddings"]
    for i in range(layers):
        for m in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                  "attention", "intermediate.dense", "output.dense", ""]:
            modules.append(f"{prefix}encoder.layer.{i}" + ("." + m if m else ""))
    return modules


def bert_capture(model, ids, mask, modules, num_samples, mode):
    samples = [(ids[i:i + 1], mask[i:i + 1]) for i in range(num_samples)]
    raw = capture(model, samples, lambda m, s: m(input_ids=s[0], attention_mask=s[1]), modules, bert_canonical)
    acts = {}
    for name in raw[0]:
        rows = []
        for i, sample in enumerate(raw):
            a = sample[name]
            if a.dim() == 3:
                keep = mask[i].nonzero().flatten()
                rows.append(a[0, keep, :])
            else:
                rows.append(a)
        acts[name] = normalise(torch.cat(rows, 0), mode)
    return acts


def make_bert_mlm(expected):
    config = bert_config()
    torch.manual_seed(3)
    model = BertForMaskedLM(config)
    perturb(model, 4)
    model.tie_weights()
    assert model.cls.predictions.decoder.weight.data_ptr() == model.bert.embeddings.word_embeddings.weight.data_ptr()
    save_model(model, "bert_mlm", bert_canonical, drop=("cls.predictions.decoder.weight", "cls.predictions.decoder.bias"))

    g = torch.Generator().manual_seed(5)
    n, length = 16, 12
    ids, mask = bert_inputs(g, n, length, 100)
    labels = torch.full((n, length), -100, dtype=torch.int64)
    pick = (torch.rand((n, length), generator=g) < 0.3) & (mask == 1)
    pick[:, 1] = True  # at least one label per row
    with torch.no_grad():
        pred = model(input_ids=ids, attention_mask=mask).logits.argmax(-1)
    rand = torch.randint(5, 100, (n, length), generator=g)
    # half the labels are the model's own prediction so accuracy is not trivially ~0
    coin = torch.rand((n, length), generator=g) < 0.5
    labels[pick] = torch.where(coin, pred, rand)[pick]
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, labels=labels)
    with h5py.File(os.path.join(HERE, "bert_mlm_data.h5"), "w") as f:
        f.create_dataset("input_ids", data=ids.numpy().astype(np.int64))
        f.create_dataset("attention_mask", data=mask.numpy().astype(np.int64))
        f.create_dataset("labels", data=labels.numpy().astype(np.int64))
    expected["bert_mlm/logits"] = out.logits[:4].numpy()
    expected["bert_mlm/loss"] = np.array(out.loss.item(), dtype=np.float64)
    counted = labels != -100
    correct = (out.logits.argmax(-1) == labels) & counted
    expected["bert_mlm/accuracy"] = np.array(correct.sum().item() / counted.sum().item(), dtype=np.float64)

    modules = bert_modules("bert.", config.num_hidden_layers) + ["cls.predictions.transform.dense"]
    acts = bert_capture(model, ids, mask, modules, 5, "standardize")
    write_acts(os.path.join(HERE, "activations_bert_mlm_all_standardize.h5"), acts,
               {"num_samples": 5, "seq_filter": "all", "normalize": "standardize"})


def make_bert_cls(expected):
    config = bert_config(num_labels=3)
    torch.manual_seed(6)
    model = BertForSequenceClassification(config)
    perturb(model, 7)
    save_model(model, "bert_cls", bert_canonical)

    g = torch.Generator().manual_seed(8)
    n, length = 20, 10
    ids, mask = bert_inputs(g, n, length, 100)
    types = torch.zeros_like(ids)
    with torch.no_grad():
        base = model.bert(input_ids=ids, attention_mask=mask)
        logits = model(input_ids=ids, attention_mask=mask).logits
    labels = logits.argmax(-1).clone()
    labels[::2] = torch.randint(0, 3, (labels[::2].shape[0],), generator=g)
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, labels=labels)
    with h5py.File(os.path.join(HERE, "bert_cls_data.h5"), "w") as f:
        f.create_dataset("input_ids", data=ids.numpy().astype(np.int64))
        f.create_dataset("attention_mask", data=mask.numpy().astype(np.int64))
        f.create_dataset("labels", data=labels.numpy().astype(np.int64))
        f.attrs["task"] = "sequence-classification"
    expected["bert_cls/logits"] = out.logits.numpy()
    expected["bert_cls/pooler"] = base.pooler_output.numpy()
    expected["bert_cls/last_hidden"] = base.last_hidden_state[:3].numpy()
    expected["bert_cls/loss"] = np.array(out.loss.item(), dtype=np.float64)
    expected["bert_cls/accuracy"] = np.array((out.logits.argmax(-1) == labels).float().mean().item(), dtype=np.float64)

    modules = bert_modules("bert.", config.num_hidden_layers) + ["bert.pooler.dense", "classifier"]
    acts = bert_capture(model, ids, mask, modules, 6, "l2")
    write_acts(os.path.join(HERE, "activations_bert_cls_all_l2.h5"), acts,
               {"num_samples": 6, "seq_filter": "all", "normalize": "l2"})


# MARK: - all-MiniLM-L6-v2

SENTENCES = [
    "Optimal transport aligns the neurons of two networks.",
    "A cat sits on the mat.",
    "Transformers fuse!",
    "The quick brown fox jumps over the lazy dog near the river bank at dawn.",
]


def make_minilm(folder):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(folder)
    batch = tok(SENTENCES, padding=True, return_tensors="pt")
    model = BertModel.from_pretrained(folder).eval()
    with torch.no_grad():
        out = model(**batch)
    mask = batch["attention_mask"].unsqueeze(-1).float()
    # sentence-transformers' Pooling (mean tokens): sum(token * mask) / clamp(sum(mask), 1e-9)
    mean = (out.last_hidden_state * mask).sum(1) / torch.clamp(mask.sum(1), min=1e-9)
    with h5py.File(os.path.join(HERE, "minilm.h5"), "w") as f:
        f.create_dataset("input_ids", data=batch["input_ids"].numpy().astype(np.int64))
        f.create_dataset("attention_mask", data=batch["attention_mask"].numpy().astype(np.int64))
        f.create_dataset("token_type_ids", data=batch["token_type_ids"].numpy().astype(np.int64))
        f.create_dataset("sentence_embeddings", data=mean.numpy())
        f.create_dataset("pooler", data=out.pooler_output.numpy())


def main():
    expected = {}
    make_vit(expected)
    make_vit_grid8(expected)
    make_bert_mlm(expected)
    make_bert_cls(expected)
    with h5py.File(os.path.join(HERE, "expected.h5"), "w") as f:
        for key, value in expected.items():
            f.create_dataset(key, data=value)
    minilm = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TRANSFUSE_MINILM_DIR")
    if minilm:
        make_minilm(minilm)
    files = []
    for root, _, names in os.walk(HERE):
        for name in names:
            if name.endswith((".h5", ".safetensors", ".json", ".py")):
                files.append(os.path.relpath(os.path.join(root, name), HERE))
    with open(os.path.join(HERE, "SHA256SUMS"), "w") as out:
        for rel in sorted(files):
            digest = hashlib.sha256(open(os.path.join(HERE, rel), "rb").read()).hexdigest()
            out.write(f"{digest}  {rel}\n")


if __name__ == "__main__":
    main()

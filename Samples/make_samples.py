#!/usr/bin/env python3
"""Train Transfuse's sample models and write their datasets (run by `make fixtures`).

Produces, next to this script (or under --out):

  vit-digits-{a,b,c,narrow}/   Hugging Face ViTForImageClassification on scikit-learn's
                               8x8 digits (config.json + model.safetensors)
  bert-mlm-{a,b}/              Hugging Face BertForMaskedLM on the docstrings of Python's
                               standard library, with their WordPiece tokenizer
  data/digits-{calib,test}.h5  images float32 [N,1,8,8] (normalised) + labels int64 [N]
  data/bert-{calib,test}.h5    input_ids / attention_mask / labels int64 [N,L] (fixed masks)
  METRICS.json                 {model: {metric: value}} on the test splits, incl. vanilla averages
  SHA256SUMS                   sha256sum of the models, datasets and METRICS.json

Everything is deterministic: fixed seeds, one CPU thread, torch deterministic algorithms.
The text corpus is read from the running interpreter's standard library sources, so the BERT
part reproduces bit for bit only with the same Python version (the README names it).

Usage: python Samples/make_samples.py [--out DIR] [--parts vit,bert]
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import heapq
import json
import math
import os
import random
import re
import shutil
import sys
import sysconfig
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import (BertConfig, BertForMaskedLM, PreTrainedTokenizerFast, ViTConfig,
                          ViTForImageClassification)
from transformers.utils import logging as hf_logging

HERE = Path(__file__).resolve().parent

# ----------------------------------------------------------------------------------------------
# Settings (documented in README.md; change them and the checksums change)
# ----------------------------------------------------------------------------------------------

DIGITS_SPLIT_SEED = 0
DIGITS_TEST = 397            # 1797 = 1400 train + 397 test (stratified)
DIGITS_CALIB = 300           # first 300 images of the (shuffled) training split

VIT_COMMON = dict(image_size=8, patch_size=2, num_channels=1, num_hidden_layers=4,
                  num_attention_heads=4, hidden_act="gelu", qkv_bias=True,
                  hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                  layer_norm_eps=1e-12, initializer_range=0.02, num_labels=10)
VIT_MODELS = [  # name, seed, hidden, intermediate
    ("a", 1, 64, 128),
    ("b", 2, 64, 128),
    ("c", 3, 64, 128),
    ("narrow", 4, 48, 96),
]
VIT_EPOCHS = 120
VIT_BATCH = 64
VIT_LR = 1e-3
VIT_WD = 0.05
VIT_WARMUP_EPOCHS = 5

BERT_SPLIT_SEED = 0
BERT_SEQ_LEN = 64            # [CLS] + up to 62 tokens + [SEP], padded
BERT_VOCAB = 2000
BERT_TEST = 512
BERT_CALIB = 256
BERT_CALIB_MASK_SEED = 100
BERT_TEST_MASK_SEED = 101
BERT_COMMON = dict(vocab_size=BERT_VOCAB, hidden_size=64, num_hidden_layers=4,
                   num_attention_heads=4, intermediate_size=256,
                   max_position_embeddings=BERT_SEQ_LEN, type_vocab_size=2,
                   hidden_act="gelu", hidden_dropout_prob=0.0,
                   attention_probs_dropout_prob=0.0, layer_norm_eps=1e-12,
                   initializer_range=0.02, pad_token_id=0, tie_word_embeddings=True)
BERT_MODELS = [("a", 11), ("b", 12)]
BERT_EPOCHS = 24
BERT_BATCH = 64
BERT_LR = 2e-3
BERT_WD = 0.01
BERT_WARMUP_FRACTION = 0.06
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# Directories of the standard library that are not prose-bearing library code.
STDLIB_SKIP_DIRS = {"test", "tests", "idle_test", "site-packages", "lib2to3", "idlelib",
                    "turtledemo", "__pycache__", "ensurepip", "lib-dynload"}


def log(msg: str) -> None:
    print(f"[make_samples {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def seed_everything(seed: int) -> torch.Generator:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def setup_determinism() -> None:
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def write_h5(path: Path, arrays: dict[str, np.ndarray], attrs: dict[str, str]) -> None:
    """Contiguous, uncompressed datasets; fixed-length ASCII string attributes; no timestamps."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    with h5py.File(path, "w", track_order=False) as f:
        for key, value in attrs.items():
            f.attrs[key] = np.bytes_(value.encode("ascii"))
        for name, arr in arrays.items():
            f.create_dataset(name, data=arr, track_times=False)


def round_metrics(d: dict) -> dict:
    return {k: (round(float(v), 6) if isinstance(v, float) else v) for k, v in d.items()}


def average_state_dicts(models: list[torch.nn.Module]) -> dict[str, torch.Tensor]:
    """Vanilla fusion: the uniform average of every floating-point tensor (equal shapes)."""
    dicts = [m.state_dict() for m in models]
    out = {}
    for key, value in dicts[0].items():
        if value.is_floating_point():
            out[key] = sum(d[key] for d in dicts) / len(dicts)
        else:
            out[key] = value.clone()
    return out


def cosine_lr(step: int, total: int, warmup: int, peak: float) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * 0.5 * (1.0 + math.cos(math.pi * progress))


def vit_train_step(model, opt, xb, yb, lr: float):
    """One AdamW step of a ViT classifier on the batch (xb, yb) at learning rate lr; returns the
    loss tensor. Shared with Samples/finetune.py, so finetuning runs exactly the training step."""
    for group in opt.param_groups:
        group["lr"] = lr
    loss = F.cross_entropy(model(pixel_values=xb).logits, yb)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss


def save_model(model: torch.nn.Module, directory: Path) -> None:
    if directory.exists():
        shutil.rmtree(directory)
    model.save_pretrained(directory, safe_serialization=True)


# ----------------------------------------------------------------------------------------------
# Digits ViTs
# ----------------------------------------------------------------------------------------------

def digits_splits():
    """Returns normalised (train, calib, test) images [N,1,8,8] float32, labels int64, stats."""
    digits = load_digits()
    images = digits.images.astype(np.float64) / 16.0            # [1797, 8, 8] in [0, 1]
    labels = digits.target.astype(np.int64)
    idx = np.arange(len(labels))
    train_idx, test_idx = train_test_split(idx, test_size=DIGITS_TEST, stratify=labels,
                                           random_state=DIGITS_SPLIT_SEED, shuffle=True)
    mean = float(images[train_idx].mean())
    std = float(images[train_idx].std())
    mean, std = round(mean, 6), round(std, 6)                   # the documented constants
    norm = ((images - mean) / std).astype(np.float32)[:, None, :, :]
    calib_idx = train_idx[:DIGITS_CALIB]
    return dict(train=(norm[train_idx], labels[train_idx], train_idx),
                calib=(norm[calib_idx], labels[calib_idx], calib_idx),
                test=(norm[test_idx], labels[test_idx], test_idx),
                mean=mean, std=std, background=float((0.0 - mean) / std))


def shift_augment(x: torch.Tensor, g: torch.Generator, background: float) -> torch.Tensor:
    """Random translation by -1, 0 or +1 pixel in each direction, filled with the background."""
    n = x.shape[0]
    padded = F.pad(x, (1, 1, 1, 1), value=background)           # [n,1,10,10]
    dy = torch.randint(0, 3, (n,), generator=g)
    dx = torch.randint(0, 3, (n,), generator=g)
    rows = (dy[:, None] + torch.arange(8)[None, :])             # [n,8]
    cols = (dx[:, None] + torch.arange(8)[None, :])
    bidx = torch.arange(n)[:, None, None]
    return padded[bidx, 0, rows[:, :, None], cols[:, None, :]][:, None]


@torch.no_grad()
def eval_vit(model, images: np.ndarray, labels: np.ndarray) -> dict:
    model.eval()
    logits = []
    x = torch.from_numpy(images)
    for i in range(0, len(x), 256):
        logits.append(model(pixel_values=x[i:i + 256]).logits)
    logits = torch.cat(logits)
    y = torch.from_numpy(labels)
    loss = F.cross_entropy(logits, y).item()
    acc = (logits.argmax(-1) == y).float().mean().item()
    return {"accuracy": acc, "loss": loss, "samples": int(len(y))}


def train_vit(name: str, seed: int, hidden: int, inter: int, data: dict) -> ViTForImageClassification:
    g = seed_everything(seed)
    config = ViTConfig(hidden_size=hidden, intermediate_size=inter, **VIT_COMMON,
                       id2label={i: str(i) for i in range(10)},
                       label2id={str(i): i for i in range(10)})
    model = ViTForImageClassification(config)
    x_train = torch.from_numpy(data["train"][0])
    y_train = torch.from_numpy(data["train"][1])
    n = len(y_train)
    steps_per_epoch = math.ceil(n / VIT_BATCH)
    total = VIT_EPOCHS * steps_per_epoch
    decay = [p for nm, p in model.named_parameters() if p.ndim >= 2 and "embeddings" not in nm]
    no_decay = [p for nm, p in model.named_parameters() if not (p.ndim >= 2 and "embeddings" not in nm)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": VIT_WD},
                             {"params": no_decay, "weight_decay": 0.0}], lr=VIT_LR,
                            betas=(0.9, 0.999), eps=1e-8)
    step = 0
    t0 = time.time()
    for epoch in range(VIT_EPOCHS):
        model.train()
        perm = torch.randperm(n, generator=g)
        total_loss = 0.0
        for i in range(0, n, VIT_BATCH):
            b = perm[i:i + VIT_BATCH]
            xb = shift_augment(x_train[b], g, data["background"])
            lr = cosine_lr(step, total, VIT_WARMUP_EPOCHS * steps_per_epoch, VIT_LR)
            loss = vit_train_step(model, opt, xb, y_train[b], lr)
            total_loss += loss.item() * len(b)
            step += 1
        if (epoch + 1) % 20 == 0 or epoch == 0:
            acc = eval_vit(model, *data["test"][:2])["accuracy"]
            log(f"vit-digits-{name} epoch {epoch + 1}/{VIT_EPOCHS} train loss "
                f"{total_loss / n:.4f} test acc {acc:.4f} ({time.time() - t0:.0f}s)")
    model.eval()
    return model


def make_vits(out: Path, metrics: dict, timings: dict) -> None:
    data = digits_splits()
    log(f"digits: train {len(data['train'][1])} (calib = first {DIGITS_CALIB}), test "
        f"{len(data['test'][1])}, mean {data['mean']}, std {data['std']}")
    norm_text = (f"pixel values p in 0..16; x = (p/16 - {data['mean']}) / {data['std']} "
                 f"(mean/std of p/16 over the 1400 training images)")
    common = ("scikit-learn load_digits (8x8, 10 classes), stratified split with "
              f"train_test_split(test_size={DIGITS_TEST}, random_state={DIGITS_SPLIT_SEED}); "
              f"normalisation: {norm_text}")
    for split in ("calib", "test"):
        images, labels, idx = data[split]
        desc = (f"digits {split} split: {len(labels)} images. " +
                ("The first 300 images of the shuffled training split (seen in training), "
                 "for activation-based fusion. " if split == "calib" else
                 "Held out from training. ") + common +
                f". Original indices into load_digits() are in the dataset 'source_index'.")
        write_h5(out / "data" / f"digits-{split}.h5",
                 {"images": images, "labels": labels, "source_index": idx.astype(np.int64)},
                 {"task": "image-classification", "description": desc,
                  "normalisation": norm_text})
    trained = {}
    for name, seed, hidden, inter in VIT_MODELS:
        t0 = time.time()
        model = train_vit(name, seed, hidden, inter, data)
        timings[f"vit-digits-{name}"] = round(time.time() - t0, 1)
        save_model(model, out / f"vit-digits-{name}")
        m = eval_vit(model, *data["test"][:2])
        m["calib_accuracy"] = eval_vit(model, *data["calib"][:2])["accuracy"]
        m["parameters"] = int(sum(p.numel() for p in model.parameters()))
        m.update(seed=seed, hidden_size=hidden, intermediate_size=inter, epochs=VIT_EPOCHS)
        metrics[f"vit-digits-{name}"] = round_metrics(m)
        log(f"vit-digits-{name}: test accuracy {m['accuracy']:.4f}, loss {m['loss']:.4f} "
            f"({timings[f'vit-digits-{name}']}s)")
        trained[name] = model
    for members in (("a", "b"), ("a", "b", "c")):
        avg = ViTForImageClassification(trained["a"].config)
        avg.load_state_dict(average_state_dicts([trained[k] for k in members]))
        m = eval_vit(avg, *data["test"][:2])
        key = "vanilla(" + ",".join(f"vit-digits-{k}" for k in members) + ")"
        metrics[key] = round_metrics(m)
        log(f"{key}: test accuracy {m['accuracy']:.4f}, loss {m['loss']:.4f}")


# ----------------------------------------------------------------------------------------------
# BERT masked-LM pair
# ----------------------------------------------------------------------------------------------

def stdlib_corpus() -> list[tuple[str, list[str]]]:
    """(relative file path, prose paragraphs) from the docstrings of the stdlib sources.

    Files in sorted order, docstrings in ast.walk order (module, classes, functions), parsed
    with `ast` (nothing is imported). Paragraphs are split at blank lines; doctest paragraphs
    and paragraphs of fewer than 20 characters or less than 80% letters/spaces are dropped;
    line breaks inside a paragraph become single spaces.
    """
    root = Path(sysconfig.get_paths()["stdlib"])
    files = []
    for d, dirs, fs in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in STDLIB_SKIP_DIRS and not x.startswith("config-"))
        files += [Path(d) / f for f in fs if f.endswith(".py")]
    files.sort(key=lambda p: p.relative_to(root).as_posix())
    corpus = []
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        paragraphs = []
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            doc = ast.get_docstring(node, clean=True)
            if not doc:
                continue
            for para in re.split(r"\n\s*\n", doc):
                lines = para.splitlines()
                if any(line.lstrip().startswith((">>>", "...")) for line in lines):
                    continue
                text = " ".join(line.strip() for line in lines).strip()
                if len(text) < 20:
                    continue
                if sum(c.isalpha() or c == " " for c in text) / len(text) < 0.8:
                    continue
                paragraphs.append(text)
        if paragraphs:
            corpus.append((path.relative_to(root).as_posix(), paragraphs))
    return corpus


def split_files(corpus, seed: int):
    """Assigns whole source files to test, calib, train (seeded permutation of the files)."""
    order = np.random.RandomState(seed).permutation(len(corpus))
    words = lambda i: sum(len(p.split()) for p in corpus[i][1])
    total = sum(words(i) for i in range(len(corpus)))
    test, calib, train = [], [], []
    acc_test = acc_calib = 0
    for i in order:
        # ~9% of the words for test, ~5% for calibration: enough for the fixed sequence counts.
        if acc_test < 0.09 * total:
            test.append(int(i)); acc_test += words(i)
        elif acc_calib < 0.05 * total:
            calib.append(int(i)); acc_calib += words(i)
        else:
            train.append(int(i))
    return sorted(train), sorted(calib), sorted(test)


def learn_wordpiece_vocab(words: dict[str, int], size: int) -> list[str]:
    """A WordPiece vocabulary by BPE-style merges, deterministic (the `tokenizers` trainer is not:
    it breaks frequency ties in hash-map order, so its vocabulary changes from run to run).

    Words start as characters, continuation characters prefixed "##". Repeatedly the most
    frequent adjacent pair (weighted by word count; ties: lexicographically smallest pair) is
    merged until the vocabulary (special tokens + alphabet + merges) has `size` entries or no
    pair occurs twice. Returns the tokens in id order.
    """
    vocab = list(SPECIAL_TOKENS)
    known = set(vocab)
    word_list = sorted(words)
    counts = [words[w] for w in word_list]
    symbols = [[w[0]] + ["##" + c for c in w[1:]] for w in word_list]
    alphabet = sorted({s for syms in symbols for s in syms}, key=lambda t: (t.startswith("##"), t))
    for t in alphabet:
        if t not in known:
            vocab.append(t); known.add(t)
    pair_counts: dict[tuple[str, str], int] = {}
    where: dict[tuple[str, str], set[int]] = {}

    def add_pairs(i: int, sign: int) -> None:
        syms = symbols[i]
        for a, b in zip(syms, syms[1:]):
            pair_counts[(a, b)] = pair_counts.get((a, b), 0) + sign * counts[i]
            if sign > 0:
                where.setdefault((a, b), set()).add(i)

    for i in range(len(word_list)):
        add_pairs(i, +1)
    heap = [(-c, a, b) for (a, b), c in pair_counts.items()]
    heapq.heapify(heap)
    while len(vocab) < size and heap:
        neg, a, b = heapq.heappop(heap)
        current = pair_counts.get((a, b), 0)
        if current != -neg:            # stale entry
            if current > 0:
                heapq.heappush(heap, (-current, a, b))
            continue
        if current < 2:
            break
        merged = a + b[2:] if b.startswith("##") else a + b
        touched = sorted(where.pop((a, b), ()))
        for i in touched:
            add_pairs(i, -1)
            syms, out, k = symbols[i], [], 0
            while k < len(syms):
                if k + 1 < len(syms) and syms[k] == a and syms[k + 1] == b:
                    out.append(merged); k += 2
                else:
                    out.append(syms[k]); k += 1
            symbols[i] = out
            before = dict.fromkeys(zip(out, out[1:]))
            add_pairs(i, +1)
            for pair in before:
                heapq.heappush(heap, (-pair_counts[pair], *pair))
        pair_counts.pop((a, b), None)
        if merged not in known:
            vocab.append(merged); known.add(merged)
    return vocab


def train_tokenizer(paragraphs: list[str]) -> Tokenizer:
    """BERT-style WordPiece tokenizer (lowercasing BertNormalizer, BertPreTokenizer) whose
    vocabulary `learn_wordpiece_vocab` learns from the training paragraphs."""
    normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                            strip_accents=None, lowercase=True)
    pre = pre_tokenizers.BertPreTokenizer()
    words: dict[str, int] = {}
    for para in paragraphs:
        for w, _ in pre.pre_tokenize_str(normalizer.normalize_str(para)):
            words[w] = words.get(w, 0) + 1
    vocab = learn_wordpiece_vocab(words, BERT_VOCAB)
    tok = Tokenizer(models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]",
                                     max_input_chars_per_word=100))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    tok.decoder = decoders.WordPiece(prefix="##")
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    return tok


def pack_sequences(tok: Tokenizer, files: list[tuple[str, list[str]]]) -> np.ndarray:
    """Greedily packs consecutive paragraphs of one file into [CLS] ... [SEP] sequences.

    Paragraphs longer than the room are cut into chunks; sequences never cross files.
    Returns input ids [N, BERT_SEQ_LEN] padded with [PAD] (0).
    """
    room = BERT_SEQ_LEN - 2
    cls_id, sep_id, pad_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]"), tok.token_to_id("[PAD]")
    rows = []
    for _, paragraphs in files:
        encs = tok.encode_batch(paragraphs, add_special_tokens=False)
        current: list[int] = []
        for enc in encs:
            ids = enc.ids
            chunks = [ids[i:i + room] for i in range(0, len(ids), room)]
            for chunk in chunks:
                if len(current) + len(chunk) > room:
                    rows.append(current)
                    current = []
                current = current + chunk
        if current:
            rows.append(current)
    out = np.full((len(rows), BERT_SEQ_LEN), pad_id, dtype=np.int64)
    for r, ids in enumerate(rows):
        seq = [cls_id] + ids + [sep_id]
        out[r, :len(seq)] = seq
    return out


def mask_tokens(ids: torch.Tensor, g: torch.Generator, special: torch.Tensor, mask_id: int,
                n_special: int):
    """BERT masking: 15% of the non-special tokens; of those 80% [MASK], 10% random, 10% kept.

    Returns (masked input ids, labels with -100 where not masked). Random replacements are
    drawn from the non-special vocabulary.
    """
    candidates = ~torch.isin(ids, special)
    prob = torch.rand(ids.shape, generator=g)
    masked = candidates & (prob < 0.15)
    labels = torch.where(masked, ids, torch.full_like(ids, -100))
    r = torch.rand(ids.shape, generator=g)
    random_ids = torch.randint(n_special, BERT_VOCAB, ids.shape, generator=g)
    inputs = ids.clone()
    inputs[masked & (r < 0.8)] = mask_id
    replace = masked & (r >= 0.8) & (r < 0.9)
    inputs[replace] = random_ids[replace]
    return inputs, labels


@torch.no_grad()
def eval_mlm(model, inputs: np.ndarray, mask: np.ndarray, labels: np.ndarray) -> dict:
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    for i in range(0, len(inputs), 128):
        x = torch.from_numpy(inputs[i:i + 128])
        a = torch.from_numpy(mask[i:i + 128])
        y = torch.from_numpy(labels[i:i + 128])
        logits = model(input_ids=x, attention_mask=a).logits
        sel = y != -100
        lg, tgt = logits[sel].double(), y[sel]
        total_loss += F.cross_entropy(lg, tgt, reduction="sum").item()
        correct += (lg.argmax(-1) == tgt).sum().item()
        count += int(sel.sum())
    loss = total_loss / count
    return {"loss": loss, "accuracy": correct / count, "perplexity": math.exp(loss),
            "masked_tokens": count, "samples": int(len(inputs))}


def train_bert(name: str, seed: int, train_ids: np.ndarray, eval_set, special, mask_id, n_special):
    g = seed_everything(seed)
    model = BertForMaskedLM(BertConfig(**BERT_COMMON))
    ids_all = torch.from_numpy(train_ids)
    attn_all = (ids_all != 0).long()
    n = len(ids_all)
    steps_per_epoch = math.ceil(n / BERT_BATCH)
    total = BERT_EPOCHS * steps_per_epoch
    warmup = max(1, int(BERT_WARMUP_FRACTION * total))
    decay = [p for nm, p in model.named_parameters() if p.ndim >= 2 and "embeddings" not in nm]
    no_decay = [p for nm, p in model.named_parameters() if not (p.ndim >= 2 and "embeddings" not in nm)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": BERT_WD},
                             {"params": no_decay, "weight_decay": 0.0}], lr=BERT_LR,
                            betas=(0.9, 0.98), eps=1e-6)
    step = 0
    t0 = time.time()
    for epoch in range(BERT_EPOCHS):
        model.train()
        perm = torch.randperm(n, generator=g)
        run_loss, run_tokens = 0.0, 0
        for i in range(0, n, BERT_BATCH):
            b = perm[i:i + BERT_BATCH]
            inputs, labels = mask_tokens(ids_all[b], g, special, mask_id, n_special)
            lr = cosine_lr(step, total, warmup, BERT_LR)
            for group in opt.param_groups:
                group["lr"] = lr
            hidden = model.bert(input_ids=inputs, attention_mask=attn_all[b]).last_hidden_state
            sel = labels != -100
            # The MLM head on the masked positions only: the same loss as on all positions.
            logits = model.cls(hidden[sel])
            loss = F.cross_entropy(logits, labels[sel])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            run_loss += loss.item() * int(sel.sum())
            run_tokens += int(sel.sum())
            step += 1
        ev = eval_mlm(model, *eval_set)
        log(f"bert-mlm-{name} epoch {epoch + 1}/{BERT_EPOCHS} train loss {run_loss / run_tokens:.4f} "
            f"test loss {ev['loss']:.4f} acc {ev['accuracy']:.4f} ({time.time() - t0:.0f}s)")
    model.eval()
    return model


def save_tokenizer(fast: PreTrainedTokenizerFast, vocab_lines: list[str], d: Path) -> None:
    """tokenizer.json + tokenizer_config.json + vocab.txt (one token per line, in id order).

    transformers 5 names its generic class `TokenizersBackend` in tokenizer_config.json,
    which transformers 4 cannot load; `BertTokenizerFast` loads the same tokenizer.json in both.
    """
    fast.save_pretrained(d)
    cfg_path = d / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["tokenizer_class"] = "BertTokenizerFast"
    cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (d / "vocab.txt").write_text("\n".join(vocab_lines) + "\n", encoding="utf-8")


def make_berts(out: Path, metrics: dict, timings: dict, only: set[str], reuse: bool) -> None:
    """Datasets, tokenizer and the BERT models named in `only` (trained); with `reuse`, the
    other models are loaded from an earlier run's folders so the vanilla average can be taken
    (lets the two trainings run as two processes)."""
    t0 = time.time()
    corpus = stdlib_corpus()
    digest = hashlib.sha256("\n\n".join("\n".join(p) for _, p in corpus).encode()).hexdigest()
    train_f, calib_f, test_f = split_files(corpus, BERT_SPLIT_SEED)
    train_paras = [p for i in train_f for p in corpus[i][1]]
    timings["bert-corpus-sha256"] = digest
    log(f"corpus: {len(corpus)} files, {sum(len(p) for _, p in corpus)} paragraphs, "
        f"sha256 {digest[:16]}…; files train/calib/test {len(train_f)}/{len(calib_f)}/{len(test_f)}")
    tok = train_tokenizer(train_paras)
    assert tok.get_vocab_size() == BERT_VOCAB, tok.get_vocab_size()
    for i, t in enumerate(SPECIAL_TOKENS):
        assert tok.token_to_id(t) == i, (t, tok.token_to_id(t))
    train_ids = pack_sequences(tok, [corpus[i] for i in train_f])
    calib_ids = pack_sequences(tok, [corpus[i] for i in calib_f])
    test_ids = pack_sequences(tok, [corpus[i] for i in test_f])
    log(f"sequences train/calib/test {len(train_ids)}/{len(calib_ids)}/{len(test_ids)} "
        f"(using {BERT_CALIB}/{BERT_TEST} of calib/test); corpus + tokenizer {time.time() - t0:.0f}s")
    assert len(calib_ids) >= BERT_CALIB and len(test_ids) >= BERT_TEST
    calib_ids, test_ids = calib_ids[:BERT_CALIB], test_ids[:BERT_TEST]

    special = torch.arange(len(SPECIAL_TOKENS))
    mask_id, n_special = SPECIAL_TOKENS.index("[MASK]"), len(SPECIAL_TOKENS)
    sets = {}
    for split, ids, seed in (("calib", calib_ids, BERT_CALIB_MASK_SEED),
                             ("test", test_ids, BERT_TEST_MASK_SEED)):
        g = torch.Generator(); g.manual_seed(seed)
        inputs, labels = mask_tokens(torch.from_numpy(ids), g, special, mask_id, n_special)
        attn = (torch.from_numpy(ids) != 0).long()
        sets[split] = (inputs.numpy(), attn.numpy(), labels.numpy())
        desc = (f"masked-LM {split} split: {len(ids)} sequences of {BERT_SEQ_LEN} WordPiece ids "
                f"(vocabulary of bert-mlm-a/b, {BERT_VOCAB} tokens, lowercased) from the docstrings "
                f"of Python {sys.version_info.major}.{sys.version_info.minor} standard-library "
                f"source files not used for training (whole files split with seed "
                f"{BERT_SPLIT_SEED}); [CLS] text [SEP] [PAD]...; fixed BERT masking with seed "
                f"{seed}: 15% of non-special tokens, 80% [MASK] / 10% random / 10% kept; labels "
                f"-100 where not masked; token_type_ids all 0.")
        write_h5(out / "data" / f"bert-{split}.h5",
                 {"input_ids": sets[split][0], "attention_mask": sets[split][1],
                  "labels": sets[split][2]},
                 {"task": "masked-lm", "description": desc})

    # Unigram baseline: token frequencies of the training sequences (add-one), on the test labels.
    counts = np.bincount(train_ids[~np.isin(train_ids, np.arange(n_special))], minlength=BERT_VOCAB)
    probs = (counts + 1) / (counts + 1).sum()
    test_labels = sets["test"][2][sets["test"][2] != -100]
    uni = float(-np.log(probs[test_labels]).mean())
    metrics["unigram-baseline(bert-test)"] = round_metrics(
        {"loss": uni, "perplexity": math.exp(uni),
         "accuracy": float((test_labels == probs.argmax()).mean()),
         "masked_tokens": int(len(test_labels))})
    log(f"unigram baseline test loss {uni:.4f}")

    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                   model_max_length=BERT_SEQ_LEN, do_lower_case=True)
    vocab_lines = [t for t, _ in sorted(tok.get_vocab().items(), key=lambda kv: kv[1])]
    trained = {}
    for name, seed in BERT_MODELS:
        d = out / f"bert-mlm-{name}"
        if name not in only:
            if not (reuse and (d / "model.safetensors").exists()):
                continue
            model = BertForMaskedLM.from_pretrained(d).eval()   # trained by an earlier run
            log(f"bert-mlm-{name}: reusing {d}")
        else:
            t1 = time.time()
            model = train_bert(name, seed, train_ids, sets["test"], special, mask_id, n_special)
            timings[f"bert-mlm-{name}"] = round(time.time() - t1, 1)
            save_model(model, d)
        save_tokenizer(fast, vocab_lines, d)
        m = eval_mlm(model, *sets["test"])
        m["calib_loss"] = eval_mlm(model, *sets["calib"])["loss"]
        m["parameters"] = int(sum(p.numel() for p in model.parameters()))
        m.update(seed=seed, epochs=BERT_EPOCHS)
        metrics[f"bert-mlm-{name}"] = round_metrics(m)
        log(f"bert-mlm-{name}: test loss {m['loss']:.4f}, accuracy {m['accuracy']:.4f}, "
            f"perplexity {m['perplexity']:.2f}" +
            (f" ({timings[f'bert-mlm-{name}']}s)" if f"bert-mlm-{name}" in timings else " (reused)"))
        trained[name] = model
    if len(trained) < 2:
        return
    avg = BertForMaskedLM(trained["a"].config)
    avg.load_state_dict(average_state_dicts([trained["a"], trained["b"]]))
    m = eval_mlm(avg, *sets["test"])
    metrics["vanilla(bert-mlm-a,bert-mlm-b)"] = round_metrics(m)
    log(f"vanilla(bert-mlm-a,bert-mlm-b): test loss {m['loss']:.4f}, accuracy {m['accuracy']:.4f}")


def write_checksums(out: Path) -> None:
    """Checksums of what this script makes: the model folders, data/ and METRICS.json (not the
    scripts and docs that sit beside them, which are source, not fixtures)."""
    lines = []
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out).as_posix()
        if not p.is_file() or rel == "SHA256SUMS" or "__pycache__" in rel:
            continue
        if ("/" not in rel and rel != "METRICS.json") or rel.startswith("finetune/"):
            continue   # scripts and docs; finetune/ is finetune.py's (run after this script)
        lines.append(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {rel}")
    (out / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: beside this script)")
    ap.add_argument("--parts", default="vit,bert", help="comma-separated: vit, bert")
    ap.add_argument("--bert-models", default="a,b",
                    help="BERT models to train (comma-separated, default a,b; may be empty)")
    ap.add_argument("--reuse", action="store_true",
                    help="load BERT models not trained now from earlier output (for the vanilla average)")
    ap.add_argument("--checksums-only", action="store_true",
                    help="only rewrite SHA256SUMS (after editing README.md or adding files)")
    args = ap.parse_args()
    out = args.out.resolve()
    if args.checksums_only:
        write_checksums(out)
        return
    parts = set(args.parts.split(","))
    setup_determinism()
    out.mkdir(parents=True, exist_ok=True)
    metrics: dict = {}
    timings: dict = {}
    t0 = time.time()
    if "vit" in parts:
        make_vits(out, metrics, timings)
    if "bert" in parts:
        make_berts(out, metrics, timings, set(args.bert_models.split(",")) - {""}, args.reuse)
    # Merge with the metrics of parts not run now (read at the end: parts may run concurrently).
    metrics_path = out / "METRICS.json"
    merged = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    merged.update(metrics)
    metrics_path.write_text(json.dumps(dict(sorted(merged.items())), indent=2) + "\n")
    write_checksums(out)
    log(f"timings (s): {json.dumps(timings)}; total {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()

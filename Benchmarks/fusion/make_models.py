#!/usr/bin/env python3
"""Two random ViT-B/16 classifiers (86M parameters each, Hugging Face names and config) for
the fusion benchmark: OUT/vit-b-0 and OUT/vit-b-1 (config.json + model.safetensors)."""
import json
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

H, L, I, P, C, IMG, LABELS = 768, 12, 3072, 16, 3, 224, 1000


def model(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    def n(*shape, scale=0.02):
        return (rng.standard_normal(shape, dtype=np.float32) * scale).astype(np.float32)
    t = {"vit.embeddings.cls_token": n(1, 1, H), "vit.embeddings.position_embeddings": n(1, (IMG // P) ** 2 + 1, H),
         "vit.embeddings.patch_embeddings.projection.weight": n(H, C, P, P),
         "vit.embeddings.patch_embeddings.projection.bias": n(H)}
    for i in range(L):
        p = f"vit.encoder.layer.{i}."
        for name, shape in [("layernorm_before", None), ("layernorm_after", None)]:
            t[p + name + ".weight"] = 1 + n(H)
            t[p + name + ".bias"] = n(H)
        for m in ("query", "key", "value"):
            t[p + f"attention.attention.{m}.weight"] = n(H, H)
            t[p + f"attention.attention.{m}.bias"] = n(H)
        t[p + "attention.output.dense.weight"] = n(H, H)
        t[p + "attention.output.dense.bias"] = n(H)
        t[p + "intermediate.dense.weight"] = n(I, H)
        t[p + "intermediate.dense.bias"] = n(I)
        t[p + "output.dense.weight"] = n(H, I)
        t[p + "output.dense.bias"] = n(H)
    t["vit.layernorm.weight"] = 1 + n(H)
    t["vit.layernorm.bias"] = n(H)
    t["classifier.weight"] = n(LABELS, H)
    t["classifier.bias"] = n(LABELS)
    return t


def main() -> None:
    out = Path(sys.argv[1])
    config = {"architectures": ["ViTForImageClassification"], "model_type": "vit", "hidden_size": H,
              "num_hidden_layers": L, "num_attention_heads": 12, "intermediate_size": I, "hidden_act": "gelu",
              "image_size": IMG, "patch_size": P, "num_channels": C, "layer_norm_eps": 1e-12, "qkv_bias": True,
              "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
              "id2label": {str(i): f"L{i}" for i in range(LABELS)}, "label2id": {f"L{i}": i for i in range(LABELS)}}
    for k in range(2):
        folder = out / f"vit-b-{k}"
        folder.mkdir(parents=True, exist_ok=True)
        save_file(model(k), str(folder / "model.safetensors"), metadata={"format": "pt"})
        (folder / "config.json").write_text(json.dumps(config, indent=1))


if __name__ == "__main__":
    main()

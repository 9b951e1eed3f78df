"""PyTorch side of Benchmarks/inference/run.sh: ViT-B/16 and BERT-base forward passes on random
weights, float32, eval mode, torch.no_grad, `torch.set_num_threads(THREADS)`.

    python bench_torch.py vit|bert --batch N --seq L --runs R --layers K --threads T

Prints one JSON object like InferenceBench's.
"""
import argparse
import json
import time

import torch
import transformers
from transformers import BertConfig, BertModel, ViTConfig, ViTForImageClassification

parser = argparse.ArgumentParser()
parser.add_argument("model", choices=["vit", "bert"])
parser.add_argument("--batch", type=int, default=32)
parser.add_argument("--seq", type=int, default=128)
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--layers", type=int, default=12)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

if args.model == "vit":
    config = ViTConfig(hidden_size=768, num_hidden_layers=args.layers, num_attention_heads=12, intermediate_size=3072,
                       image_size=224, patch_size=16, num_labels=1000)
    model = ViTForImageClassification(config).eval()
    inputs = {"pixel_values": torch.randn(args.batch, 3, 224, 224)}
    tokens = 197
    run = lambda x: model(**x).logits
else:
    config = BertConfig(hidden_size=768, num_hidden_layers=args.layers, num_attention_heads=12, intermediate_size=3072)
    model = BertModel(config, add_pooling_layer=False).eval()
    ids = torch.randint(0, 30522, (args.batch, args.seq))
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    tokens = args.seq
    run = lambda x: model(**x).last_hidden_state

times = []
with torch.no_grad():
    run({k: v[:2] for k, v in inputs.items()})  # warm-up
    for _ in range(args.runs):
        start = time.perf_counter()
        run(inputs)
        times.append(time.perf_counter() - start)
median = sorted(times)[len(times) // 2]
print(json.dumps({"model": args.model, "batch": args.batch, "tokens": tokens, "layers": args.layers, "runs": times,
                  "median": median, "samples_per_second": args.batch / median,
                  "torch": torch.__version__, "transformers": transformers.__version__,
                  "attention": model.config._attn_implementation}, sort_keys=True))

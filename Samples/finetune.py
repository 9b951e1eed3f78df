#!/usr/bin/env python3
"""The paper's finetuning claim on the sample digit ViTs (run by `make fixtures`, not `make test`).

Fuses the sample ViTs with Transfuse (`transfuse fuse ... --output DIR`, a Hugging Face folder
in a temporary directory), loads the result with `ViTForImageClassification.from_pretrained`,
and finetunes, for the same extra steps on the same batches:

  fused     Transfuse's fusion of the parents (its defaults, unless --fuse-option is given;
            the fusion "ab-data" is the pair fused with `--data Samples/data/digits-calib.h5`)
  vanilla   the uniform weight average of the parents
  parent a, parent b (, parent c)  the converged parents themselves
  scratch   a freshly initialised ViT (a control: what the steps alone buy)

with the recipe of make_samples.py (the 1400-image training split, batch 64, cross-entropy,
AdamW with its betas and weight decay groups, random one-pixel shifts), for each schedule of
DEFAULT_SCHEDULES (or --schedules) and every finetuning seed in SEEDS. The seed sets the batch order, the shifts and the
scratch initialisation; within a seed every model sees exactly the same batches. Test accuracy
and loss are recorded every EVAL_EVERY steps (the curve) and at the end.

Writes (deterministic: one thread, seeded, no timings in the files)

  Samples/finetune/results.json    settings, one-shot and curves per fusion/schedule/model/seed
  docs/finetune-curve.png          the curve of the a+b fusion (PLOT_SCHEDULE, mean over seeds),
                                   with the fused curve of "ab-data" added when it was run
  docs/finetune-curve-abc.png      the same for the a+b+c fusion

and prints a table. Nothing is hard-coded about the samples' accuracies: everything is
measured on the folders found in Samples/ at run time, so it re-runs after the samples are
retrained.

Usage (after `swift build -c release --product transfuse`; paths are relative to the repository):

  python Samples/finetune.py --transfuse .build/release/transfuse [--jobs 2]
      [--fusions ab,abc] [--schedules NAME,...] [--seeds 0,1,2] [--fuse-option=--anchor=1 ...]
      [--merge]   (keep the fusions/schedules of an existing results.json not run now)
      [--reuse]   (take identical parent/vanilla/scratch runs from results.json: they do not
                   depend on the fusion; e.g. --fusions ab-data --merge --reuse)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from transformers import ViTConfig, ViTForImageClassification  # noqa: E402

import make_samples as ms  # noqa: E402  (splits, augmentation, evaluation, determinism)

# ----------------------------------------------------------------------------------------------
# Settings (documented in Samples/finetune/README.md)
# ----------------------------------------------------------------------------------------------

# The parents were trained for 120 epochs x 22 steps = 2640 steps, cosine to 0 from 1e-3.
# Each schedule: extra epochs (22 steps each), peak learning rate, warm-up epochs (linear),
# shape "cosine" (to 0) or "constant" (after the warm-up). Same weight decay and betas as training.
SCHEDULES = {
    "cos-12ep-2e-4": dict(epochs=12, lr=2e-4, warmup=1, shape="cosine"),
    "cos-12ep-1e-3": dict(epochs=12, lr=1e-3, warmup=1, shape="cosine"),
    "cos-30ep-5e-4": dict(epochs=30, lr=5e-4, warmup=1, shape="cosine"),
    "cos-60ep-5e-4": dict(epochs=60, lr=5e-4, warmup=1, shape="cosine"),
}
FUSIONS = {"ab": ("a", "b"), "abc": ("a", "b", "c"), "ab-data": ("a", "b"), "abc-data": ("a", "b", "c"),
           "ab-refit": ("a", "b"), "ab-refit-ridge": ("a", "b"), "abc-refit-ridge": ("a", "b", "c")}
# Flags of `transfuse fuse` that define a fusion variant (before any --fuse-option): "ab-data"
# is the pair fused with calibration data (Sinkhorn + the REPAIR correction by default).
# "ab-data" / "abc-data" were run before the refit joined the data defaults: --no-refit keeps them
# the fusions the committed results were measured on (Sinkhorn 0.05 + REPAIR).
FUSE_ARGS = {"ab-data": ["--data", "Samples/data/digits-calib.h5", "--no-refit"],
             "abc-data": ["--data", "Samples/data/digits-calib.h5", "--no-refit"],
             # "ab-refit": the data-aware pair, then the least-squares refit on all 300 calibration images.
             "ab-refit": ["--data", "Samples/data/digits-calib.h5", "--refit", "Samples/data/digits-calib.h5",
                          "--refit-samples", "300"],
             # The same with a 300× stronger ridge (0.3): one-shot 90.4% instead of 96.5%, but weights
             # of about the parents' norms, which finetune better.
             "ab-refit-ridge": ["--data", "Samples/data/digits-calib.h5", "--refit-samples", "300",
                                "--refit-ridge", "0.3"],
             # The three models, fused and refitted the same way.
             "abc-refit-ridge": ["--data", "Samples/data/digits-calib.h5", "--refit-samples", "300",
                                 "--refit-ridge", "0.3"]}
# What runs by default (--schedules overrides it for every fusion): the pair gets every
# schedule; the three-model fusion the longest one only (time); the data-aware pair two.
DEFAULT_SCHEDULES = {"ab": ["cos-12ep-2e-4", "cos-12ep-1e-3", "cos-30ep-5e-4"], "abc": ["cos-30ep-5e-4"],
                     "ab-data": ["cos-30ep-5e-4", "cos-12ep-1e-3", "cos-60ep-5e-4"], "abc-data": ["cos-30ep-5e-4"],
                     "ab-refit": ["cos-12ep-2e-4", "cos-30ep-5e-4", "cos-60ep-5e-4"],
                     "ab-refit-ridge": ["cos-12ep-2e-4", "cos-12ep-1e-3", "cos-30ep-5e-4", "cos-60ep-5e-4"],
                     "abc-refit-ridge": ["cos-30ep-5e-4"]}
SEEDS = (0, 1, 2)
EVAL_EVERY = 22              # steps (one epoch)
SCRATCH_SEED_OFFSET = 1000   # scratch init seed = SCRATCH_SEED_OFFSET + finetuning seed
PLOT_SCHEDULE = "cos-30ep-5e-4"   # the schedule the PNG curves show (all are in results.json)
PLOTS = {"ab": REPO / "docs" / "finetune-curve.png", "abc": REPO / "docs" / "finetune-curve-abc.png"}
# Extra fused curves in a plot: label -> fusion variant.
PLOT_VARIANTS = {"ab": {"fused, --data --no-refit": "ab-data", "fused, --data --refit-ridge 0.3": "ab-refit-ridge"},
                 "abc": {"fused, --data --no-refit": "abc-data", "fused, --data --refit-ridge 0.3": "abc-refit-ridge"}}
VARIANT_COLOURS = ("#000000", "#8c564b")   # the extra fused curves, in PLOT_VARIANTS order


def log(msg: str) -> None:
    print(f"[finetune {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------

def fuse_with_transfuse(binary: Path, members: tuple[str, ...], out: Path,
                        extra: list[str]) -> list[str]:
    """Runs `transfuse fuse` on the sample folders; returns the command (repo-relative paths)."""
    parents = [f"Samples/vit-digits-{m}" for m in members]
    cmd = [str(binary), "fuse", *parents, "--output", str(out), "--force", *extra]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"finetune.py: `{' '.join(cmd)}` failed (status {proc.returncode}):\n{proc.stderr}")
    return ["transfuse", "fuse", *parents, "--output", "DIR", *extra]


def load_models(members: tuple[str, ...], fused_dir: Path) -> dict[str, ViTForImageClassification]:
    """The starting points: fused, vanilla average and parents (float32, eval mode)."""
    parents = {f"parent {m}": ViTForImageClassification.from_pretrained(HERE / f"vit-digits-{m}")
               for m in members}
    fused = ViTForImageClassification.from_pretrained(fused_dir)
    first = next(iter(parents.values()))
    shapes = {k: tuple(v.shape) for k, v in first.state_dict().items()}
    for name, model in parents.items():
        if {k: tuple(v.shape) for k, v in model.state_dict().items()} != shapes:
            sys.exit(f"finetune.py: {name} has other tensors or shapes than parent {members[0]}: "
                     "the vanilla average needs equal architectures")
    vanilla = ViTForImageClassification(first.config)
    vanilla.load_state_dict(ms.average_state_dicts(list(parents.values())))
    models = {"fused": fused, "vanilla": vanilla, **parents}
    for m in models.values():
        m.eval()
    return models


def scratch_model(config: ViTConfig, seed: int) -> ViTForImageClassification:
    torch.manual_seed(SCRATCH_SEED_OFFSET + seed)
    return ViTForImageClassification(config).eval()


# ----------------------------------------------------------------------------------------------
# Finetuning
# ----------------------------------------------------------------------------------------------

def schedule_lr(step: int, total: int, warmup: int, peak: float, shape: str) -> float:
    if shape == "cosine":
        return ms.cosine_lr(step, total, warmup, peak)
    return peak * (step + 1) / warmup if step < warmup else peak


def finetune(model: ViTForImageClassification, data: dict, sched: dict, seed: int) -> list[dict]:
    """Finetunes `model` in place; returns the test curve [{step, accuracy, loss}].

    Batches and shifts come from a generator seeded with `seed` only, so every model given the
    same seed sees the same images in the same order with the same shifts."""
    g = torch.Generator()
    g.manual_seed(seed)
    x_train = torch.from_numpy(data["train"][0])
    y_train = torch.from_numpy(data["train"][1])
    test = data["test"][:2]
    n = len(y_train)
    steps_per_epoch = math.ceil(n / ms.VIT_BATCH)
    total = sched["epochs"] * steps_per_epoch
    warmup = sched["warmup"] * steps_per_epoch
    # make_samples.py's groups: weight decay on matrices outside the embeddings only.
    decay = [p for nm, p in model.named_parameters() if p.ndim >= 2 and "embeddings" not in nm]
    no_decay = [p for nm, p in model.named_parameters() if not (p.ndim >= 2 and "embeddings" not in nm)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": ms.VIT_WD},
                             {"params": no_decay, "weight_decay": 0.0}], lr=sched["lr"],
                            betas=(0.9, 0.999), eps=1e-8)

    def point(step: int) -> dict:
        m = ms.eval_vit(model, *test)
        return {"step": step, "accuracy": round(m["accuracy"], 6), "loss": round(m["loss"], 6)}

    curve = [point(0)]
    step = 0
    for _ in range(sched["epochs"]):
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, ms.VIT_BATCH):
            model.train()
            b = perm[i:i + ms.VIT_BATCH]
            xb = ms.shift_augment(x_train[b], g, data["background"])
            ms.vit_train_step(model, opt, xb, y_train[b], schedule_lr(step, total, warmup, sched["lr"], sched["shape"]))
            step += 1
            if step % EVAL_EVERY == 0 or step == total:
                curve.append(point(step))
    model.eval()
    return curve


# ----------------------------------------------------------------------------------------------
# Work units: one (fusion, schedule, model, seed) run each, in this process or a worker pool
# ----------------------------------------------------------------------------------------------

_DATA: dict | None = None


def _worker_init() -> None:
    global _DATA
    ms.setup_determinism()
    _DATA = ms.digits_splits()


def run_task(task: tuple) -> tuple[tuple, list[dict]]:
    """task = (key, config dict, start state as numpy arrays or None for scratch, schedule, seed),
    key = (fusion, schedule name, model name, seed). Returns (key, curve)."""
    key, config_dict, state, sched, seed = task
    config = ViTConfig.from_dict(config_dict)
    if state is None:
        model = scratch_model(config, seed)
    else:
        model = ViTForImageClassification(config)
        model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    ms.seed_everything(seed)
    return key, finetune(model, _DATA, sched, seed)


# ----------------------------------------------------------------------------------------------
# Summaries
# ----------------------------------------------------------------------------------------------

def summarise(curves: dict) -> dict:
    """curves = {"steps": [...], "accuracy": {seed: [...]}, "loss": {seed: [...]}}."""
    ends = np.array([c[-1] for c in curves["accuracy"].values()])
    losses = np.array([c[-1] for c in curves["loss"].values()])
    first_acc = next(iter(curves["accuracy"].values()))[0]
    first_loss = next(iter(curves["loss"].values()))[0]
    return {"start_accuracy": first_acc, "start_loss": first_loss,
            "end_accuracy_mean": round(float(ends.mean()), 6),
            "end_accuracy_min": round(float(ends.min()), 6),
            "end_accuracy_max": round(float(ends.max()), 6),
            "end_loss_mean": round(float(losses.mean()), 6)}


def compact_json(value) -> str:
    """Indented JSON with every list of numbers on one line (the curves stay readable)."""
    text = json.dumps(value, indent=1)
    return re.sub(r"\[\s*([-0-9.e,\s]+?)\s*\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)


def verdict(summary: dict) -> str:
    parents = [k for k in summary if k.startswith("parent")]
    best = max(summary[k]["end_accuracy_mean"] for k in parents)
    fused = summary["fused"]["end_accuracy_mean"]
    return (f"finetuned fused {'above' if fused > best else 'NOT above'} the best finetuned "
            f"parent ({fused:.4f} vs {best:.4f})")


def print_table(fusion: str, sched_name: str, sched: dict, summary: dict, n_seeds: int,
                n_test: int) -> None:
    print(f"\n{fusion} fusion, schedule {sched_name}: {sched['steps']} extra steps ({sched['epochs']} "
          f"epochs), peak lr {sched['lr']:g}, {sched['shape']}, {n_seeds} seeds, {n_test} test images")
    print(f"{'model':<10} {'start acc':>9} {'end acc (mean)':>14} {'min':>7} {'max':>7} {'end loss':>9}")
    for name, s in summary.items():
        print(f"{name:<10} {s['start_accuracy']:>9.4f} {s['end_accuracy_mean']:>14.4f} "
              f"{s['end_accuracy_min']:>7.4f} {s['end_accuracy_max']:>7.4f} {s['end_loss_mean']:>9.4f}")
    print(verdict(summary))


def plot(path: Path, fusion: dict, sched_name: str, sched: dict, n_test: int,
         variants: dict | None = None) -> None:
    """Mean test-accuracy curve per model over the seeds: full range and a zoom on the top.
    variants = {label: fusion entry}: the fused curves of other fusions of the same members,
    drawn as extra lines (their other models are the same runs)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    colours = {"fused": "#d62728", "vanilla": "#9467bd", "scratch": "#7f7f7f",
               "parent a": "#1f77b4", "parent b": "#2ca02c", "parent c": "#ff7f0e"}
    curves = dict(fusion["schedules"][sched_name]["curves"])
    for (label, other), colour in zip((variants or {}).items(), VARIANT_COLOURS):
        if sched_name in other["schedules"]:
            curves[label] = other["schedules"][sched_name]["curves"]["fused"]
            colours[label] = colour
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.2), dpi=110)
    zoom_low = 1.0
    n_seeds = 0
    for name, c in curves.items():
        acc = np.array(list(c["accuracy"].values())).mean(axis=0)
        n_seeds = len(c["accuracy"])
        style = dict(color=colours.get(name, "black"), lw=1.6 if name.startswith("fused") else 1.1,
                     ls=":" if name == "scratch" else "-")
        for ax in axes:
            ax.plot(c["steps"], acc, label="fused (no data)" if name == "fused" and variants else name,
                    **style)
        if name.startswith("parent"):
            for ax in axes:
                ax.axhline(acc[0], color=style["color"], lw=0.7, ls="--", alpha=0.7)
            zoom_low = min(zoom_low, acc[0])
    axes[0].set_ylim(0, 1.0)
    axes[0].set_title("test accuracy", fontsize=9)
    axes[1].set_ylim(max(0.0, zoom_low - 0.05), 1.0)
    axes[1].set_title("zoom (dashed: parents before finetuning)", fontsize=9)
    for ax in axes:
        ax.set_xlabel("extra training steps (batch 64)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3, lw=0.5)
    axes[0].legend(fontsize=7, loc="lower right", frameon=False)
    members = "+".join(m.removeprefix("vit-digits-") for m in fusion["members"])
    fig.suptitle(f"Finetuning the fused digit ViT ({members}) and its parents: {sched['steps']} steps, "
                 f"peak lr {sched['lr']:g} ({sched['shape']}); mean of {n_seeds} seeds, "
                 f"{n_test} test images", fontsize=8.5)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--transfuse", type=Path,
                    default=Path(os.environ.get("TRANSFUSE", REPO / ".build" / "release" / "transfuse")),
                    help="the transfuse binary (default: $TRANSFUSE or .build/release/transfuse)")
    ap.add_argument("--fusions", default=",".join(FUSIONS), help=f"comma-separated of {list(FUSIONS)}")
    ap.add_argument("--schedules", default="",
                    help=f"comma-separated of {list(SCHEDULES)} (default: {DEFAULT_SCHEDULES})")
    ap.add_argument("--seeds", default=",".join(map(str, SEEDS)), help="finetuning seeds, comma-separated")
    ap.add_argument("--fuse-option", action="append", default=[],
                    help="extra argument for `transfuse fuse` (repeatable; e.g. --fuse-option=--anchor=1)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="worker processes, one thread each (results do not depend on it)")
    ap.add_argument("--out", type=Path, default=HERE / "finetune", help="folder of results.json")
    ap.add_argument("--merge", action="store_true",
                    help="keep the fusions and schedules of an existing results.json not run now")
    ap.add_argument("--reuse", action="store_true",
                    help="take the runs of the parents, vanilla and scratch from an existing results.json "
                         "(a fusion of the same members, same recipe and schedule) when their start "
                         "scores the same; only the fused model is then finetuned")
    ap.add_argument("--no-plots", action="store_true", help="do not write the PNG curves")
    args = ap.parse_args()
    args.fusions = [f for f in args.fusions.split(",") if f]
    chosen = [s for s in args.schedules.split(",") if s]
    args.schedules = {f: chosen or DEFAULT_SCHEDULES.get(f, list(SCHEDULES)) for f in args.fusions}
    args.seeds = [int(s) for s in args.seeds.split(",") if s]
    all_schedules = sorted({s for names in args.schedules.values() for s in names})
    for kind, names, known in (("fusion", args.fusions, FUSIONS), ("schedule", all_schedules, SCHEDULES)):
        for n in names:
            if n not in known:
                sys.exit(f"finetune.py: unknown {kind} {n!r}; known: {', '.join(known)}")
    if not args.seeds or args.jobs < 1:
        sys.exit("finetune.py: need at least one seed and --jobs >= 1")
    args.transfuse = args.transfuse.resolve()
    if not args.transfuse.is_file():
        sys.exit(f"finetune.py: no transfuse binary at {args.transfuse}; build it with "
                 "`swift build -c release --product transfuse` or pass --transfuse BIN")
    return args


def main() -> None:
    args = parse_args()
    _worker_init()
    data = _DATA
    n_test = len(data["test"][1])
    steps_per_epoch = math.ceil(len(data["train"][1]) / ms.VIT_BATCH)
    schedules = {s: {**SCHEDULES[s], "steps": SCHEDULES[s]["epochs"] * steps_per_epoch}
                 for s in SCHEDULES if any(s in names for names in args.schedules.values())}
    out_path = args.out / "results.json"
    results = {
        "description": "Finetuning Transfuse's fused digit ViT, the vanilla average, the parents and a "
                       "fresh initialisation for the same extra steps on the same batches "
                       "(Samples/finetune.py; scored on the test split, Samples/data/digits-test.h5).",
        "recipe": {"train_images": len(data["train"][1]), "test_images": n_test,
                   "batch": ms.VIT_BATCH, "steps_per_epoch": steps_per_epoch,
                   "optimizer": "AdamW betas 0.9/0.999 eps 1e-8", "weight_decay": ms.VIT_WD,
                   "weight_decay_on": "matrices outside the embeddings",
                   "augmentation": "random shift by -1/0/+1 pixel per direction",
                   "eval_every_steps": EVAL_EVERY, "seeds": args.seeds,
                   "scratch_init_seed": f"{SCRATCH_SEED_OFFSET} + seed"},
        "schedules": {}, "fusions": {},
    }
    results["schedules"].update(schedules)

    previous_runs = json.loads(out_path.read_text()) if args.reuse and out_path.exists() else None
    if previous_runs is not None and previous_runs.get("recipe") != results["recipe"]:
        sys.exit(f"finetune.py: {out_path} was made with another recipe or seeds; run without --reuse")

    def reusable(members, sched_name, name, start, config, seed):
        """The curve of an earlier identical run (same members, schedule, model, seed) or None.
        The runs are deterministic; the check that the earlier step-0 point equals this start's
        score guards against changed samples or data."""
        if previous_runs is None or name == "fused" or \
                previous_runs["schedules"].get(sched_name) != schedules[sched_name]:
            return None
        if name == "scratch":
            start = ms.round_metrics(ms.eval_vit(scratch_model(ViTConfig.from_dict(config), seed),
                                                 *data["test"][:2]))
        for entry in previous_runs["fusions"].values():
            run = entry["schedules"].get(sched_name, {}).get("curves", {}).get(name)
            if entry["members"] != [f"vit-digits-{m}" for m in members] or run is None \
                    or str(seed) not in run["accuracy"]:
                continue
            acc, loss = run["accuracy"][str(seed)], run["loss"][str(seed)]
            if (acc[0], loss[0]) != (round(start["accuracy"], 6), round(start["loss"], 6)):
                continue
            return [{"step": st, "accuracy": a, "loss": lo} for st, a, lo in zip(run["steps"], acc, loss)]
        return None

    # Fuse, load the starting points, score them one-shot; list the runs.
    tasks = []
    curves: dict[tuple, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="transfuse-finetune-") as tmp:
        for fusion in args.fusions:
            members = FUSIONS[fusion]
            fused_dir = Path(tmp) / f"fused-{fusion}"
            command = fuse_with_transfuse(args.transfuse, members, fused_dir,
                                          FUSE_ARGS.get(fusion, []) + args.fuse_option)
            starts = load_models(members, fused_dir)
            one_shot = {name: ms.round_metrics(ms.eval_vit(m, *data["test"][:2]))
                        for name, m in starts.items()}
            log(f"{fusion}: one-shot " + ", ".join(f"{k} {v['accuracy']:.4f}" for k, v in one_shot.items()))
            entry = results["fusions"][fusion] = {
                "members": [f"vit-digits-{m}" for m in members], "fuse_command": " ".join(command),
                "one_shot": one_shot, "schedules": {}}
            config = starts["fused"].config.to_dict()
            states = {name: {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}
                      for name, m in starts.items()}
            states["scratch"] = None
            for sched_name in args.schedules[fusion]:
                for name, state in states.items():
                    for seed in args.seeds:
                        reused = reusable(members, sched_name, name, one_shot.get(name), config, seed)
                        if reused is not None:
                            curves[(fusion, sched_name, name, seed)] = reused
                            continue
                        tasks.append(((fusion, sched_name, name, seed), config, state,
                                      schedules[sched_name], seed))

    # Run them (in order, or spread over worker processes: each run is independent and seeded).
    t0 = time.time()
    log(f"{len(tasks)} finetuning runs, {args.jobs} job(s); {len(curves)} reused from {out_path}")
    if args.jobs == 1:
        done = map(run_task, tasks)
    else:
        import multiprocessing as mp
        pool = mp.get_context("spawn").Pool(args.jobs, initializer=_worker_init)
        done = pool.imap_unordered(run_task, tasks)
    for i, (key, curve) in enumerate(done, 1):
        curves[key] = curve
        log(f"[{i}/{len(tasks)}] {' '.join(map(str, key))}: accuracy {curve[0]['accuracy']:.4f} -> "
            f"{curve[-1]['accuracy']:.4f} ({time.time() - t0:.0f}s)")
    if args.jobs > 1:
        pool.close()
        pool.join()

    # Merge with what an earlier run wrote (read now: several runs may go on at once).
    if args.merge and out_path.exists():
        previous = json.loads(out_path.read_text())
        if previous.get("recipe") != results["recipe"]:
            sys.exit(f"finetune.py: {out_path} was made with another recipe or seeds; run without --merge")
        for fusion, entry in previous["fusions"].items():
            if fusion not in results["fusions"]:
                results["fusions"][fusion] = entry
            else:
                for sched_name, runs in entry["schedules"].items():
                    results["fusions"][fusion]["schedules"].setdefault(sched_name, runs)
        results["schedules"] = {s: previous["schedules"].get(s) or schedules[s] for s in SCHEDULES
                                if s in previous["schedules"] or s in schedules}

    results["fusions"] = {f: results["fusions"][f] for f in FUSIONS if f in results["fusions"]}

    # Collect in a fixed order, summarise, print, plot, write.
    for fusion in args.fusions:
        entry = results["fusions"][fusion]
        for sched_name in args.schedules[fusion]:
            runs = {}
            for name in [*entry["one_shot"], "scratch"]:
                per_seed = [curves[(fusion, sched_name, name, seed)] for seed in args.seeds]
                runs[name] = {"steps": [p["step"] for p in per_seed[0]],
                              "accuracy": {str(s): [p["accuracy"] for p in c] for s, c in zip(args.seeds, per_seed)},
                              "loss": {str(s): [p["loss"] for p in c] for s, c in zip(args.seeds, per_seed)}}
            summary = {name: summarise(c) for name, c in runs.items()}
            entry["schedules"][sched_name] = {"summary": summary, "verdict": verdict(summary), "curves": runs}
            print_table(fusion, sched_name, schedules[sched_name], summary, len(args.seeds), n_test)
    if not args.no_plots:
        for fusion, path in PLOTS.items():
            entry = results["fusions"].get(fusion)
            if entry and PLOT_SCHEDULE in entry["schedules"]:
                plot(path, entry, PLOT_SCHEDULE, results["schedules"][PLOT_SCHEDULE], n_test,
                     PLOT_VARIANTS.get(fusion, {}) and
                     {label: results["fusions"][v] for label, v in PLOT_VARIANTS[fusion].items()
                      if v in results["fusions"]})
                log(f"wrote {path}")
    args.out.mkdir(parents=True, exist_ok=True)
    out_path.write_text(compact_json(results) + "\n")
    log(f"wrote {out_path} ({time.time() - t0:.0f}s of finetuning)")


if __name__ == "__main__":
    main()

#!/bin/bash
# One-shot accuracy of `transfuse fuse` on the samples with and without the post-fusion statistics
# correction (--repair), for five alignment settings and four correction variants.
# Usage (from the repository root): TRANSFUSE=.build/release/transfuse Benchmarks/repair/grid.sh OUT.tsv [vit|bert]
# Rows: models, setting, variant, accuracy, loss (the "fused" row of fuse --eval).
set -u
B=${TRANSFUSE:-.build/release/transfuse}
OUT=$1; : > "$OUT"
S=Samples
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
# Explicit flags, so that the data-aware defaults (ViT with --data: Sinkhorn 0.05 + repair) do not apply.
SETTINGS=("weights-emd|--solver emd" "weights-sinkhorn|--solver sinkhorn --reg 0.08"
          "activations-emd|--alignment activations --solver emd" "activations-sinkhorn|--alignment activations --solver sinkhorn --reg 0.08"
          "reference-anchor1|--config $S/formats/fuse-reference.yaml --anchor 1")
VARIANTS=("none|--no-repair" "mlp+attention+stream|REPAIR" "mlp+attention|REPAIR --repair-sites mlp,attention"
          "stream|REPAIR --repair-sites stream" "mean-only|REPAIR --repair-mean-only")
run_family() {
  local calib=$1 test=$2; shift 2
  for group in "$@"; do
    models=""; for m in ${group//+/ }; do models="$models $S/$m"; done
    weights=$(echo ${group//+/ } | awk '{ s = "1"; for (i = 2; i <= NF; i++) s = s ",1"; print s }')
    for s in "${SETTINGS[@]}"; do
      for v in "${VARIANTS[@]}"; do
        vargs=${v#*|}; vargs=${vargs/REPAIR/--repair $calib}
        line=$($B fuse $models --data $calib --weights $weights ${s#*|} $vargs -o "$TMP/fused.safetensors" --force --eval $test 2>"$TMP/err" | grep " fused ")
        if [ -z "$line" ]; then res="error: $(tail -1 "$TMP/err" | cut -c1-100)"; else res=$(echo $line | awk '{print $4"\t"$5}'); fi
        echo -e "$group\t${s%%|*}\t${v%%|*}\t$res" | tee -a "$OUT"
      done
    done
  done
}
if [ "${2:-}" != "bert" ]; then
  run_family $S/data/digits-calib.h5 $S/data/digits-test.h5 vit-digits-a+vit-digits-b vit-digits-a+vit-digits-c \
    vit-digits-b+vit-digits-c vit-digits-a+vit-digits-narrow vit-digits-a+vit-digits-b+vit-digits-c
fi
if [ "${2:-}" != "vit" ]; then run_family $S/data/bert-calib.h5 $S/data/bert-test.h5 bert-mlm-a+bert-mlm-b; fi

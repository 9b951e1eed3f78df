#!/usr/bin/env bash
# `make demo`: Transfuse on the bundled samples. Usage: Samples/demo.sh PATH/TO/transfuse
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:?usage: Samples/demo.sh PATH/TO/transfuse}"
OUT=demo-output
mkdir -p "$OUT"
A=Samples/vit-digits-a
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

echo "Transfuse demo — outputs go to $OUT/"
step "$BIN" inspect "$A"
step "$BIN" convert "$A" "$OUT/vit-digits-a.h5" --force
step "$BIN" diff "$A" "$OUT/vit-digits-a.h5"
step "$BIN" convert "$A" "$OUT/vit-digits-a-timm.safetensors" --scheme timm-vit --force
step "$BIN" inspect "$OUT/vit-digits-a-timm.safetensors" --filter 'blocks.0.*'

if "$BIN" help fuse >/dev/null 2>&1; then
    # No data: weights + exact EMD (the paper's method, Transfuse's flow); maps drawn as PNGs.
    step "$BIN" fuse Samples/vit-digits-a Samples/vit-digits-b --output "$OUT/vit-digits-fused" \
        --eval Samples/data/digits-test.h5 --plot-maps "$OUT/maps" --force
    # With calibration data: Sinkhorn maps, then REPAIR and the least-squares refit on that data.
    step "$BIN" fuse Samples/vit-digits-a Samples/vit-digits-b --data Samples/data/digits-calib.h5 \
        --output "$OUT/vit-digits-fused-data" --eval Samples/data/digits-test.h5 --force
fi

cat <<TXT

Done. Try next:
  $BIN inspect $OUT/vit-digits-a.h5 --json
  $BIN fuse Samples/vit-digits-a Samples/vit-digits-b Samples/vit-digits-c --data Samples/data/digits-calib.h5 --output $OUT/fused3 --eval Samples/data/digits-test.h5
  $BIN sweep Samples/vit-digits-a Samples/vit-digits-b --data Samples/data/digits-calib.h5 --eval Samples/data/digits-test.h5
  $BIN fuse Samples/bert-mlm-a Samples/bert-mlm-b --output $OUT/fused-bert --eval Samples/data/bert-test.h5
  $BIN convert $A $OUT/vit-digits-a-f16.safetensors --dtype f16
  $BIN --help
TXT

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
    step "$BIN" fuse Samples/vit-digits-a Samples/vit-digits-b --output "$OUT/vit-digits-fused" \
        --eval Samples/data/digits-test.h5 --plot-maps "$OUT/maps" --force
fi

cat <<TXT

Done. Try next:
  $BIN inspect $OUT/vit-digits-a.h5 --json
  $BIN convert $A $OUT/vit-digits-a-f16.safetensors --dtype f16
  $BIN --help
TXT

#!/usr/bin/env bash
# libFuzzer on the safetensors header parser. Usage: Tests/fuzz.sh SECONDS
# Builds Sources/SafeTensorsFuzzer with the fuzzer and address sanitizers into .build-fuzz/
# and runs it from the committed seeds; a crash leaves its input in .build-fuzz/ and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
swift build -c debug --scratch-path .build-fuzz --product SafeTensorsFuzzer \
    --sanitize fuzzer --sanitize address 2>&1 | tail -1
mkdir -p .build-fuzz/corpus
.build-fuzz/debug/SafeTensorsFuzzer -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix=.build-fuzz/ .build-fuzz/corpus Tests/SafeTensorsTests/Fixtures/fuzz-seeds 2>&1 \
    | grep -E "stat::number_of_executed_units|Done|ERROR|SUMMARY|crash" || true
test "${PIPESTATUS[0]}" -eq 0
echo "fuzz: no crash in ${seconds} s"

#!/usr/bin/env bash
# libFuzzer on the safetensors header parser. Usage: Tests/fuzz.sh SECONDS
# Builds Sources/SafeTensorsFuzzer with the fuzzer and address sanitizers into .build-fuzz/
# and runs it from the committed seeds; a crash leaves its input in .build-fuzz/ and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
swift build -c debug --scratch-path .build-fuzz --product SafeTensorsFuzzer \
    --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address 2>&1 | tail -1
mkdir -p .build-fuzz/corpus
status=0
.build-fuzz/debug/SafeTensorsFuzzer -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix=.build-fuzz/ .build-fuzz/corpus Tests/SafeTensorsTests/Fixtures/fuzz-seeds \
    > .build-fuzz/fuzz.log 2>&1 || status=$?
grep -E "stat::number_of_executed_units|ERROR|SUMMARY|artifact" .build-fuzz/fuzz.log || true
if [ "$status" -ne 0 ]; then
    echo "fuzz: the parser crashed (see .build-fuzz/fuzz.log and the crash-* input in .build-fuzz/)"
    exit 1
fi
echo "fuzz: no crash in ${seconds} s"

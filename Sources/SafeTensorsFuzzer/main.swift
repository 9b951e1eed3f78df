// libFuzzer target for the safetensors header parser (`make fuzz`).
//
// Build and run:
//   swift build -c debug --scratch-path .build-fuzz --product SafeTensorsFuzzer \
//       --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address
//   mkdir -p .build-fuzz/corpus
//   .build-fuzz/debug/SafeTensorsFuzzer -max_total_time=60 .build-fuzz/corpus \
//       Tests/SafeTensorsTests/Fixtures/fuzz-seeds
// (libFuzzer adds new inputs to the FIRST folder: keep the committed seeds second.)
//
// Why these flags (Swift 6.3, Linux):
// - `--sanitize fuzzer` makes SwiftPM compile this file as a library file and link without
//   its own `main`, so libFuzzer's `main` runs and calls `LLVMFuzzerTestOneInput`.
//   (`-Xswiftc -sanitize=fuzzer` alone does not link: SwiftPM still aliases `main` to the
//   module's entry point, which `-parse-as-library` removes.)
// - `--sanitize fuzzer --sanitize address` is NOT enough: SwiftPM passes the two as separate
//   `-sanitize=` flags in an unpredictable order and the compiler keeps only the last, so
//   either coverage or ASan is silently missing (libFuzzer then warns "no interesting
//   inputs"). `-Xswiftc -sanitize=fuzzer,address` comes last and enables both.
// In an ordinary `swift build` this file is top-level code without statements, so the
// executable builds, does nothing and exits 0.
//
// Each input is a whole file. The parser must either return a header or throw
// `SafeTensorsError`; a crash, a trap, a memory error or a broken invariant of an accepted
// header is a bug that libFuzzer reports with the input.
import SafeTensors

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let header = try? SafeTensorsHeader.parse(bytes: bytes, fileSize: size, path: "fuzz-input.safetensors") else {
        return 0
    }
    // Invariants of an accepted header.
    precondition(header.dataStart + header.dataByteCount == size, "accepted data that does not end at the end of the input")
    precondition(Set(header.entries.map(\.name)).count == header.entries.count, "accepted duplicate names")
    for entry in header.entries {
        let range = header.fileRange(of: entry)
        precondition(range.lowerBound >= header.dataStart && range.upperBound <= size, "accepted a tensor outside the data")
        precondition(entry.dtype.byteCount(elements: entry.shape.reduce(1, *)) == range.count, "accepted a wrong byte count")
    }
    return 0
}

// libFuzzer target for the safetensors header parser (`make fuzz`).
//
// Build and run:
//   swift build -c debug --scratch-path .build-fuzz --product SafeTensorsFuzzer \
//       --sanitize fuzzer --sanitize address
//   mkdir -p .build-fuzz/corpus
//   .build-fuzz/debug/SafeTensorsFuzzer -max_total_time=60 .build-fuzz/corpus \
//       Tests/SafeTensorsTests/Fixtures/fuzz-seeds
//
// With `--sanitize fuzzer` SwiftPM compiles this file as a library file and links
// libFuzzer, which supplies `main` and calls `LLVMFuzzerTestOneInput` with each input,
// treated as a whole file. (`-Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library` does not
// link: SwiftPM then still aliases `main` to the module's missing entry point.)
// In an ordinary `swift build` this file is top-level code without statements, so the
// executable builds, does nothing and exits 0.
//
// The parser must either return a header or throw `SafeTensorsError`; a crash, a trap, a
// memory error or a broken invariant of an accepted header is a bug libFuzzer reports.
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

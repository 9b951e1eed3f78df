import Foundation
import HDF5Checkpoint
import Testing
import TestSupport
import WeightStore

/// Write/read throughput on a large F32 store against `cp` of the same bytes, run only when
/// TRANSFUSE_HDF5_BENCH_DIR names a scratch folder (needs about 3× the size in free disk):
/// `TRANSFUSE_HDF5_BENCH_DIR=/tmp/bench swift test -c release -Xswiftc -enable-testing
///  --filter ThroughputBenchmark`. TRANSFUSE_HDF5_BENCH_MB sets the size (default 1024);
/// TRANSFUSE_HDF5_BENCH_GZIP=1 also times compressed writes (slow: random data).
@Suite("Throughput benchmark")
struct ThroughputBenchmark {
    private static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    @Test("HDF5 write and read of a mapped F32 store versus cp")
    func throughput() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let folder = environment["TRANSFUSE_HDF5_BENCH_DIR"], !folder.isEmpty else { return }
        let megabytes = Int(environment["TRANSFUSE_HDF5_BENCH_MB"] ?? "") ?? 1024
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let raw = folder + "/raw.bin", copy = folder + "/copy.bin", h5 = folder + "/bench.h5"
        defer { for path in [raw, copy, h5] { try? FileManager.default.removeItem(atPath: path) } }

        // 16 tensors of [rows, 4096] F32 filling `megabytes`, as one raw file to map.
        let tensorCount = 16
        let rows = megabytes * (1 << 20) / tensorCount / (4096 * 4)
        let tensorBytes = rows * 4096 * 4
        var random = SplitMix64(seed: 99)
        let handle = try FileHandle(forWritingTo: { FileManager.default.createFile(atPath: raw, contents: nil); return URL(fileURLWithPath: raw) }())
        for _ in 0..<tensorCount { handle.write(random.bytes(tensorBytes, dtype: .f32)) }
        try handle.close()
        let mapped = try MappedFile(path: raw)
        let store = try WeightStore(tensors: (0..<tensorCount).map { index in
            try Tensor(name: "encoder.layer.\(index).weight", dtype: .f32, shape: [rows, 4096],
                       source: MappedTensorSource(file: mapped, range: (index * tensorBytes)..<((index + 1) * tensorBytes)))
        })
        let total = Double(store.byteCount) / 1e6

        var results: [String: [Double]] = [:]
        for _ in 0..<3 {
            results["cp", default: []].append(try Self.seconds {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/cp")
                process.arguments = [raw, copy]
                try process.run()
                process.waitUntilExit()
            })
            results["write", default: []].append(try Self.seconds { try HDF5CheckpointWriter.write(store, to: h5) })
            results["read", default: []].append(try Self.seconds {
                let read = try HDF5CheckpointReader.read(path: h5)
                for tensor in read.tensors {
                    _ = try tensor.withBytes { $0.count }
                    tensor.source.release()
                }
            })
            if environment["TRANSFUSE_HDF5_BENCH_GZIP"] != nil {
                results["write gzip", default: []].append(try Self.seconds { try HDF5CheckpointWriter.write(store, to: h5, compress: true) })
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let cp = median(results["cp"]!)
        for key in ["cp", "write", "read", "write gzip"] {
            guard let times = results[key] else { continue }
            let time = median(times)
            print(String(format: "HDF5 bench %@: %.3f s median of 3, %.0f MB/s, %.2f× cp time (%.0f MB)",
                         key, time, total / time, time / cp, total))
        }
        #expect(try HDF5CheckpointReader.read(path: h5).names == store.names)
    }
}

import Foundation
@testable import HDF5Checkpoint
import Testing
import TestSupport
import WeightStore

@Suite("Many tensors, natural order, concurrency")
struct ScaleTests {
    @Test("Thousands of tensors: the order attribute exceeds HDF5's 64 KiB header limit and still round-trips")
    func manyTensors() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("many.h5").path
        var random = SplitMix64(seed: 17)
        var tensors: [Tensor] = []
        for layer in 0..<300 {
            for part in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                         "intermediate.dense", "output.dense", "output.LayerNorm", "attention.output.LayerNorm"] {
                for kind in ["weight", "bias"] {
                    tensors.append(try TestStores.tensor("bert.encoder.layer.\(layer).\(part).\(kind)", .f16, [2], &random))
                }
            }
        }
        let store = try WeightStore(tensors: tensors.shuffled(using: &random), metadata: ["format": "pt"])
        #expect(try JSONText.encode(store.names).utf8.count > 65_536)
        try HDF5CheckpointWriter.write(store, to: path, compress: true)
        try expectIdentical(try HDF5CheckpointReader.read(path: path), store)
    }

    @Test("Natural order: digit runs by value, then text, ties by bytes")
    func naturalOrder() {
        let names = ["layer10", "layer9", "layer1", "a", "layer01", "layer", "layer_norm", "10", "9", "b2c10", "b2c9", "B"]
        #expect(names.sorted(by: NaturalOrder.precedes)
                == ["9", "10", "B", "a", "b2c9", "b2c10", "layer", "layer01", "layer1", "layer9", "layer10", "layer_norm"])
    }

    @Test("Tensors of one file can be read from many threads at once")
    func concurrentReads() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("threads.h5").path
        var random = SplitMix64(seed: 23)
        let store = try WeightStore(tensors: (0..<64).map { try TestStores.tensor("t.\($0)", .f32, [64, 33], &random) })
        try HDF5CheckpointWriter.write(store, to: path)
        let read = try HDF5CheckpointReader.read(path: path)
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var matches = Set<Int>()
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            let name = "t.\(index)"
            let same = (try? read.tensor(name).source.data()) == (try? store.tensor(name).source.data())
            results.lock.lock()
            if same { results.matches.insert(index) }
            results.lock.unlock()
        }
        #expect(results.matches.count == 64)
    }
}

extension SplitMix64: RandomNumberGenerator {}

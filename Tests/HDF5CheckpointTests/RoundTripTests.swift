import Foundation
import HDF5Checkpoint
import HDF5Kit
import Testing
import TestSupport
import WeightStore

@Suite("Canonical layout round trips")
struct RoundTripTests {
    @Test("Every dtype, empty and scalar tensors, odd names, metadata and config round-trip exactly",
          arguments: [false, true])
    func roundTrip(compress: Bool) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("store.h5").path
        let store = try TestStores.everything()
        var reports: [(Int, Int)] = []
        try HDF5CheckpointWriter.write(store, to: path, compress: compress) { reports.append(($0, $1)) }
        #expect(reports.last.map { $0.0 == $0.1 } ?? false)
        #expect(reports.last?.1 == store.byteCount)
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.0 <= $1.0 })

        let (read, layout) = try HDF5CheckpointReader.readWithLayout(path: path)
        #expect(layout == .transfuse)
        try expectIdentical(read, store)
    }

    @Test("An empty store, and a store without metadata or config, round-trip")
    func emptyStores() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var random = SplitMix64(seed: 4)
        let stores = [try WeightStore(), try WeightStore(metadata: ["only": "metadata"], configJSON: ""),
                      try WeightStore(tensors: [TestStores.tensor("w", .f32, [2, 2], &random)])]
        for (index, store) in stores.enumerated() {
            let path = folder.appendingPathComponent("\(index).h5").path
            try HDF5CheckpointWriter.write(store, to: path)
            let (read, layout) = try HDF5CheckpointReader.readWithLayout(path: path)
            #expect(layout == .transfuse)
            try expectIdentical(read, store)
        }
    }

    @Test("Compression chunks and filters non-empty tensors; without it datasets are contiguous")
    func storageLayout() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var random = SplitMix64(seed: 7)
        let store = try WeightStore(tensors: [
            TestStores.tensor("w", .f32, [600, 700], &random),
            TestStores.tensor("s", .f32, [], &random),
            TestStores.tensor("e", .f32, [0, 3], &random),
        ])
        for compress in [false, true] {
            let path = folder.appendingPathComponent("\(compress).h5").path
            try HDF5CheckpointWriter.write(store, to: path, compress: compress)
            let root = try HDF5File.openReadOnly(path).root()
            let big = try root.openDataset("w").storageInfo()
            if compress {
                #expect(big.layout == .chunked)
                #expect(big.filters == [.shuffle, .deflate])
                let chunk = try #require(big.chunkShape)
                #expect(chunk.count == 2 && chunk[1] == 700 && chunk[0] * 700 * 4 <= 1 << 20)
            } else {
                #expect(big == HDF5StorageInfo(layout: .contiguous, chunkShape: nil, filters: [], storedBytes: 600 * 700 * 4))
            }
            #expect(try root.openDataset("s").storageInfo().layout != .chunked)
            #expect(try root.openDataset("e").storageInfo().layout != .chunked)
            try expectIdentical(try HDF5CheckpointReader.read(path: path), store)
        }
    }

    @Test("Names map to nested groups; colliding and unmappable names are escaped")
    func pathsInFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("names.h5").path
        var random = SplitMix64(seed: 1)
        let names = ["vit.encoder.layer.0.attention.query.weight", "a.b", "a.b.c", "x/y", ""]
        let store = try WeightStore(tensors: names.map { try TestStores.tensor($0, .f32, [1], &random) })
        try HDF5CheckpointWriter.write(store, to: path)
        let root = try HDF5File.openReadOnly(path).root()
        let query = try root.openDataset("vit/encoder/layer/0/attention/query/weight")
        #expect(try query.readString(attribute: "dtype") == "F32")
        #expect(try root.openDataset("a/b").shape() == [1])
        #expect(try root.openGroup("__escaped__").links().links.map(\.name) == ["a%2Eb%2Ec", "x%2Fy", "%"])
        #expect(try root.readInt(attribute: "transfuse_layout_version") == 1)
        #expect(try root.readString(attribute: "transfuse_tensor_order") == #"["vit.encoder.layer.0.attention.query.weight","a.b","a.b.c","x/y",""]"#)
    }

    @Test("Reading is lazy: sources read on demand and release drops the cache")
    func lazyRead() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("lazy.h5").path
        var random = SplitMix64(seed: 3)
        let store = try WeightStore(tensors: [TestStores.tensor("t", .bf16, [4, 4], &random)])
        try HDF5CheckpointWriter.write(store, to: path)
        let read = try HDF5CheckpointReader.read(path: path)
        let tensor = try read.tensor("t")
        #expect(tensor.byteCount == 32)
        let first = try tensor.source.data()
        tensor.source.release()
        #expect(try tensor.source.data() == first)
        #expect(first == (try store.tensor("t").source.data()))
    }

    @Test("Writing the same store twice gives identical files (no time stamps)", arguments: [false, true])
    func reproducible(compress: Bool) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try TestStores.everything()
        let first = folder.appendingPathComponent("first.h5"), second = folder.appendingPathComponent("second.h5")
        try HDF5CheckpointWriter.write(store, to: first.path, compress: compress)
        Thread.sleep(forTimeInterval: 1.1) // a time stamp would now differ
        try HDF5CheckpointWriter.write(store, to: second.path, compress: compress)
        #expect(try Data(contentsOf: first) == Data(contentsOf: second))
    }

    @Test("Sub-byte dtypes are refused before anything is written")
    func refusesSubByte() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("f4.h5").path
        let store = try WeightStore(tensors: [Tensor(name: "packed", dtype: .f4, shape: [4], bytes: Data([1, 2]))])
        #expect {
            try HDF5CheckpointWriter.write(store, to: path)
        } throws: { error in
            "\(error)".contains("packed") && "\(error)".contains("F4")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("Large tensors are written in row slices with progress in between")
    func slicedWrite() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("big.h5").path
        var random = SplitMix64(seed: 9)
        // 80 MiB: more than one 64 MiB slice.
        let rows = 20_480, columns = 1_024
        let big = try Tensor(name: "big", dtype: .f32, shape: [rows, columns], bytes: random.bytes(rows * columns * 4, dtype: .f32))
        let store = try WeightStore(tensors: [big])
        var reports: [Int] = []
        try HDF5CheckpointWriter.write(store, to: path) { done, _ in reports.append(done) }
        #expect(reports.count >= 3)
        try expectIdentical(try HDF5CheckpointReader.read(path: path), store)
    }
}

import Foundation
import Testing
import WeightStore
@testable import SafeTensors

/// Sharded checkpoints: Hugging Face's split, file names, index contents, round trips and
/// the index consistency checks.
@Suite struct ShardedTests {
    static func store() throws -> WeightStore {
        try WeightStore(tensors: [
            TestFiles.tensor("embeddings.weight", .f32, [4, 6], seed: 1),      // 96 bytes
            TestFiles.tensor("layer.0.weight", .f16, [6, 6], seed: 2),         // 72
            TestFiles.tensor("layer.0.bias", .f32, [6], seed: 3),              // 24
            TestFiles.tensor("huge.weight", .f32, [8, 8], seed: 4),            // 256 > max
            TestFiles.tensor("layer.1.weight", .bf16, [6, 6], seed: 5),        // 72
            TestFiles.tensor("scalar", .f64, [], seed: 6),                     // 8
            TestFiles.tensor("empty", .f32, [0, 4], seed: 7),                  // 0
            TestFiles.tensor("position_ids", .i64, [1, 6], seed: 8),           // 48
        ], metadata: ["source": "ShardedTests"])
    }

    @Test func writesShardsAndIndexAndReadsThemBack() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let store = try Self.store()
        var last = (0, 0)
        let names = try ShardedSafeTensors.write(store, folder: folder.path, maxShardSize: 128) { last = ($0, $1) }
        // [embeddings] [huge (alone: > max)] [layer.0.*] [layer.1.weight, scalar, empty, position_ids]
        #expect(names == ["model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                          "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors",
                          "model.safetensors.index.json"])
        #expect(last == (store.byteCount, store.byteCount))
        let listing = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(listing == names.sorted())

        let indexPath = folder.appendingPathComponent("model.safetensors.index.json").path
        let back = try ShardedSafeTensors.read(indexPath: indexPath)
        try expectSameTensors(back, store)
        #expect(back.metadata == ["source": "ShardedTests", "format": "pt"])

        // The index as Hugging Face lays it out.
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: indexPath))) as? [String: Any]
        let metadata = try #require(index?["metadata"] as? [String: Any])
        #expect(metadata["total_size"] as? Int == store.byteCount)
        let weightMap = try #require(index?["weight_map"] as? [String: String])
        #expect(weightMap["huge.weight"] == "model-00002-of-00004.safetensors")
        #expect(weightMap["embeddings.weight"] == "model-00001-of-00004.safetensors")
        #expect(weightMap["layer.0.bias"] == "model-00003-of-00004.safetensors")
        #expect(weightMap["position_ids"] == "model-00004-of-00004.safetensors")
        #expect(Set(weightMap.keys) == Set(store.names))
        for name in names.dropLast() {
            let shard = try SafeTensorsReader.read(path: folder.appendingPathComponent(name).path)
            #expect(shard.byteCount <= 128 || shard.count == 1, "\(name)")
        }
    }

    @Test func oneShardIsAPlainFile() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let store = try Self.store()
        let names = try ShardedSafeTensors.write(store, folder: folder.path, maxShardSize: 10_000, baseName: "pytorch")
        #expect(names == ["pytorch.safetensors"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["pytorch.safetensors"])
        try expectSameTensors(try SafeTensorsReader.read(path: folder.appendingPathComponent(names[0]).path), store)
    }

    @Test(arguments: [1, 24, 100, 200, 400])
    func planInvariants(maxShardSize: Int) throws {
        let store = try Self.store()
        let plan = ShardedSafeTensors.plan(store, maxShardSize: maxShardSize)
        #expect(plan.flatMap { $0 }.sorted() == Array(store.tensors.indices))
        for shard in plan {
            let size = shard.reduce(0) { $0 + store.tensors[$1].byteCount }
            #expect(size <= maxShardSize || shard.count == 1)
            #expect(shard == shard.sorted())
        }
    }

    @Test func fileNames() {
        #expect(ShardedSafeTensors.shardFileName(index: 0, count: 3) == "model-00001-of-00003.safetensors")
        #expect(ShardedSafeTensors.shardFileName(baseName: "x", index: 99_999, count: 100_000) == "x-100000-of-100000.safetensors")
        #expect(ShardedSafeTensors.indexFileName() == "model.safetensors.index.json")
    }

    // MARK: - Broken indexes

    /// Writes a valid sharded checkpoint, applies `damage` to the folder, and returns the error.
    private func error(after damage: (URL) throws -> Void) throws -> SafeTensorsError {
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        try ShardedSafeTensors.write(try Self.store(), folder: folder.path, maxShardSize: 128)
        try damage(folder)
        return try #require(throws: SafeTensorsError.self) {
            try ShardedSafeTensors.read(indexPath: folder.appendingPathComponent("model.safetensors.index.json").path)
        }
    }

    private func editIndex(_ folder: URL, _ edit: (String) -> String) throws {
        let url = folder.appendingPathComponent("model.safetensors.index.json")
        try edit(try String(contentsOf: url, encoding: .utf8)).write(to: url, atomically: false, encoding: .utf8)
    }

    @Test func missingShard() throws {
        let error = try error { try FileManager.default.removeItem(at: $0.appendingPathComponent("model-00003-of-00004.safetensors")) }
        #expect(error.name == "InvalidIndex")
        #expect(error.description.contains("model.safetensors.index.json: InvalidIndex: the shard 'model-00003-of-00004.safetensors'"))
    }

    @Test func tensorMappedToTheWrongShard() throws {
        let error = try error { folder in
            try editIndex(folder) {
                $0.replacingOccurrences(of: #""huge.weight": "model-00002-of-00004.safetensors""#,
                                        with: #""huge.weight": "model-00001-of-00004.safetensors""#)
            }
        }
        #expect(error.name == "InvalidIndex")
        #expect(error.description.contains("'huge.weight' is mapped to 'model-00001-of-00004.safetensors'"))
    }

    @Test func shardTensorMissingFromTheMap() throws {
        let error = try error { folder in
            try editIndex(folder) { $0.replacingOccurrences(of: #"    "layer.0.bias": "model-00003-of-00004.safetensors",\#n"#, with: "") }
        }
        #expect(error.name == "InvalidIndex")
        #expect(error.description.contains("contains tensor 'layer.0.bias' (F32 [6]), which weight_map does not list"))
    }

    @Test func tensorInTwoShards() throws {
        let error = try error { folder in
            // Rewrite shard 1 so that it also holds 'huge.weight' (which lives in shard 2).
            let shard = folder.appendingPathComponent("model-00001-of-00004.safetensors").path
            let store = try Self.store()
            try SafeTensorsWriter.write(try WeightStore(tensors: [store.tensor("embeddings.weight"), store.tensor("huge.weight")]), to: shard)
        }
        #expect(error.name == "InvalidIndex")
        #expect(error.description.contains("tensor 'huge.weight' is in shard 'model-00001-of-00004.safetensors' and in 'model-00002-of-00004.safetensors'"))
    }

    @Test func duplicateWeightMapEntry() throws {
        let error = try error { folder in
            try editIndex(folder) {
                $0.replacingOccurrences(of: #"  "weight_map": {"#, with: #"  "weight_map": {"scalar": "model-00004-of-00004.safetensors","#)
            }
        }
        #expect(error.name == "InvalidIndex")
        #expect(error.description.contains("lists tensor 'scalar' more than once"))
    }

    @Test(arguments: ["{", "[]", #"{"metadata": {}}"#, #"{"weight_map": {"a": 1}}"#, #"{"weight_map": {"a": "../x.safetensors"}}"#,
                      #"{"weight_map": [], "metadata": {}}"#])
    func malformedIndex(text: String) throws {
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let path = folder.appendingPathComponent("model.safetensors.index.json")
        try text.write(to: path, atomically: false, encoding: .utf8)
        let error = try #require(throws: SafeTensorsError.self) { try ShardedSafeTensors.read(indexPath: path.path) }
        #expect(error.name == "InvalidIndex", "\(error)")
        #expect(error.description.hasPrefix(path.path + ": InvalidIndex: "))
    }

    @Test func brokenShardReportsTheShard() throws {
        let error = try error { folder in
            let shard = folder.appendingPathComponent("model-00004-of-00004.safetensors")
            let data = try Data(contentsOf: shard)
            try data.dropLast(3).write(to: shard)
        }
        #expect(error.name == "MetadataIncompleteBuffer")
        #expect(error.description.contains("model-00004-of-00004.safetensors: MetadataIncompleteBuffer"))
    }
}

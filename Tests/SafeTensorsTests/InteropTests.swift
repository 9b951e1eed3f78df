import Foundation
import Testing
import TestSupport
import WeightStore
@testable import SafeTensors

/// Files written by the reference implementation (Python `safetensors`, `huggingface_hub`)
/// read by Transfuse, compared with the reference's own reading in `manifest.json`.
@Suite struct InteropTests {
    static let referenceFiles = ["dtypes.safetensors", "bf16.safetensors", "odd_names.safetensors"]

    @Test(arguments: referenceFiles)
    func readsReferenceFile(name: String) throws {
        let manifest = try FixtureManifest.load()
        let expected = try #require(manifest.files[name])
        let store = try SafeTensorsReader.read(path: TestFiles.fixtures.appendingPathComponent(name).path)
        #expect(store.names == expected.tensors.map(\.name))
        #expect(store.metadata == expected.metadata)
        for info in expected.tensors {
            let tensor = try #require(store[info.name])
            #expect(tensor.dtype.rawValue == info.dtype, "\(info.name)")
            #expect(tensor.shape == info.shape, "\(info.name)")
            #expect(tensor.byteCount == info.nbytes, "\(info.name)")
            #expect(try tensor.withBytes { SHA256.hex($0) } == info.sha256, "\(info.name)")
            if let values = info.values {
                // Decoding F16/BF16/F32/F64 to Float is exact for these values: tolerance 0.
                #expect(try tensor.floats() == values.map { Float($0) }, "\(info.name)")
            }
        }
    }

    /// Transfuse's writer lays data out exactly as the reference writer does: rewriting a
    /// reference file keeps every data_offsets pair and the data bytes identical.
    @Test(arguments: ["dtypes.safetensors", "odd_names.safetensors"])
    func rewriteKeepsReferenceLayout(name: String) throws {
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let source = try TestFiles.fixtures.appendingPathComponent(name).path
        let store = try SafeTensorsReader.read(path: source)
        let output = folder.appendingPathComponent(name).path
        try SafeTensorsWriter.write(store, to: output)

        let original = try SafeTensorsReader.readHeader(path: source)
        let rewritten = try SafeTensorsReader.readHeader(path: output)
        #expect(rewritten.entries == original.entries)
        #expect(rewritten.dataStart % 8 == 0)
        let originalData = try Data(contentsOf: URL(fileURLWithPath: source)).dropFirst(original.dataStart)
        let rewrittenData = try Data(contentsOf: URL(fileURLWithPath: output)).dropFirst(rewritten.dataStart)
        #expect(originalData == rewrittenData)
        try expectSameTensors(try SafeTensorsReader.read(path: output), store)
    }

    @Test func readsReferenceShardedCheckpoint() throws {
        let manifest = try FixtureManifest.load()
        let indexPath = try TestFiles.fixtures.appendingPathComponent(manifest.sharded.index).path
        let store = try ShardedSafeTensors.read(indexPath: indexPath)
        #expect(store.names == manifest.sharded.tensors.map(\.name))
        #expect(store.byteCount == manifest.sharded.total_size)
        #expect(store.metadata == manifest.sharded.metadata)
        for info in manifest.sharded.tensors {
            let tensor = try #require(store[info.name])
            #expect(tensor.dtype.rawValue == info.dtype && tensor.shape == info.shape, "\(info.name)")
            #expect(try tensor.withBytes { SHA256.hex($0) } == info.sha256, "\(info.name)")
            let source = try #require(tensor.source as? MappedTensorSource)
            #expect(URL(fileURLWithPath: source.file.path).lastPathComponent == info.shard, "\(info.name)")
        }
    }

    /// The shard plan equals huggingface_hub's `split_state_dict_into_shards_factory`.
    @Test func shardPlanMatchesHuggingFace() throws {
        let plan = try FixtureManifest.load().shard_plan
        let store = try WeightStore(tensors: plan.tensors.enumerated().map { i, item in
            try TestFiles.tensor(item.name, .u8, [item.nbytes], seed: UInt64(i))
        })
        let shards = ShardedSafeTensors.plan(store, maxShardSize: plan.max_shard_size)
        #expect(shards.map { $0.map { store.tensors[$0].name } } == plan.shards)
    }

    /// The committed fixtures match their checksums (what `make test` checks with sha256sum).
    @Test func fixtureChecksums() throws {
        let folder = try TestFiles.fixtures
        let sums = try String(contentsOf: folder.appendingPathComponent("SHA256SUMS"), encoding: .utf8)
        let lines = sums.split(separator: "\n")
        #expect(lines.count >= 30)
        for line in lines {
            let digest = String(line.prefix(64)), path = String(line.dropFirst(66))
            let data = try Data(contentsOf: folder.appendingPathComponent(path))
            #expect(data.withUnsafeBytes { SHA256.hex($0) } == digest, "\(path)")
        }
    }
}

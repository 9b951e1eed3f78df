import Foundation
import Testing
import TestSupport
import WeightStore
@testable import SafeTensors

/// Writes files for the other interop direction: `make test` runs
/// `Fixtures/check_written.py FILE MANIFEST` on them with the Python `safetensors` package.
/// They go to `$TRANSFUSE_INTEROP_DIR/safetensors/` when that variable is set, otherwise to
/// a temporary folder that is deleted (the test then checks the files with Transfuse only).
@Suite struct WrittenForPythonTests {
    /// The manifest format `check_written.py` reads.
    struct Manifest: Codable {
        struct Entry: Codable { var name: String; var dtype: String; var shape: [Int]; var sha256: String }
        var metadata: [String: String]
        var tensors: [Entry]
    }

    /// A store exercising every dtype numpy or raw reads can check, odd names, a scalar and
    /// an empty tensor, in an order unlike the data order.
    static func store() throws -> WeightStore {
        let dtypes: [DType] = [.f64, .f32, .f16, .bf16, .i64, .i32, .i16, .i8, .u64, .u32, .u16, .u8, .bool, .c64]
        var tensors = try dtypes.enumerated().map { i, dtype in
            try TestFiles.tensor("\(dtypes.count - i).\(dtype)", dtype, [i % 3 + 1, 2], seed: UInt64(i))
        }
        // BOOL bytes must be 0 or 1 for numpy to read them back unchanged.
        let boolIndex = try #require(tensors.firstIndex { $0.dtype == .bool })
        tensors[boolIndex] = try Tensor(name: tensors[boolIndex].name, dtype: .bool, shape: tensors[boolIndex].shape,
                                        bytes: Data(try TestFiles.bytes(of: tensors[boolIndex]).map { $0 & 1 }))
        for (i, name) in ["", "with space", "slash/in/name", "back\\slash", "quote\"d", "ünïcödé.权重.🙂", "tab\tline"].enumerated() {
            tensors.append(try TestFiles.tensor(name, .f32, [2], seed: 100 + UInt64(i)))
        }
        tensors.append(try TestFiles.tensor("scalar", .f32, [], seed: 200))
        tensors.append(try TestFiles.tensor("empty", .f16, [0, 4], seed: 201))
        return try WeightStore(tensors: tensors, metadata: ["source": "Transfuse", "quote": "\"q\" \\ ü"])
    }

    static func manifest(for store: WeightStore) throws -> Manifest {
        Manifest(metadata: store.metadata, tensors: try store.tensors.map { tensor in
            .init(name: tensor.name, dtype: tensor.dtype.rawValue, shape: tensor.shape,
                  sha256: try tensor.withBytes { SHA256.hex($0) })
        })
    }

    @Test func writeFilesForPythonChecker() throws {
        let environment = ProcessInfo.processInfo.environment["TRANSFUSE_INTEROP_DIR"]
        let folder: URL
        if let environment, !environment.isEmpty {
            folder = URL(fileURLWithPath: environment).appendingPathComponent("safetensors")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } else {
            folder = try TestFiles.temporaryFolder()
        }
        defer { if environment == nil { TestFiles.remove(folder) } }

        let store = try Self.store()
        let manifest = try JSONEncoder().encode(try Self.manifest(for: store))
        let file = folder.appendingPathComponent("written.safetensors")
        try SafeTensorsWriter.write(store, to: file.path)
        try manifest.write(to: folder.appendingPathComponent("written.manifest.json"))

        let shards = folder.appendingPathComponent("written-sharded")
        try? FileManager.default.removeItem(at: shards)
        try FileManager.default.createDirectory(at: shards, withIntermediateDirectories: true)
        let names = try ShardedSafeTensors.write(store, folder: shards.path, maxShardSize: 40)
        #expect(names.last == "model.safetensors.index.json")
        try manifest.write(to: folder.appendingPathComponent("written-sharded.manifest.json"))

        // Transfuse itself reads both back exactly.
        try expectSameTensors(try SafeTensorsReader.read(path: file.path), store)
        try expectSameTensors(try ShardedSafeTensors.read(indexPath: shards.appendingPathComponent("model.safetensors.index.json").path), store)
    }
}

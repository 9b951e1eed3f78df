import Foundation

/// `Fixtures/manifest.json`, written by `make_fixtures.py` from what the reference
/// implementation (Python `safetensors`) reads back.
struct FixtureManifest: Decodable {
    struct TensorInfo: Decodable {
        var name: String
        var dtype: String
        var shape: [Int]
        var nbytes: Int
        var sha256: String
        /// Float values (row-major) of small float tensors, as the reference decodes them.
        var values: [Double]?
        /// The shard holding the tensor (sharded checkpoint only).
        var shard: String?
    }

    struct File: Decodable {
        var metadata: [String: String]
        /// In header order.
        var tensors: [TensorInfo]
    }

    struct Sharded: Decodable {
        var index: String
        var metadata: [String: String]
        var total_size: Int
        /// In `weight_map` order.
        var tensors: [TensorInfo]
    }

    /// huggingface_hub's split of a list of tensor sizes at `max_shard_size`.
    struct ShardPlan: Decodable {
        struct Item: Decodable { var name: String; var nbytes: Int }
        var max_shard_size: Int
        var tensors: [Item]
        var shards: [[String]]
    }

    struct Malformed: Decodable {
        /// The `SafeTensorsError.name` Transfuse must report.
        var error: String
        /// The reference's message ("accepted" where the reference accepts the file).
        var reference: String
    }

    var files: [String: File]
    var sharded: Sharded
    var shard_plan: ShardPlan
    var malformed: [String: Malformed]

    static func load() throws -> FixtureManifest {
        let data = try Data(contentsOf: TestFiles.fixtures.appendingPathComponent("manifest.json"))
        return try JSONDecoder().decode(FixtureManifest.self, from: data)
    }
}

import Foundation
import WeightStore

// MARK: - Reading a sharded checkpoint through its index

extension ShardedSafeTensors {
    /// Reads the checkpoint described by the index at `indexPath` as one lazy store.
    ///
    /// Tensors come in `weight_map` order as the JSON lists it; metadata is the union of
    /// the shards' `__metadata__` (the first shard listing a key wins). Every shard is
    /// memory-mapped and validated as `SafeTensorsReader.read` does.
    /// - Throws: `SafeTensorsError.invalidIndex` naming the index when it is malformed, lists
    ///   a tensor twice, names a shard that does not exist or does not hold the tensor, or
    ///   when a shard holds a tensor the map does not list (or lists under another shard);
    ///   any `SafeTensorsError` of a shard.
    public static func read(indexPath: String) throws -> WeightStore {
        let weightMap = try readWeightMap(indexPath: indexPath)
        let folder = URL(fileURLWithPath: indexPath).deletingLastPathComponent()
        func invalid(_ reason: String) -> SafeTensorsError { .invalidIndex(path: indexPath, reason: reason) }

        // Shards in order of first mention, each read once.
        var shards: [String: WeightStore] = [:]
        var shardOrder: [String] = []
        for (_, shard) in weightMap where shards[shard] == nil {
            let shardPath = folder.appendingPathComponent(shard).path
            guard FileManager.default.fileExists(atPath: shardPath) else {
                throw invalid("the shard '\(shard)' named in weight_map does not exist beside the index")
            }
            shards[shard] = try SafeTensorsReader.read(path: shardPath)
            shardOrder.append(shard)
        }
        let shardOfTensor = Dictionary(weightMap.map { ($0.tensor, $0.shard) }, uniquingKeysWith: { first, _ in first })
        var store = try WeightStore()
        for (name, shard) in weightMap {
            guard let tensor = shards[shard]?[name] else {
                throw invalid("tensor '\(name)' is mapped to '\(shard)', but that shard does not contain it")
            }
            try store.append(tensor)  // names are unique: checked while parsing
        }
        for shard in shardOrder {
            for tensor in shards[shard]?.tensors ?? [] {
                guard let mapped = shardOfTensor[tensor.name] else {
                    throw invalid("shard '\(shard)' contains tensor '\(tensor.name)' (\(tensor.dtype) \(Shape.describe(tensor.shape))), which weight_map does not list")
                }
                if mapped != shard {
                    throw invalid("tensor '\(tensor.name)' is in shard '\(shard)' and in '\(mapped)' (weight_map names '\(mapped)'); a tensor must live in one shard")
                }
            }
            for (key, value) in shards[shard]?.metadata ?? [:] where store.metadata[key] == nil {
                store.metadata[key] = value
            }
        }
        return store
    }

    /// The `weight_map` entries in JSON order, checked for structure and duplicates.
    static func readWeightMap(indexPath: String) throws -> [(tensor: String, shard: String)] {
        func invalid(_ reason: String) -> SafeTensorsError { .invalidIndex(path: indexPath, reason: reason) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: indexPath))
        } catch {
            throw SafeTensorsError.io(path: indexPath, message: "cannot read: \(error.localizedDescription)")
        }
        let json: JSONValue
        do {
            json = try data.withUnsafeBytes { try JSONParser.parse($0) }
        } catch let error as JSONSyntaxError {
            throw invalid("not valid JSON: \(error.message) at byte \(error.offset)")
        }
        guard case let .object(members) = json else { throw invalid("the index is \(json.kindDescription), not a JSON object") }
        let maps = members.filter { $0.key == "weight_map" }
        guard maps.count == 1, case let .object(entries) = maps[0].value else {
            throw invalid(maps.isEmpty ? "there is no 'weight_map'" : "'weight_map' must occur once and be an object of tensor → shard file")
        }
        if let metadata = members.first(where: { $0.key == "metadata" })?.value {
            guard case .object = metadata else { throw invalid("'metadata' is \(metadata.kindDescription), not an object") }
        }
        var seen = Set<String>()
        var result: [(tensor: String, shard: String)] = []
        result.reserveCapacity(entries.count)
        for entry in entries {
            guard case let .string(shard) = entry.value else {
                throw invalid("weight_map value of '\(entry.key)' is \(entry.value.kindDescription), not a shard file name")
            }
            guard seen.insert(entry.key).inserted else {
                throw invalid("weight_map lists tensor '\(entry.key)' more than once")
            }
            guard !shard.isEmpty, !shard.hasPrefix("/"), !shard.split(separator: "/").contains("..") else {
                throw invalid("tensor '\(entry.key)' is mapped to '\(shard)', which is not a file name inside the index's folder")
            }
            result.append((entry.key, shard))
        }
        return result
    }
}

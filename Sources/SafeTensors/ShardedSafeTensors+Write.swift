import Foundation
import WeightStore

// MARK: - Writing a sharded checkpoint

extension ShardedSafeTensors {
    /// Splits tensors into shards as Hugging Face does (`split_torch_state_dict_into_shards`):
    /// walking the store in order, a tensor larger than `maxShardSize` gets a shard of its
    /// own (appended at once, before the shard being filled); otherwise a new shard starts
    /// when adding the tensor would push the current one over `maxShardSize`.
    /// - Returns: indices into `store.tensors`, one array per shard, each in store order.
    /// - Complexity: O(n).
    public static func plan(_ store: WeightStore, maxShardSize: Int) -> [[Int]] {
        var shards: [[Int]] = []
        var current: [Int] = []
        var currentSize = 0
        for (index, tensor) in store.tensors.enumerated() {
            let size = tensor.byteCount
            if size > maxShardSize {
                shards.append([index])
                continue
            }
            if currentSize + size > maxShardSize, !current.isEmpty {
                shards.append(current)
                current = []
                currentSize = 0
            }
            current.append(index)
            currentSize += size
        }
        if !current.isEmpty { shards.append(current) }
        return shards
    }

    /// Writes `store` into the existing folder `folder` as shards of at most `maxShardSize`
    /// tensor bytes (a larger tensor gets its own shard) plus `<baseName>.safetensors.index.json`.
    /// One shard is written as just `<baseName>.safetensors`, without an index, as Hugging Face does.
    ///
    /// Every shard carries the store's metadata (plus `"format": "pt"`); `weight_map` lists
    /// the tensors in store order, so reading the index back restores the store's order.
    /// `total_size` is the sum of the tensor bytes.
    /// - Parameters:
    ///   - maxShardSize: bytes, at least 1 (e.g. `ByteSize.parse("2GB")`).
    ///   - progress: (tensor bytes written, total tensor bytes) over all shards.
    /// - Returns: the file names written, shards first, then the index if any.
    /// - Throws: `SafeTensorsError.io` naming the file that could not be written.
    @discardableResult
    public static func write(_ store: WeightStore, folder: String, maxShardSize: Int, baseName: String = "model",
                             progress: ((Int, Int) -> Void)? = nil) throws -> [String] {
        let folderURL = URL(fileURLWithPath: folder)
        let shards = plan(store, maxShardSize: max(1, maxShardSize))
        let total = store.byteCount
        if shards.count <= 1 {
            let name = "\(baseName).safetensors"
            try SafeTensorsWriter.write(store, to: folderURL.appendingPathComponent(name).path, progress: progress)
            return [name]
        }
        var names: [String] = []
        var shardOfTensor = [String](repeating: "", count: store.count)
        var written = 0
        for (number, indices) in shards.enumerated() {
            let name = shardFileName(baseName: baseName, index: number, count: shards.count)
            let shard = try WeightStore(tensors: indices.map { store.tensors[$0] }, metadata: store.metadata)
            let before = written
            try SafeTensorsWriter.write(shard, to: folderURL.appendingPathComponent(name).path) { done, _ in
                progress?(before + done, total)
            }
            written += shard.byteCount
            for index in indices { shardOfTensor[index] = name }
            names.append(name)
        }
        let index = indexJSON(names: store.names, shards: shardOfTensor, totalSize: total)
        let indexName = indexFileName(baseName: baseName)
        let indexPath = folderURL.appendingPathComponent(indexName).path
        do {
            try Data(index.utf8).write(to: URL(fileURLWithPath: indexPath))
        } catch {
            throw SafeTensorsError.io(path: indexPath, message: "cannot write: \(error.localizedDescription)")
        }
        names.append(indexName)
        return names
    }

    /// The index JSON, indented as transformers writes it, `weight_map` in store order.
    static func indexJSON(names: [String], shards: [String], totalSize: Int) -> String {
        var lines = ["{", "  \"metadata\": {", "    \"total_size\": \(totalSize)", "  },", "  \"weight_map\": {"]
        for (i, name) in names.enumerated() {
            let comma = i + 1 < names.count ? "," : ""
            lines.append("    \(JSONText.quoted(name)): \(JSONText.quoted(shards[i]))\(comma)")
        }
        lines.append(contentsOf: ["  }", "}"])
        return lines.joined(separator: "\n") + "\n"
    }
}

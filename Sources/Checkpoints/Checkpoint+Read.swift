import Foundation
import HDF5Checkpoint
import NPZ
import SafeTensors
import WeightStore

/// Reading and writing whole checkpoints in any supported format.
public enum Checkpoint {
    /// Reads the checkpoint at `path` (any `CheckpointFormat`) lazily: headers now, tensor
    /// bytes on demand. A `config.json` in a Hugging Face folder — or beside a single file when
    /// the file carries no config of its own — becomes the store's `configJSON`.
    /// - Throws: `CheckpointError` for unknown paths and formats, the format reader's own
    ///   error (naming file, tensor and problem) for invalid contents.
    public static func read(_ path: String) throws -> WeightStore {
        let format = try CheckpointFormat.detect(path: path)
        var store: WeightStore
        switch format {
        case .safetensors: store = try liftEmbeddedConfig(SafeTensorsReader.read(path: path))
        case .shardedSafeTensors: store = try liftEmbeddedConfig(ShardedSafeTensors.read(indexPath: path))
        case .hdf5: store = try HDF5CheckpointReader.read(path: path)
        case .npz: store = try NPZReader.read(path: path)
        case .huggingFaceFolder: return try readFolder(path)
        }
        if store.configJSON == nil {
            let beside = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("config.json").path
            store.configJSON = try readConfig(beside)
        }
        return store
    }

    /// The `__metadata__` key under which a single safetensors file written by Transfuse carries
    /// the store's config (safetensors has no other place for it; the value is the JSON text).
    public static let embeddedConfigKey = "transfuse.config"

    /// Moves an embedded config from the metadata into `configJSON`.
    static func liftEmbeddedConfig(_ store: WeightStore) -> WeightStore {
        var store = store
        if let config = store.metadata.removeValue(forKey: embeddedConfigKey) { store.configJSON = config }
        return store
    }

    /// The weight file a Hugging Face folder holds, in the order Hugging Face prefers.
    static func weightFile(inFolder folder: String) throws -> String {
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: folder).sorted()) ?? []
        for preferred in ["model.safetensors.index.json", "model.safetensors"] where contents.contains(preferred) {
            return folder + "/" + preferred
        }
        let candidates = contents.filter { $0.hasSuffix(".safetensors.index.json") }
            + contents.filter { $0.hasSuffix(".safetensors") && !$0.contains("-of-") }
            + contents.filter { $0.hasSuffix(".h5") || $0.hasSuffix(".hdf5") }
            + contents.filter { $0.hasSuffix(".npz") }
        guard let first = candidates.first else {
            throw CheckpointError.emptyFolder(path: folder, contents: contents)
        }
        return folder + "/" + first
    }

    private static func readFolder(_ folder: String) throws -> WeightStore {
        var store = try read(weightFile(inFolder: folder))
        if let config = try readConfig(folder + "/config.json") { store.configJSON = config }
        return store
    }

    /// The text of a config file if it exists; it must be a JSON object.
    static func readConfig(_ path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CheckpointError.invalidConfig(path: path, reason: error.localizedDescription)
        }
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any],
              let text = String(data: data, encoding: .utf8) else {
            throw CheckpointError.invalidConfig(path: path, reason: "not a JSON object")
        }
        return text
    }
}

import Foundation
import HDF5Checkpoint
import SafeTensors
import WeightStore

/// How `Checkpoint.write` writes.
public struct WriteOptions: Sendable {
    /// Replace an existing output.
    public var force: Bool
    /// gzip + shuffle for HDF5 outputs.
    public var compress: Bool
    /// Largest shard in bytes for folder outputs (nil: one `model.safetensors`).
    public var maxShardSize: Int?
    /// Called with (bytes written, bytes in all) as tensors are written.
    public var progress: (@Sendable (Int, Int) -> Void)?

    public init(force: Bool = false, compress: Bool = false, maxShardSize: Int? = nil,
                progress: (@Sendable (Int, Int) -> Void)? = nil) {
        self.force = force
        self.compress = compress
        self.maxShardSize = maxShardSize
        self.progress = progress
    }
}

extension Checkpoint {
    /// Writes `store` to `path` in the format its extension names (`.safetensors`, `.h5`,
    /// `.hdf5`, or no extension for a Hugging Face folder with `config.json`). A single
    /// `.safetensors` file carries the config in its metadata under `embeddedConfigKey`.
    ///
    /// All-or-nothing: the output is assembled under a temporary name beside `path` and
    /// renamed into place when complete; on any error nothing is left behind.
    /// - Throws: `StoreError.outputExists` without `force`, `CheckpointError` for unwritable
    ///   formats, the writer's own errors.
    public static func write(_ store: WeightStore, to path: String, options: WriteOptions = WriteOptions()) throws {
        let format = try CheckpointFormat.forOutput(path: path)
        if options.maxShardSize != nil, format != .huggingFaceFolder {
            throw CheckpointError.shardingNeedsFolder(path: path)
        }
        switch format {
        case .safetensors:
            var embedded = store
            if let config = store.configJSON { embedded.metadata[embeddedConfigKey] = config }
            try AtomicOutput.write(to: path, force: options.force) { tmp in
                try SafeTensorsWriter.write(embedded, to: tmp, progress: options.progress)
            }
        case .hdf5:
            try AtomicOutput.write(to: path, force: options.force) { tmp in
                try HDF5CheckpointWriter.write(store, to: tmp, compress: options.compress, progress: options.progress)
            }
        case .huggingFaceFolder:
            try AtomicOutput.write(to: path, force: options.force, isDirectory: true) { folder in
                try writeFolder(store, to: folder, options: options)
            }
        case .shardedSafeTensors, .npz:
            throw CheckpointError.unwritableFormat(path: path, reason: "\(format.rawValue) is not an output format")
        }
    }

    private static func writeFolder(_ store: WeightStore, to folder: String, options: WriteOptions) throws {
        if let config = store.configJSON {
            try Data(config.utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        }
        if let maxShardSize = options.maxShardSize {
            try ShardedSafeTensors.write(store, folder: folder, maxShardSize: maxShardSize, progress: options.progress)
        } else {
            try SafeTensorsWriter.write(store, to: folder + "/model.safetensors", progress: options.progress)
        }
    }
}

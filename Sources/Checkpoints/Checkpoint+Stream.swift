import Foundation
import SafeTensors
import WeightStore

/// A checkpoint being written tensor by tensor (see `Checkpoint.writeStreaming`).
public final class CheckpointStream {
    private let writer: SafeTensorsStreamWriter
    private let progress: (@Sendable (Int, Int) -> Void)?
    private let totalBytes: Int
    private var writtenBytes = 0

    init(writer: SafeTensorsStreamWriter, totalBytes: Int, progress: (@Sendable (Int, Int) -> Void)?) {
        self.writer = writer
        self.totalBytes = totalBytes
        self.progress = progress
    }

    /// Tensors of the template not written yet.
    public var remaining: Int { writer.remaining }

    /// Writes one tensor of the template (any order, each once). Errors reading the tensor's
    /// source are rethrown unchanged and nothing is written, so the tensor can be retried.
    /// - Throws: `SafeTensorsError.streamMismatch` for a tensor the template does not have (or
    ///   of another dtype / shape, or written twice), `SafeTensorsError.io`.
    public func write(_ tensor: Tensor) throws {
        try writer.write(tensor)
        writtenBytes += tensor.byteCount
        progress?(writtenBytes, totalBytes)
    }
}

extension Checkpoint {
    /// Whether `writeStreaming` can write `path`: a single `.safetensors` file, or a Hugging
    /// Face folder without sharding. Other outputs need the whole store (`write`).
    public static func canStream(to path: String, options: WriteOptions = WriteOptions()) -> Bool {
        guard options.maxShardSize == nil, let format = try? CheckpointFormat.forOutput(path: path) else { return false }
        return format == .safetensors || format == .huggingFaceFolder
    }

    /// Writes a checkpoint whose tensors arrive one at a time: the file gets the layout of
    /// `write(template, to: path)` (names, dtypes, shapes, order, metadata and config are the
    /// template's; its sources are never read), and `produce` hands every tensor of the
    /// template to the stream once, in any order. The result is byte for byte what `write`
    /// gives for a store of the same tensors, without ever holding them all in memory.
    ///
    /// All-or-nothing like `write`: the output is assembled under a temporary name and renamed
    /// into place only when `produce` returns and every tensor was written.
    /// - Throws: `CheckpointError.unwritableFormat` when `canStream` is false,
    ///   `StoreError.outputExists` without `force`, `SafeTensorsError.streamMismatch` when a
    ///   tensor is missing at the end, and whatever `produce` throws.
    public static func writeStreaming(template: WeightStore, to path: String, options: WriteOptions = WriteOptions(),
                                      _ produce: (CheckpointStream) throws -> Void) throws {
        guard canStream(to: path, options: options) else {
            throw CheckpointError.unwritableFormat(path: path, reason: "only a single .safetensors file or an unsharded Hugging Face folder can be written tensor by tensor")
        }
        let format = try CheckpointFormat.forOutput(path: path)
        func stream(_ file: String, _ store: WeightStore) throws {
            let writer = try SafeTensorsStreamWriter(path: file, template: store)
            let sink = CheckpointStream(writer: writer, totalBytes: store.byteCount, progress: options.progress)
            options.progress?(0, store.byteCount)
            try produce(sink)
            try writer.finish()
        }
        if format == .safetensors {
            var embedded = template
            if let config = template.configJSON { embedded.metadata[embeddedConfigKey] = config }
            try AtomicOutput.write(to: path, force: options.force) { tmp in try stream(tmp, embedded) }
        } else {
            try AtomicOutput.write(to: path, force: options.force, isDirectory: true) { folder in
                if let config = template.configJSON {
                    try Data(config.utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
                }
                try stream(folder + "/model.safetensors", template)
            }
        }
    }
}

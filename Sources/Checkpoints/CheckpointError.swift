/// Errors of the format-independent checkpoint layer: which format a path is, and whether it
/// can be written there. Format-specific problems come from the readers' own error types.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case notFound(path: String)
    case unknownFormat(path: String, reason: String)
    case unwritableFormat(path: String, reason: String)
    case emptyFolder(path: String, contents: [String])
    case invalidConfig(path: String, reason: String)
    case shardingNeedsFolder(path: String)

    public var description: String {
        switch self {
        case let .notFound(path):
            return "\(path): no such file or folder"
        case let .unknownFormat(path, reason):
            return "\(path): not a checkpoint Transfuse can read (\(reason)). Supported: .safetensors, "
                + "*.safetensors.index.json, Hugging Face model folders, .h5/.hdf5, .npz"
        case let .unwritableFormat(path, reason):
            return "\(path): cannot write this format (\(reason)). Use .safetensors, .h5/.hdf5, "
                + "or a path without extension for a Hugging Face model folder"
        case let .emptyFolder(path, contents):
            let listing = contents.isEmpty ? "it is empty" : "it holds " + contents.prefix(8).joined(separator: ", ")
            return "\(path): no model.safetensors, model.safetensors.index.json or other weight file in this folder (\(listing))"
        case let .invalidConfig(path, reason):
            return "\(path): invalid config.json: \(reason)"
        case let .shardingNeedsFolder(path):
            return "\(path): --shard-size writes a Hugging Face folder of shards; give an output path without extension"
        }
    }
}

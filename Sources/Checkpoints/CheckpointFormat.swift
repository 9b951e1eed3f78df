import Foundation

/// The on-disk formats Transfuse reads and writes.
public enum CheckpointFormat: String, Sendable, CaseIterable, Codable {
    /// One `.safetensors` file.
    case safetensors
    /// A `*.safetensors.index.json` with its shards.
    case shardedSafeTensors = "sharded-safetensors"
    /// A Hugging Face model folder: `config.json` plus `model.safetensors` or a sharded index.
    case huggingFaceFolder = "hf-folder"
    /// HDF5 (`.h5`, `.hdf5`): Transfuse's canonical layout, flat/nested h5py layouts, Keras files.
    case hdf5
    /// NumPy `.npz` (a zip of `.npy` arrays), as the original JAX ViT checkpoints ship. Read only.
    case npz

    /// Whether `write` supports the format.
    public var isWritable: Bool { self != .npz }

    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    static let zipSignature: [UInt8] = [0x50, 0x4B, 0x03, 0x04]

    /// The format of an existing file or folder: folders are Hugging Face folders; files are
    /// recognised by their signature first (HDF5, zip), then by extension.
    public static func detect(path: String) throws -> CheckpointFormat {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw CheckpointError.notFound(path: path)
        }
        if isFolder.boolValue { return .huggingFaceFolder }
        let head = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).read(upToCount: 8)) ?? Data()
        if head.starts(with: hdf5Signature) { return .hdf5 }
        if head.starts(with: zipSignature) { return .npz }
        let lower = path.lowercased()
        if lower.hasSuffix(".index.json") { return .shardedSafeTensors }
        if lower.hasSuffix(".safetensors") { return .safetensors }
        if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") { return .hdf5 }
        if lower.hasSuffix(".npz") { return .npz }
        // No telling extension: a safetensors file starts with a little-endian length and '{'.
        if head.count == 8, let next = try? readByte(path: path, at: 8), next == UInt8(ascii: "{") {
            return .safetensors
        }
        throw CheckpointError.unknownFormat(path: path, reason: "unrecognised extension and no known file signature")
    }

    /// The format `write` uses for an output path: by extension, and a folder for no extension.
    public static func forOutput(path: String) throws -> CheckpointFormat {
        let name = URL(fileURLWithPath: path).lastPathComponent.lowercased()
        if name.hasSuffix(".safetensors") { return .safetensors }
        if name.hasSuffix(".h5") || name.hasSuffix(".hdf5") { return .hdf5 }
        if name.hasSuffix(".npz") {
            throw CheckpointError.unwritableFormat(path: path, reason: ".npz is read-only")
        }
        if name.hasSuffix(".index.json") {
            throw CheckpointError.unwritableFormat(path: path, reason: "write sharded checkpoints as a folder: an output path without extension with --shard-size")
        }
        if !name.contains(".") { return .huggingFaceFolder }
        throw CheckpointError.unwritableFormat(path: path, reason: "unknown extension '.\(name.split(separator: ".").last ?? "")'")
    }

    private static func readByte(path: String, at offset: UInt64) throws -> UInt8? {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        return try handle.read(upToCount: 1)?.first
    }
}

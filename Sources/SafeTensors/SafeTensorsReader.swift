import WeightStore

/// Reads safetensors files into a lazy `WeightStore`.
public enum SafeTensorsReader {
    /// Memory-maps `path`, parses and validates its header, and returns a store whose
    /// tensors are slices of the map (nothing is copied; tensor bytes are not touched, so a
    /// file of any size is read in the time the header takes).
    ///
    /// Tensors come in header (JSON) order; `__metadata__` becomes `store.metadata`.
    /// - Throws: `SafeTensorsError` naming the file and the problem (see
    ///   `SafeTensorsHeader.parse(bytes:fileSize:path:)` for the checks).
    public static func read(path: String) throws -> WeightStore {
        let file = try map(path)
        let header = try SafeTensorsHeader.parse(bytes: file.bytes(0..<file.size), fileSize: file.size, path: path)
        var store = try WeightStore(metadata: header.metadata)
        for entry in header.entries {
            let source = MappedTensorSource(file: file, range: header.fileRange(of: entry))
            do {
                try store.append(Tensor(name: entry.name, dtype: entry.dtype, shape: entry.shape, source: source))
            } catch let error as StoreError {
                // Unreachable after validation; reported rather than trapped all the same.
                throw SafeTensorsError.invalidHeaderDeserialization(path: path, reason: error.description)
            }
        }
        return store
    }

    /// Reads only the header of `path` (the data is mapped but never touched).
    public static func readHeader(path: String) throws -> SafeTensorsHeader {
        let file = try map(path)
        return try SafeTensorsHeader.parse(bytes: file.bytes(0..<file.size), fileSize: file.size, path: path)
    }

    private static func map(_ path: String) throws -> MappedFile {
        do {
            return try MappedFile(path: path)
        } catch let StoreError.io(_, message) {
            throw SafeTensorsError.io(path: path, message: "cannot read: \(message)")
        }
    }
}

import Foundation
import HDF5Kit
import WeightStore

/// Writes a `WeightStore` in Transfuse's canonical HDF5 layout (Schemas/HDF5-LAYOUT.md).
public enum HDF5CheckpointWriter {
    /// Layout version written to `transfuse_layout_version`.
    public static let layoutVersion = 1
    /// Large tensors are written in slices of about this many bytes (outer rows), so that
    /// progress is reported during a multi-gigabyte tensor.
    static let sliceBytes = 64 << 20

    /// Writes `store` to `path` (created or truncated; wrap the call in `AtomicOutput` to
    /// write a temporary file and rename it).
    ///
    /// Tensors are streamed one by one: each source is read once, written, then
    /// `release()`d. Without compression datasets are contiguous and written straight from
    /// the source's bytes; with `compress`, non-empty non-scalar tensors are chunked (about
    /// 1 MiB per chunk) with the shuffle and gzip level 4 filters.
    /// - Parameters:
    ///   - progress: called with `(bytesDone, bytesTotal)` of tensor data after each slice.
    /// - Throws: `HDF5CheckpointError` — `.unsupportedDType` (F4, F6 types; nothing is
    ///   written), `.nulInString` (config text with a NUL), `.hdf5` for I/O failures.
    public static func write(_ store: WeightStore, to path: String, compress: Bool = false,
                             progress: ((Int, Int) -> Void)? = nil) throws {
        for tensor in store.tensors where DTypeStorage(tensor.dtype) == nil {
            throw HDF5CheckpointError.unsupportedDType(path: path, tensor: tensor.name, dtype: tensor.dtype)
        }
        if let config = store.configJSON, config.utf8.contains(0) {
            throw HDF5CheckpointError.nulInString(path: path, what: "the config JSON")
        }
        do {
            try writeFile(store, path: path, compress: compress, progress: progress)
        } catch let error as HDF5Error {
            throw HDF5CheckpointError.hdf5(error)
        }
    }

    private static func writeFile(_ store: WeightStore, path: String, compress: Bool,
                                  progress: ((Int, Int) -> Void)?) throws {
        let file = try HDF5File.create(path, trackCreationOrder: true)
        let root = try file.root()
        try root.writeInt(layoutVersion, attribute: "transfuse_layout_version")
        try root.writeString(try JSONText.encode(store.names), attribute: "transfuse_tensor_order")
        try root.writeString(try JSONText.encode(store.metadata), attribute: "transfuse_metadata")
        if let config = store.configJSON {
            try root.writeString(config, attribute: "transfuse_config")
        }

        let options = compress ? HDF5DatasetOptions.compressed : HDF5DatasetOptions()
        let total = store.byteCount
        var done = 0
        progress?(0, total)
        var groups: [[String]: HDF5Group] = [[]: root]
        for (tensor, components) in zip(store.tensors, CanonicalPaths.assign(store.names)) {
            let parent = try group(Array(components.dropLast()), in: &groups)
            guard let type = try DTypeStorage.datatype(for: tensor.dtype) else {
                throw HDF5CheckpointError.unsupportedDType(path: path, tensor: tensor.name, dtype: tensor.dtype)
            }
            let dataset = try parent.createDataset(components[components.count - 1], type: type,
                                                   shape: tensor.shape, options: options)
            try dataset.writeString(tensor.dtype.rawValue, attribute: "dtype")
            try tensor.source.withBytes { bytes in
                try writeSlices(bytes, of: tensor, to: dataset, type: type) { written in
                    progress?(done + written, total)
                }
            }
            tensor.source.release()
            done += tensor.byteCount
        }
        groups.removeAll()
        try file.flush()
    }

    /// The group at `components`, created (with its parents) on first use.
    private static func group(_ components: [String], in groups: inout [[String]: HDF5Group]) throws -> HDF5Group {
        if let existing = groups[components] { return existing }
        let parent = try group(Array(components.dropLast()), in: &groups)
        let created = try parent.createGroup(components[components.count - 1], trackCreationOrder: true)
        groups[components] = created
        return created
    }

    /// Writes `bytes` whole, or in slices of outer rows when larger than `sliceBytes`,
    /// calling `written` with the bytes written so far.
    private static func writeSlices(_ bytes: UnsafeRawBufferPointer, of tensor: Tensor, to dataset: HDF5Dataset,
                                    type: HDF5Datatype, written: (Int) -> Void) throws {
        guard bytes.count > sliceBytes, let outer = tensor.shape.first, outer > 1 else {
            try dataset.write(bytes, memoryType: type)
            written(bytes.count)
            return
        }
        let rowBytes = bytes.count / outer
        let rowsPerSlice = max(1, sliceBytes / rowBytes)
        var row = 0
        while row < outer {
            let end = min(outer, row + rowsPerSlice)
            let slice = UnsafeRawBufferPointer(rebasing: bytes[(row * rowBytes)..<(end * rowBytes)])
            try dataset.write(slice, memoryType: type, rows: row..<end)
            written(end * rowBytes)
            row = end
        }
    }
}

/// JSON text for the string attributes of the layout: sorted keys, `/` unescaped.
enum JSONText {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) -> T? {
        try? JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

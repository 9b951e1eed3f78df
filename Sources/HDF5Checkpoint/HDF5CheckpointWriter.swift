import Foundation
#if canImport(Glibc)
import Glibc
#endif
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
    /// `release()`d. Without compression datasets are contiguous. A tensor whose source has a
    /// `fileExtent` (a mapped safetensors file, a contiguous HDF5 dataset) is copied file to
    /// file: its dataset's space is allocated when it is created, HDF5 writes no data there,
    /// and once HDF5 has closed the file the bytes are copied into that range
    /// (`copy_file_range`). Other tensors are written through HDF5 from the source's bytes.
    /// With `compress`, non-empty non-scalar tensors are chunked (about 1 MiB per chunk) with
    /// the shuffle and gzip level 4 filters.
    /// - Parameters:
    ///   - progress: called with `(bytesDone, bytesTotal)` of tensor data after each slice.
    /// - Throws: `HDF5CheckpointError` — `.unsupportedDType` (F4, F6 types; nothing is
    ///   written), `.nulInString` (config text with a NUL), `.hdf5` / `.io` for I/O failures
    ///   (the file is then incomplete: callers write through `AtomicOutput`).
    public static func write(_ store: WeightStore, to path: String, compress: Bool = false,
                             progress: ((Int, Int) -> Void)? = nil) throws {
        _ = try writeReporting(store, to: path, compress: compress, progress: progress)
    }

    /// How `write` moved the tensor bytes (what tests check the fast path with).
    struct WriteReport: Equatable {
        /// Tensors copied file to file from their source's `fileExtent`.
        var copiedFromFiles = 0
        /// Tensors written through HDF5 from memory (`withBytes`).
        var writtenFromMemory = 0
    }

    /// `write`, reporting how each tensor's bytes were moved.
    static func writeReporting(_ store: WeightStore, to path: String, compress: Bool = false,
                               progress: ((Int, Int) -> Void)? = nil) throws -> WriteReport {
        for tensor in store.tensors where DTypeStorage(tensor.dtype) == nil {
            throw HDF5CheckpointError.unsupportedDType(path: path, tensor: tensor.name, dtype: tensor.dtype)
        }
        if let config = store.configJSON, config.utf8.contains(0) {
            throw HDF5CheckpointError.nulInString(path: path, what: "the config JSON")
        }
        let total = store.byteCount
        var done = 0
        progress?(0, total)
        let reporting: (Int) -> Void = { bytes in progress?(bytes, total) }
        let pending: [PendingCopy]
        do {
            let file = try HDF5File.create(path, trackCreationOrder: true)
            pending = try writeDatasets(store, to: file, compress: compress, done: &done, progress: reporting)
            try file.close()
        } catch let error as HDF5Error {
            throw HDF5CheckpointError.hdf5(error)
        }
        let copied = try copy(pending, into: path, done: &done, progress: reporting)
        return WriteReport(copiedFromFiles: copied, writtenFromMemory: store.tensors.count - copied)
    }

    /// A tensor whose dataset space is allocated at `offset` and whose bytes are copied from
    /// `extent` once HDF5 has closed the file.
    private struct PendingCopy {
        let tensor: Tensor
        let extent: FileExtent
        let offset: Int
    }

    /// Creates the attributes, groups and datasets; writes the tensors without a file extent
    /// (or all of them when compressing) and returns the others, whose bytes are still to be
    /// copied. Every HDF5 object but the file is released when it returns.
    private static func writeDatasets(_ store: WeightStore, to file: HDF5File, compress: Bool,
                                      done: inout Int, progress: (Int) -> Void) throws -> [PendingCopy] {
        let path = file.path
        let root = try file.root()
        try root.writeInt(layoutVersion, attribute: "transfuse_layout_version")
        try root.writeString(try JSONText.encode(store.names), attribute: "transfuse_tensor_order")
        try root.writeString(try JSONText.encode(store.metadata), attribute: "transfuse_metadata")
        if let config = store.configJSON {
            try root.writeString(config, attribute: "transfuse_config")
        }

        let options = compress ? HDF5DatasetOptions.compressed : HDF5DatasetOptions()
        var pending: [PendingCopy] = []
        var groups: [[String]: HDF5Group] = [[]: root]
        for (tensor, components) in zip(store.tensors, CanonicalPaths.assign(store.names)) {
            let parent = try group(Array(components.dropLast()), in: &groups)
            guard let type = try DTypeStorage.datatype(for: tensor.dtype) else {
                throw HDF5CheckpointError.unsupportedDType(path: path, tensor: tensor.name, dtype: tensor.dtype)
            }
            let extent = compress ? nil : tensor.source.fileExtent.flatMap { extent in
                extent.count == tensor.byteCount && extent.count > 0 ? extent : nil
            }
            let dataset = try parent.createDataset(components[components.count - 1], type: type, shape: tensor.shape,
                                                   options: extent == nil ? options : HDF5DatasetOptions(allocateEarly: true))
            try dataset.writeString(tensor.dtype.rawValue, attribute: "dtype")
            if let extent, let range = try dataset.rawDataRange(), range.count == extent.count {
                pending.append(PendingCopy(tensor: tensor, extent: extent, offset: range.lowerBound))
                continue
            }
            let before = done
            try tensor.source.withBytes { bytes in
                try writeSlices(bytes, of: tensor, to: dataset, type: type) { written in
                    progress(before + written)
                }
            }
            tensor.source.release()
            done += tensor.byteCount
        }
        return pending
    }

    /// Copies the pending tensors' bytes into the closed HDF5 file at `path`, file to file
    /// where possible, else from the sources' bytes (a source file that is gone or changed).
    /// - Returns: how many tensors were copied file to file.
    private static func copy(_ pending: [PendingCopy], into path: String, done: inout Int,
                             progress: @escaping (Int) -> Void) throws -> Int {
        guard !pending.isEmpty else { return 0 }
        var copiedFromFiles = 0
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw HDF5CheckpointError.io(path: path, tensor: pending[0].tensor.name,
                                         message: "cannot reopen the file: \(String(cString: strerror(errno)))")
        }
        var isOpen = true
        defer { if isOpen { close(descriptor) } }
        for item in pending {
            let before = done
            let report: (Int) -> Void = { written in progress(before + written) }
            do {
                let copied = try item.extent.copy(to: descriptor, at: item.offset, destinationPath: path,
                                                  chunkSize: sliceBytes, progress: report)
                if copied {
                    copiedFromFiles += 1
                } else {
                    try item.tensor.source.withBytes { bytes in
                        try FileExtent.writeAll(bytes, to: descriptor, at: item.offset, path: path, progress: report)
                    }
                }
            } catch StoreError.io(let failedPath, let message) {
                throw HDF5CheckpointError.io(path: path, tensor: item.tensor.name,
                                             message: failedPath == path ? message : "\(failedPath): \(message)")
            }
            item.tensor.source.release()
            done += item.tensor.byteCount
        }
        isOpen = false
        guard close(descriptor) == 0 else {
            throw HDF5CheckpointError.io(path: path, tensor: pending[pending.count - 1].tensor.name,
                                         message: "close failed: \(String(cString: strerror(errno)))")
        }
        return copiedFromFiles
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

import WeightStore

/// Writes a `WeightStore` as one safetensors file.
public enum SafeTensorsWriter {
    /// Writes `store` to exactly `path` (callers wrap this in `AtomicOutput` for
    /// all-or-nothing output).
    ///
    /// Layout (see `SafeTensorsLayout`): data sorted by dtype alignment then name as the
    /// reference writer does, header padded with spaces to a multiple of 8, `__metadata__`
    /// = `{"format": "pt"}` plus the store's metadata (the store's `format` wins). The header
    /// lists tensors in the store's order, so `SafeTensorsReader.read` returns them in that
    /// order again; the Python `safetensors` package reads such files as any other.
    ///
    /// Tensor bytes are streamed: sources whose bytes are a range of a file (`fileExtent`: a
    /// mapped safetensors file, a contiguous uncompressed HDF5 dataset) are copied file to
    /// file (`copy_file_range`), other sources are written in 32 MB `write(2)` calls;
    /// `release()` is called on each source when it is done, so resident memory stays low.
    /// - Parameter progress: called with (tensor bytes written, total tensor bytes).
    /// - Throws: `SafeTensorsError.io` naming `path`.
    public static func write(_ store: WeightStore, to path: String, progress: ((Int, Int) -> Void)? = nil) throws {
        _ = try writeReporting(store, to: path, progress: progress)
    }

    /// How `write` moved the tensor bytes (what tests check the fast path with).
    struct WriteReport: Equatable {
        /// Tensors copied file to file from their `fileExtent`.
        var copiedFromFiles = 0
        /// Tensors written from memory (`withBytes`).
        var writtenFromMemory = 0
    }

    /// `write`, reporting how each tensor's bytes were moved.
    static func writeReporting(_ store: WeightStore, to path: String, progress: ((Int, Int) -> Void)? = nil) throws -> WriteReport {
        var report = WriteReport()
        let layout = SafeTensorsLayout(store: store)
        let output = try OutputFile(creating: path)
        try layout.prefix.withUnsafeBytes { try output.writeAll($0) }
        let total = layout.dataByteCount
        var written = 0
        progress?(0, total)
        for index in layout.dataOrder {
            let tensor = store.tensors[index]
            let before = written
            let tensorProgress: (Int) -> Void = { done in progress?(before + done, total) }
            if try writeBytes(of: tensor, to: output, progress: tensorProgress) {
                report.copiedFromFiles += 1
            } else {
                report.writtenFromMemory += 1
            }
            tensor.source.release()
            written += tensor.byteCount
        }
        try output.finish()
        return report
    }

    /// Streams one tensor's bytes to `output`.
    /// - Returns: true when they were copied from the source's `fileExtent`.
    static func writeBytes(of tensor: Tensor, to output: OutputFile, progress: (Int) -> Void) throws -> Bool {
        if let extent = tensor.source.fileExtent, extent.count == tensor.byteCount, extent.count > 0,
           try output.copy(extent, progress: progress) {
            return true
        }
        do {
            try tensor.withBytes { try output.writeAll($0, progress: progress) }
            return false
        } catch let error as SafeTensorsError {
            throw error
        } catch {
            throw SafeTensorsError.io(path: output.path, message: "cannot read tensor '\(tensor.name)': \(error)")
        }
    }
}

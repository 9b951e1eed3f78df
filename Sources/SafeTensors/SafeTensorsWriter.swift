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
    /// Tensor bytes are streamed: slices of a memory-mapped safetensors file are copied in
    /// the kernel (`copy_file_range`), other sources are written in 32 MB `write(2)` calls;
    /// `release()` is called on each source when it is done, so resident memory stays low.
    /// - Parameter progress: called with (tensor bytes written, total tensor bytes).
    /// - Throws: `SafeTensorsError.io` naming `path`.
    public static func write(_ store: WeightStore, to path: String, progress: ((Int, Int) -> Void)? = nil) throws {
        let layout = SafeTensorsLayout(store: store)
        let output = try OutputFile(creating: path)
        try layout.prefix.withUnsafeBytes { try output.writeAll($0) }
        let total = layout.dataByteCount
        var written = 0
        progress?(0, total)
        for index in layout.dataOrder {
            let tensor = store.tensors[index]
            let before = written
            let report: (Int) -> Void = { done in progress?(before + done, total) }
            try writeBytes(of: tensor, to: output, progress: report)
            tensor.source.release()
            written += tensor.byteCount
        }
        try output.finish()
    }

    /// Streams one tensor's bytes to `output`.
    static func writeBytes(of tensor: Tensor, to output: OutputFile, progress: (Int) -> Void) throws {
        if let mapped = tensor.source as? MappedTensorSource, mapped.range.count > 0,
           try output.copy(from: mapped.file.path, expectedSize: mapped.file.size, range: mapped.range, progress: progress) {
            return
        }
        do {
            try tensor.withBytes { try output.writeAll($0, progress: progress) }
        } catch let error as SafeTensorsError {
            throw error
        } catch {
            throw SafeTensorsError.io(path: output.path, message: "cannot read tensor '\(tensor.name)': \(error)")
        }
    }
}

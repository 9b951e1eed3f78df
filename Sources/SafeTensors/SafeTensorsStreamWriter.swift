import WeightStore

/// Writes one safetensors file whose tensors arrive one at a time, in any order, so that a
/// producer (a fusion, layer by layer) never holds the whole model in memory.
///
/// The header is written first from a *template* store that gives every tensor's name, dtype,
/// shape and order and the metadata (its sources are never read); the file then has the
/// same layout as `SafeTensorsWriter.write(template)` would give it, and each tensor's bytes
/// go to their place (`pwrite`, or `copy_file_range` for sources that are a range of a file)
/// as soon as `write` receives it. When every tensor has been written, the file is byte for
/// byte what `SafeTensorsWriter` writes for a store with the same tensors.
///
/// Not atomic by itself: callers write to a temporary path (`AtomicOutput`) and rename it
/// after `finish()`.
public final class SafeTensorsStreamWriter {
    public let path: String
    private let output: OutputFile
    /// The template's tensors (name, dtype, shape; its sources are not kept) and where each
    /// one's bytes go (absolute file offsets), indexed alike.
    private let expected: [(name: String, dtype: DType, shape: [Int])]
    private let ranges: [Range<Int>]
    private let indexByName: [String: Int]
    private var written: [Bool]
    /// Tensors not written yet.
    public private(set) var remaining: Int

    /// Creates (or truncates) `path`, writes the header describing `template` and sizes the
    /// file to its final length.
    /// - Throws: `SafeTensorsError.io` naming `path`.
    public init(path: String, template: WeightStore) throws {
        self.path = path
        let layout = SafeTensorsLayout(store: template)
        let output = try OutputFile(creating: path)
        try layout.prefix.withUnsafeBytes { try output.writeAll($0) }
        try output.resize(to: layout.prefix.count + layout.dataByteCount)
        let start = layout.prefix.count
        self.output = output
        expected = template.tensors.map { ($0.name, $0.dtype, $0.shape) }
        ranges = layout.offsets.map { (start + $0.lowerBound)..<(start + $0.upperBound) }
        indexByName = Dictionary(template.names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        written = Array(repeating: false, count: template.count)
        remaining = template.count
    }

    /// Writes `tensor`'s bytes to their place. Nothing is written when reading the source
    /// fails: errors of `tensor.source` are rethrown unchanged (so a producer can tell "not
    /// ready yet" from a failure), and the tensor can be written again later.
    /// - Throws: `SafeTensorsError.streamMismatch` for a name the header does not list, another
    ///   dtype or shape, or a second write; `SafeTensorsError.io` naming the file.
    public func write(_ tensor: Tensor) throws {
        guard let index = indexByName[tensor.name] else {
            throw SafeTensorsError.streamMismatch(path: path, tensor: tensor.name, reason: "the file's header does not list it")
        }
        let slot = expected[index], range = ranges[index]
        guard tensor.dtype == slot.dtype, tensor.shape == slot.shape, tensor.byteCount == range.count else {
            throw SafeTensorsError.streamMismatch(path: path, tensor: tensor.name,
                                                  reason: "the header says \(slot.dtype) \(Shape.describe(slot.shape)), got \(tensor.dtype) \(Shape.describe(tensor.shape))")
        }
        guard !written[index] else {
            throw SafeTensorsError.streamMismatch(path: path, tensor: tensor.name, reason: "written twice")
        }
        if let extent = tensor.source.fileExtent, extent.count == range.count, extent.count > 0,
           try output.copy(extent, at: range.lowerBound) {
            // Copied file to file.
        } else {
            try tensor.withBytes { try output.writeAll($0, at: range.lowerBound) }
        }
        tensor.source.release()
        written[index] = true
        remaining -= 1
    }

    /// Checks that every tensor of the header was written and closes the file.
    /// - Throws: `SafeTensorsError.streamMismatch` naming the first missing tensor,
    ///   `SafeTensorsError.io` for a failed close.
    public func finish() throws {
        if let first = written.firstIndex(of: false) {
            throw SafeTensorsError.streamMismatch(path: path, tensor: expected[first].name,
                                                  reason: "never written (\(remaining) of \(expected.count) tensors missing); the file is incomplete")
        }
        try output.finish()
    }
}

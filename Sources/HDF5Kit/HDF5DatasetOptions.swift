/// How a new dataset is stored: contiguous and uncompressed by default (fastest to write
/// and read, streamed straight from the caller's buffer), or chunked with the shuffle and
/// deflate (gzip) filters.
public struct HDF5DatasetOptions: Sendable, Equatable {
    /// Deflate level 0…9, or nil for no compression (contiguous layout).
    public var deflateLevel: Int?
    /// Apply the byte-shuffle filter before deflate (helps float data compress).
    public var shuffle: Bool
    /// Target bytes per chunk when compressing.
    public var chunkBytes: Int
    /// Uncompressed datasets only: allocate the file space when the dataset is created
    /// (`H5D_ALLOC_TIME_EARLY`) so that `HDF5Dataset.rawDataRange()` is known at once, for a
    /// caller that writes the bytes into the file itself after closing it. HDF5 never writes
    /// fill values (`H5D_FILL_TIME_NEVER`, as for every dataset created here), so the space
    /// holds whatever the file had there until then.
    public var allocateEarly: Bool

    public init(deflateLevel: Int? = nil, shuffle: Bool = true, chunkBytes: Int = 1 << 20, allocateEarly: Bool = false) {
        self.deflateLevel = deflateLevel.map { min(9, max(0, $0)) }
        self.shuffle = shuffle
        self.chunkBytes = max(1, chunkBytes)
        self.allocateEarly = allocateEarly
    }

    /// gzip level 4 (h5py's default) with shuffle.
    public static let compressed = HDF5DatasetOptions(deflateLevel: 4)

    /// The chunk shape for `shape`: whole inner rows where possible, about `targetBytes`
    /// per chunk. The outermost dimensions are cut first, so each chunk is one contiguous
    /// run of the row-major data when the inner rows fit; when a single row is larger than
    /// the target, the next dimension is cut too. Nil for scalars and zero-size shapes,
    /// which HDF5 cannot chunk.
    /// - Invariant: every chunk dimension is in `1...shape[d]`, and the chunk holds at most
    ///   `max(targetBytes, elementSize)` bytes.
    public static func chunkShape(for shape: [Int], elementSize: Int, targetBytes: Int) -> [Int]? {
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }), elementSize > 0 else { return nil }
        var chunk = shape
        // Bytes of one index of dimension d: elementSize × product of the chunk's inner dims.
        func innerBytes(_ d: Int) -> Int {
            chunk[(d + 1)...].reduce(elementSize) { partial, dim in
                let (next, overflow) = partial.multipliedReportingOverflow(by: dim)
                return overflow ? Int.max : next
            }
        }
        for d in shape.indices {
            let inner = innerBytes(d)
            let (total, overflow) = inner.multipliedReportingOverflow(by: chunk[d])
            if !overflow && total <= targetBytes { break }
            if inner > targetBytes {
                chunk[d] = 1
                continue
            }
            chunk[d] = max(1, min(shape[d], targetBytes / inner))
            break
        }
        return chunk
    }
}

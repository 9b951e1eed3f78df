import WeightStore

/// The parsed, fully validated header of a safetensors file.
///
/// File layout: bytes 0..<8 hold the header length N (u64 little-endian), bytes 8..<8+N the
/// UTF-8 JSON header, and the tensor data follows from `dataStart` to the end of the file.
/// Invariants after `parse`: tensor names are unique; `entries` are in header (JSON) order;
/// sorted by offset the entries tile `0..<dataByteCount` with no gap or overlap; each
/// entry's byte count equals its shape's element count × dtype width; and
/// `dataStart + dataByteCount` equals the file size.
public struct SafeTensorsHeader: Sendable, Equatable {
    /// One tensor as the header describes it.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var dtype: DType
        /// Row-major shape, `[]` for a scalar; dimensions may be 0.
        public var shape: [Int]
        /// Byte range relative to `dataStart` (`data_offsets`, end exclusive).
        public var dataOffsets: Range<Int>

        public init(name: String, dtype: DType, shape: [Int], dataOffsets: Range<Int>) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.dataOffsets = dataOffsets
        }
    }

    /// The tensors in the order the header JSON lists them.
    public var entries: [Entry]
    /// The `__metadata__` map (empty when absent or `null`).
    public var metadata: [String: String]
    /// N, the length of the JSON header in bytes (padding included).
    public var headerLength: Int

    public init(entries: [Entry], metadata: [String: String], headerLength: Int) {
        self.entries = entries
        self.metadata = metadata
        self.headerLength = headerLength
    }

    /// Offset of the first data byte in the file: 8 + N.
    public var dataStart: Int { 8 + headerLength }

    /// Bytes of tensor data (the sum of the entries' byte counts).
    public var dataByteCount: Int { entries.reduce(0) { $0 + $1.dataOffsets.count } }

    /// The absolute byte range of `entry` in the file.
    public func fileRange(of entry: Entry) -> Range<Int> {
        (dataStart + entry.dataOffsets.lowerBound)..<(dataStart + entry.dataOffsets.upperBound)
    }

    /// The largest header length the reference reader accepts (100,000,000 bytes).
    public static let maximumHeaderLength: UInt64 = 100_000_000
}

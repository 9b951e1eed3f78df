import WeightStore

/// Where a writer puts each tensor of a store, and the header bytes that describe it.
///
/// Data layout follows the reference writer byte for byte: tensors sorted by dtype, in
/// descending order of the reference's `Dtype` declaration (`referenceRank`: by element
/// size, so alignment comes first), then by name (byte-wise UTF-8, as Rust compares
/// strings), packed without gaps; the header is padded with spaces so that N, and so the data start 8 + N, is a
/// multiple of 8 — every tensor is then aligned to its element size.
///
/// The header JSON, however, lists the tensors in the store's order (offsets say where each
/// one lives), so reading the file back yields the store's order: round trips keep names,
/// order, dtypes, shapes, bytes and metadata. Readers do not depend on key order (the
/// reference parses the header into a map), so such files are ordinary safetensors files.
struct SafeTensorsLayout {
    /// Indices into `store.tensors` in data order.
    let dataOrder: [Int]
    /// Data offsets (relative to the data start) of each tensor, indexed like `store.tensors`.
    let offsets: [Range<Int>]
    /// The 8-byte length followed by the padded JSON header.
    let prefix: [UInt8]
    /// Bytes of tensor data.
    let dataByteCount: Int

    /// Lays out `store`, writing `__metadata__` = `{"format": "pt"}` merged with the store's
    /// metadata (the store's own `format`, if any, wins). O(n log n) in the tensor count.
    init(store: WeightStore) {
        let tensors = store.tensors
        dataOrder = tensors.indices.sorted { a, b in
            let left = tensors[a], right = tensors[b]
            let leftRank = Self.referenceRank(left.dtype), rightRank = Self.referenceRank(right.dtype)
            if leftRank != rightRank { return leftRank > rightRank }
            return left.name.utf8.lexicographicallyPrecedes(right.name.utf8)
        }
        var offsets = [Range<Int>](repeating: 0..<0, count: tensors.count)
        var position = 0
        for index in dataOrder {
            offsets[index] = position..<(position + tensors[index].byteCount)
            position += tensors[index].byteCount
        }
        self.offsets = offsets
        dataByteCount = position

        var json: [UInt8] = []
        json.reserveCapacity(64 + tensors.count * 96)
        json.append(contentsOf: Array(#"{"__metadata__":{"#.utf8))
        var metadata = store.metadata
        if metadata["format"] == nil { metadata["format"] = "pt" }
        let keys = metadata.keys.sorted { a, b in
            if (a == "format") != (b == "format") { return a == "format" }
            return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
        for (i, key) in keys.enumerated() {
            if i > 0 { json.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(key, to: &json)
            json.append(UInt8(ascii: ":"))
            JSONText.appendQuoted(metadata[key] ?? "", to: &json)
        }
        json.append(UInt8(ascii: "}"))
        for (index, tensor) in tensors.enumerated() {
            json.append(UInt8(ascii: ","))
            JSONText.appendQuoted(tensor.name, to: &json)
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            let range = offsets[index]
            json.append(contentsOf: Array(#":{"dtype":"\#(tensor.dtype.rawValue)","shape":[\#(shape)],"data_offsets":[\#(range.lowerBound),\#(range.upperBound)]}"#.utf8))
        }
        json.append(UInt8(ascii: "}"))
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))

        var prefix = [UInt8]()
        prefix.reserveCapacity(8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { prefix.append(contentsOf: $0) }
        prefix.append(contentsOf: json)
        self.prefix = prefix
    }

    /// The position of `dtype` in the reference's `Dtype` enum (huggingface/safetensors),
    /// whose derived order its writer sorts by, largest first. Ordered by element size, so
    /// sorting by it descending also sorts by alignment descending.
    static func referenceRank(_ dtype: DType) -> Int {
        switch dtype {
        case .bool: return 0
        case .f4: return 1
        case .f6E2M3: return 2
        case .f6E3M2: return 3
        case .u8: return 4
        case .i8: return 5
        case .f8E5M2: return 6
        case .f8E4M3: return 7
        case .f8E8M0: return 8
        case .f8E4M3FNUZ: return 9
        case .f8E5M2FNUZ: return 10
        case .i16: return 11
        case .u16: return 12
        case .f16: return 13
        case .bf16: return 14
        case .i32: return 15
        case .u32: return 16
        case .f32: return 17
        case .c64: return 18
        case .f64: return 19
        case .i64: return 20
        case .u64: return 21
        }
    }
}

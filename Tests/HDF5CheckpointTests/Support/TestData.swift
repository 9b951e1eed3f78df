import TestSupport
import Foundation
import WeightStore

/// Deterministic test data, so failures reproduce.
extension SplitMix64 {
    /// `count` random bytes; for BOOL only 0 and 1.
    mutating func bytes(_ count: Int, dtype: DType) -> Data {
        var data = Data(count: count)
        let mask: UInt8 = dtype == .bool ? 1 : 0xFF
        data.withUnsafeMutableBytes { (raw: UnsafeMutableRawBufferPointer) in
            var index = 0
            while index < count {
                var word = next()
                for _ in 0..<min(8, count - index) {
                    raw[index] = UInt8(truncatingIfNeeded: word) & mask
                    word >>= 8
                    index += 1
                }
            }
        }
        return data
    }
}

enum TestStores {
    /// A tensor of `dtype` and `shape` filled with random bytes.
    static func tensor(_ name: String, _ dtype: DType, _ shape: [Int], _ random: inout SplitMix64) throws -> Tensor {
        let count = dtype.byteCount(elements: Shape.elementCount(shape)!)!
        return try Tensor(name: name, dtype: dtype, shape: shape, bytes: random.bytes(count, dtype: dtype))
    }

    /// Every storable dtype, empty and scalar tensors, odd names, metadata and a config.
    static func everything() throws -> WeightStore {
        var random = SplitMix64(seed: 42)
        let dtypes: [DType] = [.f64, .f32, .f16, .bf16, .i64, .i32, .i16, .i8, .u8, .u16, .u32, .u64, .bool, .c64,
                               .f8E4M3, .f8E5M2]
        var tensors: [Tensor] = []
        for (index, dtype) in dtypes.enumerated() {
            tensors.append(try tensor("model.layer.\(index).\(dtype.rawValue.lowercased())", dtype, [3, 5], &random))
            tensors.append(try tensor("scalars.\(dtype.rawValue)", dtype, [], &random))
            tensors.append(try tensor("empty.\(dtype.rawValue)", dtype, [0, 4], &random))
        }
        let odd: [String] = ["a.b", "a.b.c", "x.y.z", "x.y", "path/with/slashes", "double..dot", ".leading",
                             "trailing.", "", ".", "..", "ünïcødé.名前.weight", "__escaped__.clash", "__escaped__",
                             "100%", "%2E", "tab\there", "nul\u{0}byte", "emoji.🙂", "space name.w"]
        for name in odd {
            tensors.append(try tensor(name, .f32, [2], &random))
        }
        tensors.append(try tensor("big.rank4", .f32, [2, 3, 4, 5], &random))
        let config = "{\n  \"model_type\": \"vit\",\n  \"hidden_size\": 4,\n  \"name\": \"ü/ß\"\n}\n"
        return try WeightStore(tensors: tensors, metadata: ["format": "pt", "source": "tests/ünïcødé", "empty": "",
                                                           "quote\"key": "line\nbreak"], configJSON: config)
    }
}

import Foundation

extension Tensor {
    /// The elements as `Double`, row-major, for every integer and float dtype Transfuse
    /// computes with (BOOL as 0/1). Exact for all of them except U64/I64 beyond 2⁵³.
    /// - Throws: `StoreError.notFloatingPoint` for complex, 8-bit float and sub-byte dtypes.
    public func doubles() throws -> [Double] {
        let count = elementCount
        return try withBytes { raw -> [Double] in
            func load<T>(_ type: T.Type, _ convert: (T) -> Double) -> [Double] {
                let stride = MemoryLayout<T>.size
                return (0..<count).map { convert(raw.loadUnaligned(fromByteOffset: $0 * stride, as: T.self)) }
            }
            switch dtype {
            case .f64: return load(Double.self) { $0 }
            case .f32: return widenFloat32(raw, count: count)
            case .f16: return load(UInt16.self) { Double(HalfPrecision.float(float16Bits: $0)) }
            case .bf16: return load(UInt16.self) { Double(HalfPrecision.float(bfloat16Bits: $0)) }
            case .i64: return load(Int64.self) { Double($0) }
            case .i32: return load(Int32.self) { Double($0) }
            case .i16: return load(Int16.self) { Double($0) }
            case .i8: return load(Int8.self) { Double($0) }
            case .u64: return load(UInt64.self) { Double($0) }
            case .u32: return load(UInt32.self) { Double($0) }
            case .u16: return load(UInt16.self) { Double($0) }
            case .u8: return load(UInt8.self) { Double($0) }
            case .bool: return load(UInt8.self) { $0 == 0 ? 0 : 1 }
            default: throw StoreError.notFloatingPoint(tensor: name, dtype: dtype)
            }
        }
    }

    /// `count` little-endian F32 values from `raw` (any alignment) widened to `Double`, eight
    /// at a time (the fusion widens every weight of two models this way).
    private func widenFloat32(_ raw: UnsafeRawBufferPointer, count: Int) -> [Double] {
        guard count > 0, let base = raw.baseAddress else { return [] }  // an empty mapped tensor has no base address
        return FloatConversion.convert(base, count: count, from: Float.self, to: Double.self)
    }
}

import Foundation

// MARK: - Reading and writing float values, and casting between float dtypes

extension Tensor {
    /// The elements as `Float`, row-major. F64 values are rounded to the nearest float.
    /// - Throws: `StoreError.notFloatingPoint` for integer or exotic dtypes.
    public func floats() throws -> [Float] {
        let count = elementCount
        return try withBytes { raw -> [Float] in
            switch dtype {
            case .f32:
                guard count > 0 else { return [] }  // an empty mapped tensor has no base address
                return [Float](unsafeUninitializedCapacity: count) { out, n in
                    memcpy(out.baseAddress!, raw.baseAddress!, count * 4); n = count
                }
            case .f64:
                return (0..<count).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Float64.self)) }
            case .f16:
                return (0..<count).map { HalfPrecision.float(float16Bits: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
            case .bf16:
                return (0..<count).map { HalfPrecision.float(bfloat16Bits: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
            default:
                throw StoreError.notFloatingPoint(tensor: name, dtype: dtype)
            }
        }
    }

    /// A tensor of `dtype` holding `values` (row-major), rounded to nearest even when narrowing.
    /// - Precondition: `values.count` equals the element count of `shape`.
    public static func fromFloats(name: String, shape: [Int], values: [Float], dtype: DType = .f32) throws -> Tensor {
        guard Shape.elementCount(shape) == values.count else {
            throw StoreError.byteCountMismatch(tensor: name, dtype: dtype, shape: shape,
                                               expected: dtype.byteCount(elements: Shape.elementCount(shape) ?? 0),
                                               found: dtype.byteCount(elements: values.count) ?? 0)
        }
        let data: Data
        switch dtype {
        case .f32:
            data = values.withUnsafeBytes { Data($0) }
        case .f64:
            data = values.map(Double.init).withUnsafeBytes { Data($0) }
        case .f16:
            data = values.map(HalfPrecision.float16Bits).withUnsafeBytes { Data($0) }
        case .bf16:
            data = values.map(HalfPrecision.bfloat16Bits).withUnsafeBytes { Data($0) }
        default:
            throw StoreError.notFloatingPoint(tensor: name, dtype: dtype)
        }
        return try Tensor(name: name, dtype: dtype, shape: shape, bytes: data)
    }

    /// The tensor cast to `target` when both are float types; any other tensor is returned
    /// unchanged (so `convert --dtype` touches float tensors only). Same-dtype casts are free.
    /// F64 → F32 and F32 → F16/BF16 round to nearest even; F64 → F16/BF16 goes through F32.
    public func castingFloat(to target: DType) throws -> Tensor {
        guard target.isFloatingPoint else {
            throw StoreError.unsupportedCast(tensor: name, from: dtype, to: target)
        }
        guard dtype.isFloatingPoint, dtype != target else { return self }
        if target == .f64 {
            let doubles: [Double] = try dtype == .f64 ? [] : floats().map(Double.init)
            return try Tensor(name: name, dtype: .f64, shape: shape, bytes: doubles.withUnsafeBytes { Data($0) })
        }
        return try Tensor.fromFloats(name: name, shape: shape, values: floats(), dtype: target)
    }
}

// MARK: - Lazy casting

extension Tensor {
    /// Like `castingFloat(to:)`, but the cast happens when the bytes are read, one tensor at a
    /// time, so converting a large checkpoint never holds more than one cast tensor in memory.
    public func lazilyCastingFloat(to target: DType) throws -> Tensor {
        guard target.isFloatingPoint else {
            throw StoreError.unsupportedCast(tensor: name, from: dtype, to: target)
        }
        guard dtype.isFloatingPoint, dtype != target,
              let bytes = target.byteCount(elements: elementCount) else { return self }
        return try Tensor(name: name, dtype: target, shape: shape,
                          source: CastTensorSource(base: self, target: target, byteCount: bytes))
    }
}

/// Bytes of `base` cast to `target`, computed on each read (nothing cached).
final class CastTensorSource: TensorSource, @unchecked Sendable {
    let base: Tensor
    let target: DType
    let byteCount: Int

    init(base: Tensor, target: DType, byteCount: Int) {
        self.base = base
        self.target = target
        self.byteCount = byteCount
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let cast = try base.castingFloat(to: target)
        base.source.release()
        return try cast.withBytes(body)
    }

    func release() { base.source.release() }
}

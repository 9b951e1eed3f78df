/// Finding non-finite values (NaN, ±∞) without copying a tensor out of its file.
extension Tensor {
    /// The first element that is NaN or infinite, in row-major order, widened to `Float`; `nil`
    /// when all are finite. `F32` data is scanned where it lies (mapped pages included) by its
    /// exponent bits, 64 bytes at a time; other floating-point types go through ``floats()``.
    /// - Throws: ``StoreError/notFloatingPoint(tensor:dtype:)`` for integer and boolean tensors,
    ///   or the source's read error.
    public func firstNonFinite() throws -> (index: Int, value: Float)? {
        guard dtype == .f32 else {
            let values = try floats()
            return values.firstIndex { !$0.isFinite }.map { ($0, values[$0]) }
        }
        let count = elementCount
        guard count > 0 else { return nil }
        return try withBytes { raw -> (index: Int, value: Float)? in
            let exponent: UInt32 = 0x7F80_0000
            let wide = SIMD16<UInt32>(repeating: exponent)
            var k = 0
            while k + 16 <= count {
                let words = raw.loadUnaligned(fromByteOffset: k * 4, as: SIMD16<UInt32>.self)
                if any((words & wide) .== wide) { break }
                k += 16
            }
            while k < count {
                let bits = raw.loadUnaligned(fromByteOffset: k * 4, as: UInt32.self)
                if bits & exponent == exponent { return (k, Float(bitPattern: bits)) }
                k += 1
            }
            return nil
        }
    }
}

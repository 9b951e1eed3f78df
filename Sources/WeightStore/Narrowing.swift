extension Array where Element == Double {
    /// Every value rounded to `Float` (to nearest, exactly as `Float(_:)`), eight at a time:
    /// how aligned and averaged weights return to the output's precision.
    public func narrowedToFloat() -> [Float] {
        withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return [] }
            return FloatConversion.convert(UnsafeRawPointer(base), count: p.count, from: Double.self, to: Float.self)
        }
    }
}

/// Conversion between floating-point formats eight values at a time.
enum FloatConversion {
    /// `count` values of `Source` stored at `raw` (any alignment) converted to `Target`, each
    /// exactly as `Target(_:)` converts one (rounding to nearest).
    /// - Precondition: `count > 0` (`raw` must be a real address).
    static func convert<Source: BinaryFloatingPoint & SIMDScalar, Target: BinaryFloatingPoint & SIMDScalar>(
        _ raw: UnsafeRawPointer, count: Int, from: Source.Type, to: Target.Type) -> [Target] {
        let sourceStride = MemoryLayout<Source>.stride, targetStride = MemoryLayout<Target>.stride
        return [Target](unsafeUninitializedCapacity: count) { out, initialized in
            let target = UnsafeMutableRawPointer(out.baseAddress!)
            var k = 0
            while k + 8 <= count {
                let v = raw.loadUnaligned(fromByteOffset: k * sourceStride, as: SIMD8<Source>.self)
                target.storeBytes(of: SIMD8<Target>(v), toByteOffset: k * targetStride, as: SIMD8<Target>.self)
                k += 8
            }
            while k < count {
                out[k] = Target(raw.loadUnaligned(fromByteOffset: k * sourceStride, as: Source.self))
                k += 1
            }
            initialized = count
        }
    }
}

import Foundation

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
            // The halves write disjoint ranges of `out`.
            nonisolated(unsafe) let target = UnsafeMutableRawPointer(out.baseAddress!), raw = raw
            // Large tensors in two halves on two cores (each value converts on its own).
            let halves = count >= 1 << 20 && ProcessInfo.processInfo.activeProcessorCount > 1 ? 2 : 1
            let split = (count / 2) & ~7
            DispatchQueue.concurrentPerform(iterations: halves) { half in
                var k = halves == 1 || half == 0 ? 0 : split
                let end = halves == 1 || half == 1 ? count : split
                while k + 8 <= end {
                    let v = raw.loadUnaligned(fromByteOffset: k * sourceStride, as: SIMD8<Source>.self)
                    target.storeBytes(of: SIMD8<Target>(v), toByteOffset: k * targetStride, as: SIMD8<Target>.self)
                    k += 8
                }
                while k < end {
                    target.storeBytes(of: Target(raw.loadUnaligned(fromByteOffset: k * sourceStride, as: Source.self)),
                                      toByteOffset: k * targetStride, as: Target.self)
                    k += 1
                }
            }
            initialized = count
        }
    }
}

import Foundation
import WeightStore

/// The differences between two stores, tensor by tensor, as `transfuse diff` reports them.
///
/// Tensors are matched by name. For a pair with equal dtype and shape, `maxAbs` is
/// `max |a − b|` and `maxRel` is `maxAbs / max(max|a|, max|b|)` (0 when both are all zero):
/// relative to the tensor's magnitude, so one near-zero element cannot dominate. NaNs at the
/// same position count as equal; a NaN against a number counts as an infinite difference.
public struct StoreDiff: Encodable, Sendable {
    /// A tensor present in both stores with a different dtype or shape.
    public struct Mismatch: Encodable, Sendable {
        public let name: String
        public let a: String
        public let b: String
    }

    /// A tensor present in both stores with the same dtype and shape.
    public struct Difference: Encodable, Sendable {
        public let name: String
        /// Nil for dtypes without numeric values (8-bit floats, …): then only bytes are compared.
        public let maxAbs: Double?
        public let maxRel: Double?
        /// Bit-identical bytes.
        public let identical: Bool
        /// Within the tolerance the comparison was made with.
        public let equal: Bool
    }

    public let onlyInA: [String]
    public let onlyInB: [String]
    public let mismatched: [Mismatch]
    public let compared: [Difference]
    public let atol: Double

    /// Both stores hold the same names, dtypes and shapes, and every value agrees within `atol`.
    public var equal: Bool {
        onlyInA.isEmpty && onlyInB.isEmpty && mismatched.isEmpty && compared.allSatisfy(\.equal)
    }

    /// Compares `a` and `b`, reading one tensor pair at a time and releasing its pages after.
    public static func compare(_ a: WeightStore, _ b: WeightStore, atol: Double = 0) throws -> StoreDiff {
        var mismatched: [Mismatch] = []
        var compared: [Difference] = []
        for left in a.tensors {
            guard let right = b[left.name] else { continue }
            guard left.dtype == right.dtype, left.shape == right.shape else {
                mismatched.append(Mismatch(name: left.name, a: "\(left.dtype) \(Shape.describe(left.shape))",
                                           b: "\(right.dtype) \(Shape.describe(right.shape))"))
                continue
            }
            compared.append(try difference(left, right, atol: atol))
            left.source.release()
            right.source.release()
        }
        return StoreDiff(onlyInA: a.names.filter { !b.contains($0) },
                         onlyInB: b.names.filter { !a.contains($0) },
                         mismatched: mismatched, compared: compared, atol: atol)
    }

    static func difference(_ a: Tensor, _ b: Tensor, atol: Double) throws -> Difference {
        let identical = try a.withBytes { left in try b.withBytes { right in left.elementsEqual(right) } }
        if identical {
            return Difference(name: a.name, maxAbs: 0, maxRel: 0, identical: true, equal: true)
        }
        guard let left = try? a.doubles(), let right = try? b.doubles() else {
            return Difference(name: a.name, maxAbs: nil, maxRel: nil, identical: false, equal: false)
        }
        var maxAbs = 0.0
        var scale = 0.0
        for (x, y) in zip(left, right) {
            if x.isNaN || y.isNaN {
                if !(x.isNaN && y.isNaN) { maxAbs = .infinity }
                continue
            }
            let delta = x == y ? 0 : abs(x - y)  // equal infinities differ by 0, not NaN
            maxAbs = max(maxAbs, delta.isNaN ? .infinity : delta)
            scale = max(scale, abs(x), abs(y))
        }
        let maxRel = maxAbs == 0 ? 0 : (scale == 0 || !scale.isFinite ? .infinity : maxAbs / scale)
        return Difference(name: a.name, maxAbs: maxAbs, maxRel: maxRel, identical: false, equal: maxAbs <= atol)
    }
}

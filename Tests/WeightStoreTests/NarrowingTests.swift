import Testing
import TestSupport
import WeightStore

/// `[Double].narrowedToFloat()` (eight at a time) against `Float(_:)`, bit for bit, for every
/// length around the 8-wide blocks and for values that round, overflow, underflow and are NaN.
@Suite struct NarrowingTests {
    static func values(_ count: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { k in
            switch k % 6 {
            case 0: return Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))   // anything, NaN included
            case 1: return Double.random(in: -1e-40..<1e-40, using: &rng)                     // Float subnormals and zero
            case 2: return Double.random(in: -1e39..<1e39, using: &rng)                       // beyond Float's range
            default: return Double.random(in: -4..<4, using: &rng)                            // ordinary weights
            }
        }
    }

    @Test("rounds exactly as Float(_:)", arguments: [0, 1, 7, 8, 9, 16, 23, 64, 1001, (1 << 20) + 13])
    func matchesScalar(count: Int) {
        let v = Self.values(count, seed: UInt64(count) + 11)
        let narrowed = v.narrowedToFloat()
        #expect(narrowed.count == v.count)
        #expect(zip(narrowed, v.map(Float.init)).allSatisfy { x, y in x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN) })
    }
}

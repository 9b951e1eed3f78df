import Testing
import TestSupport
import Transport
@testable import Fusion

/// ``TransportMap/combine(_:)`` merges sparse maps entry by entry; the result must equal the
/// dense combination bit for bit (terms in the parts' order, exact zeros left out) and stay
/// sparse while it is small.
@Suite("Combining transport maps")
struct TransportMapCombineTests {
    /// An `rows × cols` map in reference scaling with about `perRow` entries per row.
    static func map(rows: Int, cols: Int, perRow: Int, rng: inout SplitMix64) -> Matrix {
        var m = Matrix(rows: rows, cols: cols)
        for i in 0..<rows {
            for _ in 0..<perRow { m[i, Int.random(in: 0..<cols, using: &rng)] = Double.random(in: 0.01..<1, using: &rng) }
        }
        return m
    }

    @Test("sparse merge equals the dense combination",
          arguments: [[0.5, 0.5], [0.3, 0.7], [1, -1], [0, 1], [0.25, 0.25, 0.5]])
    func merge(coefficients: [Double]) {
        var rng = SplitMix64(seed: UInt64(coefficients.count * 7 + Int(coefficients[0] * 100)))
        var dense = (0..<coefficients.count).map { _ in Self.map(rows: 80, cols: 60, perRow: 2, rng: &rng) }
        if coefficients == [1, -1] { dense[1] = dense[0] }  // cancels to the zero map
        let parts = zip(coefficients, dense).map { ($0, TransportMap(scaled: $1)) }
        #expect(parts.allSatisfy { $0.1.sparse != nil })
        let merged = TransportMap.combine(parts)
        let expected = Dense.combination(zip(coefficients, dense).map { ($0, $1) })
        #expect(merged.sparse != nil)
        #expect(merged.matrix.storage.map(\.bitPattern) == expected.storage.map(\.bitPattern))
        #expect(merged.sparse?.entries.allSatisfy { $0.value != 0 } == true)
    }

    @Test("a dense part gives the dense combination")
    func denseParts() {
        var rng = SplitMix64(seed: 5)
        let a = Self.map(rows: 12, cols: 12, perRow: 12, rng: &rng), b = Self.map(rows: 12, cols: 12, perRow: 1, rng: &rng)
        let merged = TransportMap.combine([(0.5, TransportMap(scaled: a)), (0.5, TransportMap(scaled: b))])
        #expect(merged.matrix == Dense.combination([(0.5, a), (0.5, b)]))
    }
}

import Testing
import TestSupport
import Transport
@testable import Fusion

/// `W · T` with a sparse map (``Dense/timesMap(_:_:)``) goes through the map column by column for
/// eight rows of `W` at once. Each output entry must still be the sum of its terms in the
/// entries' (row-major) order, bit for bit, whatever the row count, and agree with the dense
/// BLAS product.
@Suite("Sparse map products")
struct SparseMapProductTests {
    /// An `n0 × n1` map with one to four entries per row and some columns left empty.
    static func map(n0: Int, n1: Int, rng: inout SplitMix64) -> [MapOperand.SparseEntry] {
        var entries: [MapOperand.SparseEntry] = []
        for i in 0..<n0 {
            let count = Int.random(in: 1...4, using: &rng)
            let cols = Set((0..<count).map { _ in Int.random(in: 0..<(n1 - 3), using: &rng) }).sorted()
            for j in cols { entries.append(.init(row: i, col: j, value: Double.random(in: 0.01..<1, using: &rng))) }
        }
        return entries
    }

    @Test("W·T equals the entry-order sums bit for bit", arguments: [1, 7, 8, 13, 17, 64])
    func entryOrder(rows: Int) throws {
        var rng = SplitMix64(seed: UInt64(rows))
        let (n0, n1) = (37, 29)
        let entries = Self.map(n0: n0, n1: n1, rng: &rng)
        let w = try Matrix(rows: rows, cols: n0, values: (0..<(rows * n0)).map { _ in Double.random(in: -1..<1, using: &rng) })
        let product = Dense.timesMap(w, .sparse(rows: n0, cols: n1, entries: entries))
        var expected = Matrix(rows: rows, cols: n1)
        for r in 0..<rows {
            for e in entries { expected[r, e.col] += e.value * w[r, e.row] }
        }
        #expect(product.storage.map(\.bitPattern) == expected.storage.map(\.bitPattern))
        let dense = Dense.timesMap(w, .dense(MapOperand.sparse(rows: n0, cols: n1, entries: entries).matrix))
        for k in dense.storage.indices { #expect(abs(dense.storage[k] - product.storage[k]) <= 1e-13) }
    }

    @Test("a map without entries gives zeros")
    func empty() {
        let w = Matrix(rows: 9, cols: 4, repeating: 1)
        #expect(Dense.timesMap(w, .sparse(rows: 4, cols: 3, entries: [])) == Matrix(rows: 9, cols: 3))
    }
}

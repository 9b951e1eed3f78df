import Foundation
import Testing
import TestSupport
@testable import Transport

/// The ground metric's fused passes: row norms summed several rows at a time must equal the
/// plain per-row sums bit for bit, and the summary the Euclidean pass keeps must be the truth.
@Suite("Ground metric passes")
struct GroundMetricPassTests {
    static func random(_ rows: Int, _ cols: Int, seed: UInt64, scale: Double = 1) throws -> Matrix {
        var rng = SplitMix64(seed: seed)
        return try Matrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { _ in scale * Double.random(in: -1..<1, using: &rng) })
    }

    @Test("row norms equal the sequential sums bit for bit", arguments: [(1, 1), (7, 3), (8, 5), (9, 50), (37, 19), (300, 301)])
    func squaredNormsAreSequential(_ shape: (Int, Int)) throws {
        let x = try Self.random(shape.0, shape.1, seed: UInt64(shape.0 * 1000 + shape.1))
        let expected = (0..<x.rows).map { i in
            var s = 0.0
            for j in 0..<x.cols { s += x[i, j] * x[i, j] }
            return s
        }
        #expect(GroundMetric.squaredNorms(x).map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test("unit-norm rows scaled in one pass equal the row-by-row scaling, and their norms its squaredNorms, bit for bit",
          arguments: [(1, 1), (7, 3), (9, 50), (37, 19), (300, 301)])
    func scaledRowsInOnePass(_ shape: (Int, Int)) throws {
        let x = try Self.random(shape.0, shape.1, seed: UInt64(shape.0 * 77 + shape.1))
        let metric = GroundMetric(preprocessing: .unitNorm)
        let (scaled, norms) = metric.preprocess(x)
        var expected = x
        for (i, norm) in GroundMetric.squaredNorms(x).enumerated() {
            let scale = 1 / (norm.squareRoot() + 1e-9)
            for j in 0..<x.cols { expected[i, j] = x[i, j] * scale }
        }
        #expect(scaled.storage.map(\.bitPattern) == expected.storage.map(\.bitPattern))
        #expect(norms?.map(\.bitPattern) == GroundMetric.squaredNorms(expected).map(\.bitPattern))
    }

    @Test("the Euclidean pass reports the true maximum and that every entry is finite and >= 0")
    func summaryIsTrue() throws {
        let x = try Self.random(300, 20, seed: 1), y = try Self.random(260, 20, seed: 2)
        for squared in [false, true] {
            let (c, summary) = GroundMetric.euclidean(x, y, squared: squared)
            #expect(summary.finiteNonNegative)
            #expect(summary.maximum == c.storage.max())
        }
        // Features so large that their squared norms overflow: the summary must say so.
        let big = try Self.random(300, 20, seed: 3, scale: 1e300)
        let (c, summary) = GroundMetric.euclidean(big, y, squared: false)
        #expect(!summary.finiteNonNegative)
        #expect(c.storage.contains { !$0.isFinite })
        #expect(throws: TransportError.self) { try GroundMetric().process(big, y) }
    }
}

import Foundation
import Testing
import TestSupport
@testable import Transport

@Suite("Ground metric against the paper's GroundMetric")
struct GroundMetricTests {
    static let fixtures = FixtureSet.cases(kind: "ground_metric")

    @Test("values equal the reference implementation's to 1e-10 of the largest entry", arguments: fixtures)
    func matchesReference(_ testCase: FixtureSet.Case) throws {
        let set = FixtureSet.shared
        let o = try #require(testCase.options)
        let metric = GroundMetric(type: try #require(GroundMetric.Kind(rawValue: o.type)),
                                  norm: try #require(GroundMetric.Normalization(rawValue: o.norm)),
                                  squared: o.squared, clip: o.clip, clipMin: o.clip_min, clipMax: o.clip_max,
                                  reg: o.reg, preprocessing: try #require(GroundMetric.Preprocessing(rawValue: o.preprocessing)))
        let x = try set.matrix(testCase, "x")
        let y = testCase.arrays["y"] == nil ? nil : try set.matrix(testCase, "y")
        let expected = try set.matrix(testCase, "expected")
        let got = try metric.process(x, y)
        #expect(got.rows == expected.rows && got.cols == expected.cols)
        let scale = max(expected.storage.max() ?? 1, 1e-300)
        #expect(maxAbsDifference(got, expected) <= 1e-10 * scale)
    }

    @Test("a row and its copy are at distance exactly zero (no cancellation error)")
    func exactZeroForCopies() throws {
        var rng = SplitMix64(seed: 17)
        let x = try Matrix(rows: 50, cols: 33, values: (0..<(50 * 33)).map { _ in Double.random(in: -100..<100, using: &rng) })
        let c = try GroundMetric(norm: .none).process(x, x)
        for i in 0..<50 { #expect(c[i, i] == 0) }
    }

    @Test("undefined metrics throw instead of producing NaN")
    func undefined() throws {
        let x = try Matrix([[0, 0], [1, 2]]), y = try Matrix([[1, 1]])
        #expect(throws: TransportError.self) { try GroundMetric(type: .cosine).process(x, y) }
        let same = try Matrix([[1, 2], [1, 2]]), single = try Matrix([[1, 2]])
        #expect(throws: TransportError.self) { try GroundMetric(norm: .max).process(same, single) }  // max = 0
        let wide = try Matrix([[1, 2, 3]])
        #expect(throws: TransportError.self) { try GroundMetric().process(x, wide) }
        let nan = try Matrix([[Double.nan, 1]])
        #expect(throws: TransportError.self) { try GroundMetric().process(nan, y) }
    }
}

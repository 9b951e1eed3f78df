/// Validation of an optimal-transport problem: a cost matrix `C` (`n × m`) and marginals
/// `a` (`n`) and `b` (`m`).
enum Marginals {
    /// Relative tolerance on `|sum(a) − sum(b)|`, the same order as POT's check (6 decimals).
    static let massTolerance = 1e-6

    /// Checks `cost` (non-empty, finite, non-negative) and returns the marginals, uniform
    /// (`1/n`, `1/m`) where not given. Like POT, `b` is rescaled to carry exactly `sum(a)`.
    /// `checkCost: false` skips the entries (not the emptiness) of a cost already checked.
    /// - Throws: ``TransportError`` naming the offending entry.
    static func validate(cost: Matrix, a: [Double]?, b: [Double]?, checkCost: Bool = true) throws -> (a: [Double], b: [Double]) {
        if checkCost {
            try validateCost(cost)
        } else if cost.isEmpty {
            throw TransportError.emptyMatrix("cost matrix", rows: cost.rows, cols: cost.cols)
        }
        let n = cost.rows, m = cost.cols
        let a = a ?? [Double](repeating: 1.0 / Double(n), count: n)
        let b = b ?? [Double](repeating: 1.0 / Double(m), count: m)
        guard a.count == n else {
            throw TransportError.marginalLength("a", expected: n, found: a.count, shape: cost.shapeDescription)
        }
        guard b.count == m else {
            throw TransportError.marginalLength("b", expected: m, found: b.count, shape: cost.shapeDescription)
        }
        for (i, x) in a.enumerated() where !(x.isFinite && x >= 0) {
            throw TransportError.invalidMarginal("a", index: i, value: x)
        }
        for (j, x) in b.enumerated() where !(x.isFinite && x >= 0) {
            throw TransportError.invalidMarginal("b", index: j, value: x)
        }
        let sa = a.reduce(0, +), sb = b.reduce(0, +)
        guard sa > 0, sb > 0, abs(sa - sb) <= massTolerance * max(sa, sb) else {
            throw TransportError.massMismatch(sumA: sa, sumB: sb)
        }
        let scale = sa / sb
        return (a, scale == 1 ? b : b.map { $0 * scale })
    }

    /// Checks that a cost matrix is non-empty, finite and non-negative.
    static func validateCost(_ cost: Matrix, name: String = "cost matrix") throws {
        guard !cost.isEmpty else { throw TransportError.emptyMatrix(name, rows: cost.rows, cols: cost.cols) }
        if Kernels.allFiniteNonNegative(cost.storage) { return }
        for (k, x) in cost.storage.enumerated() {
            if !x.isFinite {
                throw TransportError.nonFinite(name, row: k / cost.cols, col: k % cost.cols, value: x)
            }
            if x < 0 {
                throw TransportError.negativeCost(name, row: k / cost.cols, col: k % cost.cols, value: x)
            }
        }
    }

    /// `true` when every entry equals the first (uniform marginal).
    static func isUniform(_ x: [Double]) -> Bool {
        guard let f = x.first else { return true }
        return x.allSatisfy { $0 == f }
    }

    /// Euclidean norm of `colsum(P) − b`, POT's stopping criterion.
    static func columnError(plan: Matrix, b: [Double]) -> Double {
        columnError(sums: plan.columnSums(), b: b)
    }

    /// `‖s − b‖₂` for column sums `s` already at hand.
    static func columnError(sums s: [Double], b: [Double]) -> Double {
        var e = 0.0
        for j in 0..<b.count { e += (s[j] - b[j]) * (s[j] - b[j]) }
        return e.squareRoot()
    }
}

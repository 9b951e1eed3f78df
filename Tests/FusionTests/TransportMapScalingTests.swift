import Testing
import TestSupport
import Transport
@testable import Fusion

/// How a transport map is scaled for the input and output sides of a layer under each
/// `transport_scaling`, dense and sparse alike.
@Suite("Transport map scaling")
struct TransportMapScalingTests {
    /// A soft plan with rows `0..<n0`, columns `0..<n1`, uniform marginals `1/n0`, `1/n1`
    /// (`P = 1/(n0·n1)` plus a zero-sum perturbation that keeps every entry positive).
    static func plan(_ n0: Int, _ n1: Int) -> Matrix {
        var p = Matrix(rows: n0, cols: n1)
        for i in 0..<n0 {
            for j in 0..<n1 { p[i, j] = 1 / Double(n0 * n1) }
        }
        // Move mass around a 2×2 cycle: row and column sums unchanged.
        let e = 0.4 / Double(n0 * n1)
        p[0, 0] += e; p[1, 1] += e; p[0, 1] -= e; p[1, 0] -= e
        return p
    }

    static func sums(_ m: Matrix, rows: Bool) -> [Double] { rows ? m.rowSums() : m.columnSums() }

    @Test("auto equals barycentric for equal widths and anchors wider than the source; on the output side of a wider source it keeps the reference's sum", arguments: [(4, 4), (3, 5), (6, 4)])
    func auto(n0: Int, n1: Int) {
        let map = TransportMap(plan: Self.plan(n0, n1))
        for side in [TransportMap.Side.input, .output] {
            let dense = { (s: FusionOptions.Scaling) in side == .input ? map.inputSide(s) : map.outputSide(s) }
            let auto = dense(.auto), bary = dense(.barycentric), ref = dense(.reference)
            let expectReference = side == .output && n0 > n1
            let want = expectReference ? ref : bary
            for k in auto.storage.indices { #expect(abs(auto.storage[k] - want.storage[k]) <= 1e-15) }
            // Barycentric: source rows (input) / anchor columns (output) sum to 1.
            for s in Self.sums(bary, rows: side == .input) { #expect(abs(s - 1) <= 1e-12) }
            // Reference on the output side: columns sum to n0 / n1 (the folded source channels).
            if side == .output {
                for s in Self.sums(ref, rows: false) { #expect(abs(s - Double(n0) / Double(n1)) <= 1e-12) }
            }
            // The sparse operand of a hard map follows the same rule.
            let hard = TransportMap(plan: Self.hardPlan(n0, n1))
            let operand = hard.side(side, .auto)
            let dense2 = side == .input ? hard.inputSide(.auto) : hard.outputSide(.auto)
            let materialised = operand.matrix
            for k in dense2.storage.indices { #expect(abs(materialised.storage[k] - dense2.storage[k]) <= 1e-15) }
        }
    }

    @Test("a kept map without cached sides gives the same sides, bit for bit, as the map in use", arguments: [(40, 40), (48, 32), (32, 48)])
    func uncachedSides(n0: Int, n1: Int) {
        let map = TransportMap(plan: Self.plan(n0, n1))
        #expect(map.sparse == nil, "the plan must be dense to exercise the cache")
        let kept = map.uncached
        for scaling in [FusionOptions.Scaling.auto, .barycentric, .reference] {
            for _ in 0..<2 {   // the second round reads the cache of `map`
                #expect(kept.inputSide(scaling).storage == map.inputSide(scaling).storage)
                #expect(kept.outputSide(scaling).storage == map.outputSide(scaling).storage)
            }
        }
        #expect(kept.matrix.storage == map.matrix.storage)
    }

    /// A hard (sparse) plan: source channel `i` goes to anchor channel `i mod n1` (some anchor
    /// columns stay empty when `n0 < n1`; only the dense/sparse agreement is checked on it).
    static func hardPlan(_ n0: Int, _ n1: Int) -> Matrix {
        var p = Matrix(rows: n0, cols: n1)
        for i in 0..<n0 { p[i, i % n1] = 1 / Double(n0) }
        return p
    }

    @Test("a map made from an assignment's entries equals the one made from its dense plan, on both sides", arguments: [(12, 12), (24, 8), (8, 24)])
    func fromEntries(n0: Int, n1: Int) throws {
        var rng = SplitMix64(seed: UInt64(n0 * 31 + n1))
        let cost = try Matrix(rows: n0, cols: n1, values: (0..<(n0 * n1)).map { _ in Double.random(in: 0..<1, using: &rng) })
        let result = try EMD.solve(cost: cost)
        #expect(result.sparsePlan != nil)
        let fromEntries = TransportMap(result: result), fromPlan = TransportMap(plan: result.plan)
        #expect(fromEntries.matrix == fromPlan.matrix)
        for scaling in [FusionOptions.Scaling.barycentric, .reference, .auto] {
            for side in [TransportMap.Side.input, .output] {
                guard case let .sparse(_, _, a) = fromEntries.side(side, scaling),
                      case let .sparse(_, _, b) = fromPlan.side(side, scaling) else {
                    Issue.record("a hard plan should give sparse operands"); continue
                }
                #expect(a == b)
            }
        }
    }
}

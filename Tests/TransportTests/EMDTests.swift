import Foundation
import Testing
import TestSupport
@testable import Transport

@Suite("Exact EMD against POT and by its properties")
struct EMDTests {
    static let fixtures = FixtureSet.cases(kind: "emd")

    @Test("cost equals POT's ot.emd to 1e-9 relative, plan valid", arguments: fixtures)
    func matchesPOT(_ testCase: FixtureSet.Case) throws {
        let set = FixtureSet.shared
        let cost = try set.matrix(testCase, "cost")
        let a = set.values(testCase, "a"), b = set.values(testCase, "b")
        let result = try EMD.solve(cost: cost, a: a, b: b)
        let expected = try #require(testCase.pot_cost)
        #expect(abs(result.cost - expected) <= 1e-9 * max(abs(expected), 1e-300) || abs(result.cost - expected) <= 1e-15,
                "cost \(result.cost) vs POT \(expected)")
        let aa = a ?? [Double](repeating: 1 / Double(cost.rows), count: cost.rows)
        let bb = b ?? [Double](repeating: 1 / Double(cost.cols), count: cost.cols)
        expectValidPlan(result.plan, a: aa, b: bb, tolerance: 1e-9)
        #expect(result.warning == nil)
    }

    @Test("network simplex reaches POT's cost on every fixture", arguments: fixtures)
    func networkSimplexMatchesPOT(_ testCase: FixtureSet.Case) throws {
        let set = FixtureSet.shared
        let cost = try set.matrix(testCase, "cost")
        let (a, b) = try Marginals.validate(cost: cost, a: set.values(testCase, "a"), b: set.values(testCase, "b"))
        let result = EMD.networkSimplex(cost: cost, a: a, b: b, maxPivots: 1_000_000)
        let expected = try #require(testCase.pot_cost)
        #expect(abs(result.cost - expected) <= 1e-9 * abs(expected) || abs(result.cost - expected) <= 1e-15)
        expectValidPlan(result.plan, a: a, b: b, tolerance: 1e-9)
        #expect(result.warning == nil)
    }

    @Test("a permutation cost matrix gives back the permutation", arguments: [1, 2, 5, 31, 64, 257])
    func permutationRecovered(_ n: Int) throws {
        var rng = SplitMix64(seed: UInt64(n))
        let sigma = (0..<n).shuffled(using: &rng)
        var cost = Matrix(rows: n, cols: n)
        for i in 0..<n {
            for j in 0..<n { cost[i, j] = j == sigma[i] ? 0 : 0.01 + Double.random(in: 0..<1, using: &rng) }
        }
        for result in [try EMD.solve(cost: cost),
                       EMD.networkSimplex(cost: cost, a: .init(repeating: 1 / Double(n), count: n),
                                          b: .init(repeating: 1 / Double(n), count: n), maxPivots: 10_000_000)] {
            for i in 0..<n {
                for j in 0..<n {
                    #expect(abs(result.plan[i, j] - (j == sigma[i] ? 1 / Double(n) : 0)) <= 1e-12)
                }
            }
            #expect(result.cost <= 1e-12)
        }
    }

    @Test("assignment and network simplex agree on random problems, incl. duplicated sizes",
          arguments: [(16, 16), (40, 20), (20, 40), (45, 15), (9, 27), (100, 100), (120, 60)])
    func pathsAgree(_ shape: (Int, Int)) throws {
        let (n, m) = shape
        var rng = SplitMix64(seed: UInt64(n * 1000 + m))
        let cost = try Matrix(rows: n, cols: m, values: (0..<(n * m)).map { _ in Double.random(in: 0..<1, using: &rng) })
        let fast = try EMD.solve(cost: cost)
        #expect(fast.solver == .emdAssignment)
        let a = [Double](repeating: 1 / Double(n), count: n), b = [Double](repeating: 1 / Double(m), count: m)
        let simplex = EMD.networkSimplex(cost: cost, a: a, b: b, maxPivots: 10_000_000)
        #expect(abs(fast.cost - simplex.cost) <= 1e-12 * simplex.cost)
        expectValidPlan(fast.plan, a: a, b: b, tolerance: 1e-12)
        expectValidPlan(simplex.plan, a: a, b: b, tolerance: 1e-12)
    }

    @Test("with heavy ties (costs in {0, 1, 2}) both paths still reach the same optimum",
          arguments: [(60, 20), (20, 60), (64, 64), (96, 3), (5, 100)])
    func pathsAgreeWithTies(_ shape: (Int, Int)) throws {
        let (n, m) = shape
        var rng = SplitMix64(seed: UInt64(n * 7919 + m))
        let cost = try Matrix(rows: n, cols: m, values: (0..<(n * m)).map { _ in Double(Int.random(in: 0..<3, using: &rng)) })
        let fast = try EMD.solve(cost: cost)
        let a = [Double](repeating: 1 / Double(n), count: n), b = [Double](repeating: 1 / Double(m), count: m)
        let simplex = EMD.networkSimplex(cost: cost, a: a, b: b, maxPivots: 10_000_000)
        #expect(abs(fast.cost - simplex.cost) <= 1e-12 * max(simplex.cost, 1))
        expectValidPlan(fast.plan, a: a, b: b, tolerance: 1e-12)
    }

    @Test("deterministic: the same input gives the same plan")
    func deterministic() throws {
        var rng = SplitMix64(seed: 7)
        let cost = try Matrix(rows: 30, cols: 30, values: (0..<900).map { _ in Double(Int.random(in: 0..<3, using: &rng)) })
        let first = try EMD.solve(cost: cost), second = try EMD.solve(cost: cost)
        #expect(first.plan == second.plan)
        let a = (0..<30).map { Double($0 % 4 + 1) }, total = a.reduce(0, +)
        let b = [Double](repeating: total / 30, count: 30)
        #expect(try EMD.solve(cost: cost, a: a, b: b).plan == EMD.solve(cost: cost, a: a, b: b).plan)
    }

    @Test("LinearAssignment returns an optimal permutation")
    func linearAssignment() throws {
        // Brute force over all permutations of 6.
        var rng = SplitMix64(seed: 3)
        let cost = try Matrix(rows: 6, cols: 6, values: (0..<36).map { _ in Double(Int.random(in: -5..<20, using: &rng)) })
        let (sigma, total) = try LinearAssignment.solve(cost)
        #expect(Set(sigma).count == 6)
        var best = Double.infinity
        func search(_ used: [Bool], _ row: Int, _ acc: Double) {
            if row == 6 { best = min(best, acc); return }
            for j in 0..<6 where !used[j] { var u = used; u[j] = true; search(u, row + 1, acc + cost[row, j]) }
        }
        search([Bool](repeating: false, count: 6), 0, 0)
        #expect(total == best)
    }

    @Test("the assignment solver picks the same permutation on every vector unit, with heavy ties and duplicated rows",
          arguments: [2, 7, 33, 130])
    func assignmentSameOnEveryUnit(_ n: Int) throws {
        var rng = SplitMix64(seed: UInt64(1000 + n))
        for levels in [2, 3, 7, 0] {
            var values = (0..<(n * n)).map { _ in
                levels == 0 ? Double.random(in: 0..<1, using: &rng) : Double(Int.random(in: 0..<levels, using: &rng))
            }
            for i in stride(from: 1, to: n, by: 3) {  // some rows repeated: several optimal permutations
                for j in 0..<n { values[i * n + j] = values[(i - 1) * n + j] }
            }
            let cost = try Matrix(rows: n, cols: n, values: values)
            let (reference, optimum) = try LinearAssignment.solve(cost)
            #expect(Set(reference).count == n)
            for unit in Kernels.availableVectorUnits {
                let sigma = cost.storage.withUnsafeBufferPointer { LinearAssignment.solveUnchecked(n: n, cost: $0, unit: unit) }
                #expect(sigma == reference, "\(unit), n \(n), levels \(levels)")
            }
            let pot = EMD.networkSimplex(cost: cost, a: .init(repeating: 1, count: n), b: .init(repeating: 1, count: n),
                                         maxPivots: 10_000_000)
            #expect(abs(pot.cost - optimum) <= 1e-9 * max(abs(optimum), 1))
        }
    }
}


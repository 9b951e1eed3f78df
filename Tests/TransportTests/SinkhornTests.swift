import Foundation
import Testing
import TestSupport
@testable import Transport

@Suite("Sinkhorn against POT and between its variants")
struct SinkhornTests {
    static let standardCases = FixtureSet.cases(kind: "sinkhorn")
    static let logCases = FixtureSet.cases(kind: "sinkhorn_log")

    func solve(_ testCase: FixtureSet.Case, domain: Sinkhorn.Domain) throws -> (TransportResult, Matrix) {
        let set = FixtureSet.shared
        let cost = try set.matrix(testCase, "cost")
        let solver = Sinkhorn(reg: try #require(testCase.reg), maxIterations: try #require(testCase.max_iterations),
                              stopThreshold: try #require(testCase.stop_threshold), domain: domain)
        let result = try solver.solve(cost: cost, a: set.values(testCase, "a"), b: set.values(testCase, "b"))
        return (result, try set.matrix(testCase, "plan"))
    }

    @Test("standard plan equals POT's ot.sinkhorn to 1e-6 of the largest entry, same iterations", arguments: standardCases)
    func matchesPOT(_ testCase: FixtureSet.Case) throws {
        let (result, expected) = try solve(testCase, domain: .standard)
        #expect(result.solver == .sinkhorn)
        #expect(result.iterations == (try #require(testCase.pot_niter)) + 1)
        let scale = expected.storage.max() ?? 1
        #expect(maxAbsDifference(result.plan, expected) <= 1e-6 * scale)
        #expect(result.plan.storage.allSatisfy { $0.isFinite })
        let capped = result.iterations == testCase.max_iterations && result.marginalError >= (testCase.stop_threshold ?? 0)
        #expect((result.warning != nil) == capped)
    }

    @Test("mixed precision (Float kernel) plan equals POT's to 1e-6 of the largest entry too", arguments: standardCases)
    func mixedMatchesPOT(_ testCase: FixtureSet.Case) throws {
        let set = FixtureSet.shared
        let cost = try set.matrix(testCase, "cost")
        let solver = Sinkhorn(reg: try #require(testCase.reg), maxIterations: try #require(testCase.max_iterations),
                              stopThreshold: try #require(testCase.stop_threshold), domain: .standard, precision: .mixed)
        let result = try solver.solve(cost: cost, a: set.values(testCase, "a"), b: set.values(testCase, "b"))
        let expected = try set.matrix(testCase, "plan")
        let scale = expected.storage.max() ?? 1
        let deviation = maxAbsDifference(result.plan, expected) / scale
        #expect(deviation <= 1e-6, "relative deviation \(deviation)")
        #expect(abs(result.iterations - (try #require(testCase.pot_niter)) - 1) <= 10)
    }

    @Test("automatic mode keeps the standard iteration when the kernel does not underflow", arguments: standardCases)
    func automaticIsStandard(_ testCase: FixtureSet.Case) throws {
        let (auto, _) = try solve(testCase, domain: .automatic)
        let (standard, _) = try solve(testCase, domain: .standard)
        #expect(auto.solver == .sinkhorn)
        #expect(auto.plan == standard.plan)
    }

    @Test("log-stabilised plan equals POT's sinkhorn_log to 1e-6 of the largest entry", arguments: logCases)
    func logMatchesPOT(_ testCase: FixtureSet.Case) throws {
        let (result, expected) = try solve(testCase, domain: .log)
        #expect(result.solver == .sinkhornLog)
        #expect(result.iterations == (try #require(testCase.pot_niter)) + 1)
        let scale = expected.storage.max() ?? 1
        #expect(maxAbsDifference(result.plan, expected) <= 1e-6 * scale)
    }

    @Test("automatic mode switches to the log domain when the kernel underflows",
          arguments: logCases.filter { $0.name.hasSuffix("reg0.001") })
    func automaticSwitches(_ testCase: FixtureSet.Case) throws {
        let (auto, expected) = try solve(testCase, domain: .automatic)
        #expect(auto.solver == .sinkhornLog)
        #expect(auto.warning != nil)
        #expect(auto.plan.storage.allSatisfy { $0.isFinite && $0 >= 0 })
        #expect(maxAbsDifference(auto.plan, expected) <= 1e-6 * (expected.storage.max() ?? 1))
    }

    @Test("log-stabilised agrees with standard where both are stable", arguments: standardCases)
    func logAgreesWithStandard(_ testCase: FixtureSet.Case) throws {
        let (standard, _) = try solve(testCase, domain: .standard)
        let (log, _) = try solve(testCase, domain: .log)
        #expect(log.iterations == standard.iterations)
        #expect(maxAbsDifference(log.plan, standard.plan) <= 1e-6 * (standard.plan.storage.max() ?? 1))
    }

    @Test("zeros in both marginals: finite plan with zero rows and columns, standard and log agree")
    func zerosInBothMarginals() throws {
        var rng = SplitMix64(seed: 11)
        let n = 20, m = 26
        let cost = try Matrix(rows: n, cols: m, values: (0..<(n * m)).map { _ in Double.random(in: 0..<1, using: &rng) })
        var a = (0..<n).map { _ in Double.random(in: 0.1..<1, using: &rng) }
        var b = (0..<m).map { _ in Double.random(in: 0.1..<1, using: &rng) }
        a[3] = 0; a[9] = 0; b[0] = 0; b[25] = 0
        let sa = a.reduce(0, +), sb = b.reduce(0, +)
        a = a.map { $0 / sa }; b = b.map { $0 / sb }
        let standard = try Sinkhorn(reg: 0.1, domain: .standard).solve(cost: cost, a: a, b: b)
        let log = try Sinkhorn(reg: 0.1, domain: .log).solve(cost: cost, a: a, b: b)
        for result in [standard, log] {
            expectValidPlan(result.plan, a: a, b: b, tolerance: 1e-8)
            for j in 0..<m { #expect(result.plan[3, j] == 0 && result.plan[9, j] == 0) }
            for i in 0..<n { #expect(result.plan[i, 0] == 0 && result.plan[i, 25] == 0) }
        }
        #expect(maxAbsDifference(standard.plan, log.plan) <= 1e-9)
    }

    @Test("tiny regularisation never gives NaN or Inf; marginals hold when converged", arguments: [1e-3, 1e-4, 1e-6])
    func tinyRegularisation(_ reg: Double) throws {
        var rng = SplitMix64(seed: 5)
        let n = 40, m = 30
        let cost = try Matrix(rows: n, cols: m, values: (0..<(n * m)).map { _ in Double.random(in: 0..<1, using: &rng) })
        let result = try Sinkhorn(reg: reg, maxIterations: 5000).solve(cost: cost)
        #expect(result.plan.storage.allSatisfy { $0.isFinite && $0 >= 0 })
        let rows = result.plan.rowSums()
        #expect(rows.allSatisfy { abs($0 - 1 / Double(n)) <= 1e-9 })  // the last update fits the rows exactly
        if result.warning?.contains("did not converge") != true {
            #expect(result.marginalError < 1e-9)
        }
    }

    @Test("a row far from every column (all-zero kernel row) selects the log domain")
    func allZeroKernelRow() throws {
        var rows = (0..<8).map { i in (0..<8).map { j in abs(Double(i - j)) / 8 } }
        rows[5] = [Double](repeating: 2, count: 8)  // exp(-2 / 1e-3) underflows to 0
        let cost = try Matrix(rows)
        let result = try Sinkhorn(reg: 1e-3).solve(cost: cost)
        #expect(result.solver == .sinkhornLog)
        #expect(result.warning?.contains("underflows") == true)
        #expect(result.plan.storage.allSatisfy { $0.isFinite && $0 >= 0 })
        #expect(result.plan.rowSums().allSatisfy { abs($0 - 0.125) <= 1e-12 })
        #expect(result.warning?.contains("did not converge") == true || result.marginalError < 1e-9)
        let standard = try Sinkhorn(reg: 1e-3, domain: .standard).solve(cost: cost)
        #expect(standard.plan.storage.allSatisfy { $0.isFinite })  // POT's fallback: the previous iterate
        #expect(standard.warning?.contains("numerical errors") == true)
    }

    @Test("the iteration cap gives a warning, not an error")
    func capWarning() throws {
        var rng = SplitMix64(seed: 9)
        let cost = try Matrix(rows: 10, cols: 12, values: (0..<120).map { _ in Double.random(in: 0..<1, using: &rng) })
        for domain in Sinkhorn.Domain.allCases {
            let result = try Sinkhorn(reg: 0.01, maxIterations: 3, stopThreshold: 0, domain: domain).solve(cost: cost)
            #expect(result.iterations == 3)
            #expect(result.warning?.contains("did not converge") == true)
        }
    }

    @Test("one and two threads give the same plan on a problem large enough to split")
    func threadsAgree() throws {
        var rng = SplitMix64(seed: 13)
        let n = 300, m = 260
        let cost = try Matrix(rows: n, cols: m, values: (0..<(n * m)).map { _ in Double.random(in: 0..<1, using: &rng) })
        for domain in [Sinkhorn.Domain.standard, .log] {
            let one = try Sinkhorn(reg: 0.02, maxIterations: 200, domain: domain, threads: 1).solve(cost: cost)
            let two = try Sinkhorn(reg: 0.02, maxIterations: 200, domain: domain, threads: 2).solve(cost: cost)
            #expect(one.iterations == two.iterations)
            #expect(maxAbsDifference(one.plan, two.plan) <= 1e-12 * (one.plan.storage.max() ?? 1))
        }
    }
}

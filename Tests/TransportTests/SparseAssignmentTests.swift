import Foundation
import Testing
import TestSupport
@testable import Transport

/// The sparse search (candidate graph + check of every entry) against the dense Jonker–Volgenant
/// search on the same matrices: the same optimal cost (to 1e-12 relative: both are exact up to
/// rounding), a permutation, and the same answer on every vector unit. Sizes from
/// ``LinearAssignment/sparseMinimumSize`` on, where the solver takes the sparse path.
@Suite("Sparse assignment search against the dense one")
struct SparseAssignmentTests {
    /// Cost matrices of `n × n` with structures that stress a candidate graph.
    enum Shape: String, CaseIterable, CustomStringConvertible {
        /// Uniform random costs (the benchmark's kind).
        case random
        /// Euclidean distances between random points, a few columns close to every row (hubs).
        case hubs
        /// Integer costs in 0..<4: ties everywhere.
        case ties
        /// `c[i, j] = a[i] + b[j]`: every permutation is optimal; every row ranks columns alike.
        case separable
        /// `c[i, j] = a[i] · b[j]`: rows rank columns alike or in reverse; one optimum by rearrangement.
        case product
        /// Random, with every third row a copy of the one before.
        case repeatedRows
        var description: String { rawValue }
    }

    static func matrix(_ shape: Shape, n: Int) throws -> Matrix {
        var rng = SplitMix64(seed: UInt64(n * 31 + Shape.allCases.firstIndex(of: shape)!))
        let a = (0..<n).map { _ in Double.random(in: 0..<1, using: &rng) }
        let b = (0..<n).map { _ in Double.random(in: 0..<1, using: &rng) }
        var values = [Double](repeating: 0, count: n * n)
        switch shape {
        case .random, .repeatedRows:
            for k in values.indices { values[k] = Double.random(in: 0..<1, using: &rng) }
            if shape == .repeatedRows {
                for i in stride(from: 1, to: n, by: 3) { for j in 0..<n { values[i * n + j] = values[(i - 1) * n + j] } }
            }
        case .hubs:
            let d = 8
            let p = (0..<(n * d)).map { _ in Double.random(in: -1..<1, using: &rng) }
            var q = (0..<(n * d)).map { _ in Double.random(in: -1..<1, using: &rng) }
            for j in stride(from: 0, to: n, by: 97) { for k in 0..<d { q[j * d + k] *= 0.01 } }  // near the origin
            for i in 0..<n {
                for j in 0..<n {
                    var s = 0.0
                    for k in 0..<d { let t = p[i * d + k] - q[j * d + k]; s += t * t }
                    values[i * n + j] = s.squareRoot()
                }
            }
        case .ties:
            for k in values.indices { values[k] = Double(Int.random(in: 0..<4, using: &rng)) }
        case .separable:
            for i in 0..<n { for j in 0..<n { values[i * n + j] = a[i] + b[j] } }
        case .product:
            for i in 0..<n { for j in 0..<n { values[i * n + j] = a[i] * b[j] } }
        }
        return try Matrix(rows: n, cols: n, values: values)
    }

    static func total(_ cost: Matrix, _ sigma: [Int]) -> Double {
        sigma.enumerated().reduce(0) { $0 + cost[$1.offset, $1.element] }
    }

    @Test("the sparse search reaches the dense search's optimal cost, with a permutation", arguments: Shape.allCases)
    func sameOptimum(_ shape: Shape) throws {
        let n = LinearAssignment.sparseMinimumSize + 37
        let cost = try Self.matrix(shape, n: n)
        let dense = cost.storage.withUnsafeBufferPointer {
            LinearAssignment.solveUnchecked(n: n, cost: $0, unit: Kernels.vectorUnit, sparse: false)
        }
        let sparse = cost.storage.withUnsafeBufferPointer { LinearAssignment.solveUnchecked(n: n, cost: $0) }
        #expect(Set(sparse).count == n && sparse.allSatisfy { (0..<n).contains($0) })
        let d = Self.total(cost, dense), s = Self.total(cost, sparse)
        #expect(abs(d - s) <= 1e-12 * max(abs(d), 1), "\(shape): dense \(d), sparse \(s)")
        // Where the optimum is unique (continuous random costs) it is the same permutation.
        if shape == .random || shape == .hubs { #expect(sparse == dense) }
        // Unit independence: every vector unit picks the same permutation.
        for unit in Kernels.availableVectorUnits {
            let other = cost.storage.withUnsafeBufferPointer { LinearAssignment.solveUnchecked(n: n, cost: $0, unit: unit) }
            #expect(other == sparse, "\(shape) on \(unit)")
        }
    }

    @Test("a permutation cost matrix (zero on a permutation, random elsewhere) gives back the permutation")
    func permutationRecovered() throws {
        let n = LinearAssignment.sparseMinimumSize
        var rng = SplitMix64(seed: 7)
        let sigma = Array(0..<n).shuffled(using: &rng)
        var values = (0..<(n * n)).map { _ in Double.random(in: 0.5..<1, using: &rng) }
        for i in 0..<n { values[i * n + sigma[i]] = 0 }
        let cost = try Matrix(rows: n, cols: n, values: values)
        #expect(try LinearAssignment.solve(cost).columnForRow == sigma)
    }

    @Test("every row's candidates are its least reduced costs, ascending, plus its match")
    func candidateGraph() throws {
        let n = 300
        let cost = try Self.matrix(.random, n: n)
        var rng = SplitMix64(seed: 3)
        let v = (0..<n).map { _ in Double.random(in: 0..<0.5, using: &rng) }
        let x = (0..<n).map { $0 % 7 == 0 ? ($0 * 13) % n : -1 }
        let graph = cost.storage.withUnsafeBufferPointer { c in
            v.withUnsafeBufferPointer { v in x.withUnsafeBufferPointer { x in
                CandidateGraph(n: n, c: c.baseAddress!, v: v.baseAddress!, x: x.baseAddress!, perRow: 10)
            } }
        }
        for i in 0..<n {
            let row = Array(graph.columns[graph.start[i]..<graph.start[i + 1]])
            #expect(row == row.sorted())
            let ranked = (0..<n).sorted { (cost[i, $0] - v[$0], $0) < (cost[i, $1] - v[$1], $1) }
            var expected = Set(ranked.prefix(10))
            if x[i] >= 0 { expected.insert(x[i]) }
            #expect(Set(row) == expected, "row \(i)")
            #expect(zip(row, graph.costs[graph.start[i]..<graph.start[i + 1]]).allSatisfy { cost[i, $0.0] == $0.1 })
        }
    }
}

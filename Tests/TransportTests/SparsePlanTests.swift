import Foundation
import Testing
import TestSupport
@testable import Transport

/// The exact assignment hands on its plan as entries (``TransportResult/sparsePlan``): they must
/// be the dense plan's non-zero entries in row-major order, and the dense plan built from them
/// the one the solver used to write (each matched cell `1 / max(n, m)`).
@Suite("Sparse assignment plans")
struct SparsePlanTests {
    static func randomCost(_ n: Int, _ m: Int, seed: UInt64) throws -> Matrix {
        var rng = SplitMix64(seed: seed)
        return try Matrix(rows: n, cols: m, values: (0..<(n * m)).map { _ in Double.random(in: 0..<1, using: &rng) })
    }

    @Test("entries are the plan's non-zeros, row-major, and the dense plan matches them",
          arguments: [(1, 1), (7, 7), (40, 20), (20, 40), (9, 27), (27, 9), (64, 64)])
    func entriesMatchPlan(_ shape: (Int, Int)) throws {
        let (n, m) = shape
        let cost = try Self.randomCost(n, m, seed: UInt64(n * 100 + m))
        let result = try EMD.solve(cost: cost)
        let sparse = try #require(result.sparsePlan)
        #expect(sparse.entries.count == max(n, m))
        let plan = result.plan
        #expect(plan.rows == n && plan.cols == m)
        // The dense plan's non-zeros, scanned in storage order, are exactly the entries.
        var scanned: [SparseEntry] = []
        for k in plan.storage.indices where plan.storage[k] != 0 {
            scanned.append(SparseEntry(row: k / m, col: k % m, value: plan.storage[k]))
        }
        #expect(scanned == sparse.entries)
        // Every cell carries sum(a) / max(n, m), sum(a) being n additions of 1/n.
        let cell = [Double](repeating: 1 / Double(n), count: n).reduce(0, +) / Double(max(n, m))
        for e in sparse.entries { #expect(e.value == cell) }
        // Same cost when summed densely; marginals uniform.
        var total = 0.0
        for e in sparse.entries { total += e.value * cost[e.row, e.col] }
        #expect(abs(total - result.cost) <= 1e-15 * max(result.cost, 1))
        for s in plan.rowSums() { #expect(abs(s - 1 / Double(n)) <= 1e-15) }
        for s in plan.columnSums() { #expect(abs(s - 1 / Double(m)) <= 1e-15) }
    }

    @Test("the network simplex and Sinkhorn keep dense plans")
    func densePlansStayDense() throws {
        let cost = try Self.randomCost(6, 4, seed: 5)
        let simplex = try EMD.solve(cost: cost, a: [0.1, 0.2, 0.3, 0.1, 0.2, 0.1])
        #expect(simplex.sparsePlan == nil)
        #expect(try Sinkhorn(reg: 0.1).solve(cost: cost).sparsePlan == nil)
    }

    @Test("replacing the plan drops the entries")
    func replacingThePlan() throws {
        var result = try EMD.solve(cost: try Self.randomCost(5, 5, seed: 2))
        result.plan = Matrix(rows: 5, cols: 5, repeating: 0.04)
        #expect(result.sparsePlan == nil)
        #expect(result.plan.storage.allSatisfy { $0 == 0.04 })
    }

    @Test("a checked cost skips only the entry scan: an empty cost is still refused")
    func checkedCostStillNonEmpty() {
        #expect(throws: TransportError.self) { try EMD.solve(cost: Matrix(rows: 0, cols: 3), costIsChecked: true) }
    }

    @Test("SparseMatrix from a dense matrix: entries up to the limit, nil beyond it")
    func sparseFromDense() throws {
        let m = try Matrix(rows: 3, cols: 4, values: [0, 2, 0, 0, -1, 0, 0, 3, 0, 0, 0, 0])
        let s = try #require(SparseMatrix(m, limit: 3))
        #expect(s.entries == [SparseEntry(row: 0, col: 1, value: 2), SparseEntry(row: 1, col: 0, value: -1),
                              SparseEntry(row: 1, col: 3, value: 3)])
        #expect(s.dense == m)
        #expect(SparseMatrix(m, limit: 2) == nil)
        let scaled = s.scaled(by: 3)
        #expect(scaled.dense == m.scaled(by: 3))
    }
}

/// `BLAS.multiply` writes its result into uninitialised storage: every transpose combination
/// against a plain triple loop, including shapes with an empty inner dimension; large products
/// are cut into bands of rows (taller results) or of columns (wider ones), one per thread.
@Suite("Dense products")
struct DenseProductTests {
    @Test("op(A)·op(B) equals the triple loop",
          arguments: [false, true], [(13, 9, 11), (131, 70, 117), (90, 110, 141)])
    func products(transposeA: Bool, shape: (Int, Int, Int)) throws {
        var rng = SplitMix64(seed: transposeA ? 1 : 2)
        let (m, k, n) = shape
        for transposeB in [false, true] {
            let a = try Matrix(rows: transposeA ? k : m, cols: transposeA ? m : k,
                               values: (0..<(m * k)).map { _ in Double.random(in: -1..<1, using: &rng) })
            let b = try Matrix(rows: transposeB ? n : k, cols: transposeB ? k : n,
                               values: (0..<(k * n)).map { _ in Double.random(in: -1..<1, using: &rng) })
            let c = BLAS.multiply(a, b, transposeA: transposeA, transposeB: transposeB)
            #expect(c.rows == m && c.cols == n)
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for t in 0..<k { s += (transposeA ? a[t, i] : a[i, t]) * (transposeB ? b[j, t] : b[t, j]) }
                    #expect(abs(c[i, j] - s) <= 1e-12)
                }
            }
        }
    }

    @Test("overlapping single-threaded sections restore OpenBLAS's thread count")
    func sections() {
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<50 {
                BLASThreads.singleThreaded { #expect(BLASThreads.current == 1) }
            }
        }
        #expect(BLASThreads.current == BLASThreads.count)
    }

    @Test("an empty inner dimension gives zeros")
    func emptyInner() throws {
        let c = BLAS.multiply(Matrix(rows: 3, cols: 0), Matrix(rows: 0, cols: 2))
        #expect(c == Matrix(rows: 3, cols: 2))
    }
}

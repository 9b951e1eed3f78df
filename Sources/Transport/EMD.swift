/// Exact (unregularised) optimal transport, the equivalent of POT's `ot.emd`.
public enum EMD {
    /// Solves `min Σ C∘P` over plans `P >= 0` with `P·1 = a`, `Pᵀ·1 = b`.
    ///
    /// Uniform marginals whose sizes divide are solved as assignments: `n = m` by Jonker–Volgenant,
    /// `n = k·m` (or `m = k·n`) as the assignment with every column (row) repeated `k` times —
    /// solved directly with capacity-`k` columns (``CapacitatedAssignment``) rather than by
    /// materialising the copies — each matched cell carrying `sum(a)/max(n, m)`; everything else
    /// by the network simplex. Both are exact; ties are broken deterministically.
    /// - Parameters:
    ///   - cost: `C`, `n × m`, finite and `>= 0`.
    ///   - a: source marginal (`n` values `>= 0`), uniform `1/n` when `nil`.
    ///   - b: target marginal (`m` values `>= 0`), uniform `1/m` when `nil`; rescaled to carry
    ///     exactly `sum(a)` (the totals must agree to 1e-6 relative).
    ///   - maxPivots: network-simplex pivot cap; when reached the plan is feasible but not
    ///     proven optimal and `warning` says so.
    ///   - costIsChecked: the caller has established that `cost` is non-empty, finite and
    ///     `>= 0` (``GroundMetric/process(_:_:)`` guarantees it), so the pass that checks every
    ///     entry is skipped.
    /// - Returns: the plan (`n × m`), its cost, the solver used and its iteration count.
    /// - Throws: ``TransportError`` for invalid input.
    public static func solve(cost: Matrix, a: [Double]? = nil, b: [Double]? = nil,
                             maxPivots: Int? = nil, costIsChecked: Bool = false) throws -> TransportResult {
        let (a, b) = try Marginals.validate(cost: cost, a: a, b: b, checkCost: !costIsChecked)
        let n = cost.rows, m = cost.cols
        if Marginals.isUniform(a), Marginals.isUniform(b), n % m == 0 || m % n == 0 {
            return assignment(cost: cost, mass: a.reduce(0, +), b: b)
        }
        return networkSimplex(cost: cost, a: a, b: b, maxPivots: maxPivots ?? Swift.max(1_000_000, 50 * n * m))
    }

    /// Uniform marginals with `n | m` or `m | n`: (capacitated) assignment. The plan is held as
    /// its `max(n, m)` entries (``TransportResult/sparsePlan``), each `mass / max(n, m)`.
    static func assignment(cost: Matrix, mass: Double, b: [Double]) -> TransportResult {
        let n = cost.rows, m = cost.cols
        let size = Swift.max(n, m)
        let cell = mass / Double(size)
        let sigma: [Int]
        if n == m {
            sigma = cost.storage.withUnsafeBufferPointer { LinearAssignment.solveUnchecked(n: n, cost: $0) }
        } else if n > m {
            // Each column takes k = n / m rows.
            sigma = cost.storage.withUnsafeBufferPointer {
                CapacitatedAssignment.solve(n: n, m: m, capacity: n / m, cost: $0)
            }
        } else {
            // Each row takes k = m / n columns: solve the transposed problem.
            let transposed = cost.transposed()
            sigma = transposed.storage.withUnsafeBufferPointer {
                CapacitatedAssignment.solve(n: m, m: n, capacity: m / n, cost: $0)
            }
        }
        // Row `k`'s partner is `sigma[k]` (n >= m); else column `k`'s row is `sigma[k]`, and the
        // entries are put in row-major order (each row's columns ascending).
        var entries: [SparseEntry] = []
        entries.reserveCapacity(size)
        if n >= m {
            for i in 0..<n { entries.append(SparseEntry(row: i, col: sigma[i], value: cell)) }
        } else {
            var columns = [[Int]](repeating: [], count: n)
            for j in 0..<m { columns[sigma[j]].append(j) }
            for i in 0..<n { for j in columns[i] { entries.append(SparseEntry(row: i, col: j, value: cell)) } }
        }
        // Cost and marginal error from the entries, in the order of `sigma`.
        var total = 0.0
        var columnSums = [Double](repeating: 0, count: m)
        for k in 0..<size {
            let (i, j) = n >= m ? (k, sigma[k]) : (sigma[k], k)
            total += cell * cost[i, j]
            columnSums[j] += cell
        }
        return TransportResult(sparsePlan: SparseMatrix(rows: n, cols: m, entries: entries), cost: total,
                               solver: .emdAssignment, iterations: size,
                               marginalError: Marginals.columnError(sums: columnSums, b: b))
    }

    /// General marginals: network simplex.
    static func networkSimplex(cost: Matrix, a: [Double], b: [Double], maxPivots: Int) -> TransportResult {
        let n = cost.rows, m = cost.cols
        let solution = cost.storage.withUnsafeBufferPointer { buffer -> NetworkSimplex.Solution in
            var simplex = NetworkSimplex(n: n, m: m, cost: buffer, a: a, b: b)
            return simplex.run(maxPivots: maxPivots)
        }
        var plan = Matrix(rows: n, cols: m)
        for arc in solution.arcs where arc.flow > 0 { plan[arc.source, arc.sink] += arc.flow }
        let warning = solution.optimal ? nil
            : "network simplex stopped at the pivot cap (\(maxPivots)) before proving optimality; the plan is feasible but may not be optimal"
        return TransportResult(plan: plan, cost: cost, b: b, solver: .emdNetworkSimplex,
                               iterations: solution.pivots, warning: warning)
    }
}

/// Exact linear assignment (minimum-cost perfect matching on a square cost matrix) by the
/// shortest-augmenting-path method of Jonker & Volgenant (1987): column reduction, reduction
/// transfer, two rounds of augmenting row reduction, then Dijkstra-like augmentation for the
/// rows still free. Worst case O(n³), usually far less; deterministic (fixed scan order, ties
/// go to the lowest index found first).
public enum LinearAssignment {
    /// Solves `min Σᵢ C[i, σ(i)]` over permutations `σ`.
    /// - Parameter cost: a square `n × n` matrix of finite values (any sign).
    /// - Returns: `columnForRow[i] = σ(i)` and the optimal total cost.
    /// - Throws: ``TransportError`` when `cost` is empty, not square or not finite.
    public static func solve(_ cost: Matrix) throws -> (columnForRow: [Int], cost: Double) {
        guard !cost.isEmpty else { throw TransportError.emptyMatrix("assignment cost", rows: cost.rows, cols: cost.cols) }
        guard cost.rows == cost.cols else {
            throw TransportError.shapeMismatch("assignment needs a square cost matrix, got \(cost.shapeDescription)")
        }
        if let k = cost.storage.firstIndex(where: { !$0.isFinite }) {
            throw TransportError.nonFinite("assignment cost", row: k / cost.cols, col: k % cost.cols, value: cost.storage[k])
        }
        let sigma = cost.storage.withUnsafeBufferPointer { solveUnchecked(n: cost.rows, cost: $0) }
        var total = 0.0
        for i in 0..<cost.rows { total += cost[i, sigma[i]] }
        return (sigma, total)
    }

    /// Core solver on a row-major `n × n` buffer of finite values; returns row → column.
    static func solveUnchecked(n: Int, cost c: UnsafeBufferPointer<Double>) -> [Int] {
        if n == 1 { return [0] }
        var x = [Int](repeating: -1, count: n)   // row -> column
        var y = [Int](repeating: -1, count: n)   // column -> row
        var v = [Double](repeating: 0, count: n) // column prices
        var free = [Int]()
        free.reserveCapacity(n)

        // MARK: Column reduction (row-major scan for column minima; first minimum wins)
        var colMin = [Double](repeating: .infinity, count: n)
        var colArg = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let base = i * n
            for j in 0..<n where c[base + j] < colMin[j] {
                colMin[j] = c[base + j]
                colArg[j] = i
            }
        }
        var matches = [Int](repeating: 0, count: n)
        for j in stride(from: n - 1, through: 0, by: -1) {
            v[j] = colMin[j]
            let i = colArg[j]
            matches[i] += 1
            if matches[i] == 1 {
                x[i] = j; y[j] = i
            } else if v[j] < v[x[i]] {
                y[x[i]] = -1
                x[i] = j; y[j] = i
            }
        }

        // MARK: Reduction transfer
        for i in 0..<n {
            if matches[i] == 0 {
                free.append(i)
            } else if matches[i] == 1 {
                let j1 = x[i], base = i * n
                var m = Double.infinity
                for j in 0..<n where j != j1 {
                    let h = c[base + j] - v[j]
                    if h < m { m = h }
                }
                v[j1] -= m
            }
        }
        // Rows that matched several columns keep one; the columns they dropped are free.

        // MARK: Augmenting row reduction (two passes, bounded against float ping-pong)
        for _ in 0..<2 {
            var k = 0
            let count = free.count
            var next = [Int]()
            var budget = 4 * n + 16
            while k < count {
                let i = free[k]
                k += 1
                budget -= 1
                if budget < 0 { next.append(i); continue }
                let base = i * n
                var umin = c[base] - v[0], j1 = 0
                var usub = Double.infinity, j2 = -1
                for j in 1..<n {
                    let h = c[base + j] - v[j]
                    if h < usub {
                        if h >= umin { usub = h; j2 = j } else { usub = umin; umin = h; j2 = j1; j1 = j }
                    }
                }
                var i0 = y[j1]
                if umin < usub {
                    v[j1] -= usub - umin
                } else if i0 >= 0, j2 >= 0 {
                    j1 = j2
                    i0 = y[j2]
                }
                if i0 >= 0 { x[i0] = -1 }
                x[i] = j1; y[j1] = i
                if i0 >= 0 {
                    if umin < usub { k -= 1; free[k] = i0 } else { next.append(i0) }
                }
            }
            free = next
        }

        // MARK: Augmentation (shortest paths over reduced costs)
        var d = [Double](repeating: 0, count: n)
        var pred = [Int](repeating: 0, count: n)
        var cols = [Int](repeating: 0, count: n)
        for f in free {
            let fb = f * n
            for j in 0..<n { d[j] = c[fb + j] - v[j]; pred[j] = f; cols[j] = j }
            var low = 0, up = 0
            var end = -1
            var minD = 0.0
            while end < 0 {
                if up == low {
                    minD = d[cols[up]]
                    up += 1
                    var k = up
                    while k < n {
                        let j = cols[k], h = d[j]
                        if h <= minD {
                            if h < minD { up = low; minD = h }
                            cols[k] = cols[up]; cols[up] = j; up += 1
                        }
                        k += 1
                    }
                    for k in low..<up where y[cols[k]] < 0 { end = cols[k]; break }
                    if end >= 0 { break }
                }
                let j1 = cols[low]
                low += 1
                let i = y[j1], ib = i * n
                let u1 = c[ib + j1] - v[j1] - minD
                var k = up
                while k < n {
                    let j = cols[k]
                    let h = c[ib + j] - v[j] - u1
                    if h < d[j] {
                        pred[j] = i
                        d[j] = h
                        if h == minD {
                            if y[j] < 0 { end = j; break }
                            cols[k] = cols[up]; cols[up] = j; up += 1
                        }
                    }
                    k += 1
                }
            }
            for k in 0..<low { let j = cols[k]; v[j] += d[j] - minD }
            var j = end
            while true {
                let i = pred[j]
                y[j] = i
                let prev = x[i]
                x[i] = j
                if i == f { break }
                j = prev
            }
        }
        return x
    }
}

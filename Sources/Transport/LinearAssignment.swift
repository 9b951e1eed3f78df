/// Exact linear assignment (minimum-cost perfect matching on a square cost matrix) by the
/// shortest-augmenting-path method of Jonker & Volgenant (1987): column reduction, reduction
/// transfer, two rounds of augmenting row reduction, then Dijkstra-like augmentation for the
/// rows still free. Worst case O(n³), usually far less; deterministic (fixed scan order, ties
/// go to the lowest index found first). From ``sparseMinimumSize`` on the row reduction and the
/// shortest paths run on a candidate graph checked against every entry
/// (LinearAssignment+Sparse.swift): the same optimum, possibly another of several optimal
/// permutations.
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
    static func solveUnchecked(n: Int, cost: UnsafeBufferPointer<Double>) -> [Int] {
        solveUnchecked(n: n, cost: cost, unit: Kernels.vectorUnit)
    }

    /// The solver with the row scans of augmenting row reduction and the relaxations of the
    /// shortest-path search run by `unit` (every unit gives the same result). From
    /// ``sparseMinimumSize`` on, the augmentation runs on a candidate graph checked against every
    /// entry (``solveSparse(n:c:free:x:y:v:unit:)``), densely when that fails; `sparse: false`
    /// forces the dense search.
    static func solveUnchecked(n: Int, cost: UnsafeBufferPointer<Double>, unit: Kernels.VectorUnit,
                               sparse: Bool = true) -> [Int] {
        if n == 1 { return [0] }
        let c = cost.baseAddress!
        let useSparse = sparse && n >= sparseMinimumSize
        for attempt in useSparse ? [true, false] : [false] {
            var x = [Int](repeating: -1, count: n)   // row -> column
            var y = [Int](repeating: -1, count: n)   // column -> row
            var v = [Double](repeating: 0, count: n) // column prices
            let solved = x.withUnsafeMutableBufferPointer { x in
                y.withUnsafeMutableBufferPointer { y in
                    v.withUnsafeMutableBufferPointer { v in
                        let (x, y, v) = (x.baseAddress!, y.baseAddress!, v.baseAddress!)
                        if attempt {
                            let free = reduceColumns(n: n, c: c, x: x, y: y, v: v, unit: unit)
                            return solveSparse(n: n, c: c, free: free, x: x, y: y, v: v, unit: unit)
                        }
                        let free = reduce(n: n, c: c, x: x, y: y, v: v, unit: unit)
                        augment(n: n, c: c, free: free, x: x, y: y, v: v, unit: unit)
                        return true
                    }
                }
            }
            if solved { return x }
        }
        preconditionFailure("the dense search always completes")
    }

    /// Column reduction, reduction transfer and two rounds of augmenting row reduction; returns
    /// the rows left unassigned.
    static func reduce(n: Int, c: UnsafePointer<Double>, x: UnsafeMutablePointer<Int>, y: UnsafeMutablePointer<Int>,
                       v: UnsafeMutablePointer<Double>, unit: Kernels.VectorUnit) -> [Int] {
        let free = reduceColumns(n: n, c: c, x: x, y: y, v: v, unit: unit)
        return augmentingRowReduction(n: n, free: free, x: x, y: y, v: v) { i in
            Kernels.twoSmallest(unit, c: c + i * n, v: v, count: n)
        }
    }

    /// Column reduction and reduction transfer; returns the rows left unassigned. Every assigned
    /// row's match then has the least reduced cost `c[i, j] − v[j]` of its row.
    static func reduceColumns(n: Int, c: UnsafePointer<Double>, x: UnsafeMutablePointer<Int>, y: UnsafeMutablePointer<Int>,
                              v: UnsafeMutablePointer<Double>, unit: Kernels.VectorUnit) -> [Int] {
        var free = [Int]()
        free.reserveCapacity(n)

        // MARK: Column reduction (row-major scan for column minima; first minimum wins)
        // Each core scans a band of rows; the bands are merged in row order, a later band's
        // minimum replacing an earlier one only when strictly smaller: the first minimum still wins.
        let parts = Kernels.threadCount(requested: nil, elements: n * n)
        let bands = Kernels.ranges(rows: n, parts: parts)
        var minima = [Double](repeating: .infinity, count: parts * n)
        var arguments = [Int](repeating: 0, count: parts * n)
        minima.withUnsafeMutableBufferPointer { minima in
            arguments.withUnsafeMutableBufferPointer { arguments in
                let (minima, arguments) = (minima.baseAddress!, arguments.baseAddress!)
                Kernels.parallel(parts) { t in
                    for i in bands[t] {
                        Kernels.columnMinimumStep(unit, row: c + i * n, index: i, colMin: minima + t * n,
                                                  colArg: arguments + t * n, count: n)
                    }
                }
            }
        }
        var colMin = Array(minima[0..<n]), colArg = Array(arguments[0..<n])
        for t in 1..<parts {
            for j in 0..<n where minima[t * n + j] < colMin[j] {
                colMin[j] = minima[t * n + j]
                colArg[j] = arguments[t * n + j]
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
                let j1 = x[i], row = c + i * n
                let m = Swift.min(Kernels.reducedMinimum(unit, c: row, v: v, from: 0, to: j1),
                                  Kernels.reducedMinimum(unit, c: row, v: v, from: j1 + 1, to: n))
                v[j1] -= m
            }
        }
        // Rows that matched several columns keep one; the columns they dropped are free.
        return free
    }

    /// Two rounds of augmenting row reduction of the rows `free`, bounded against float
    /// ping-pong; `twoSmallest(i)` gives the two least reduced costs of row `i` (over the
    /// columns the search may use) as ``Kernels/twoSmallest(_:c:v:count:)`` does. Returns the
    /// rows left unassigned.
    static func augmentingRowReduction(n: Int, free: [Int], x: UnsafeMutablePointer<Int>, y: UnsafeMutablePointer<Int>,
                                       v: UnsafeMutablePointer<Double>,
                                       twoSmallest: (Int) -> (umin: Double, first: Int, usub: Double, second: Int)) -> [Int] {
        var free = free
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
                let (umin, first, usub, j2) = twoSmallest(i)
                var j1 = first
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
        return free
    }

    /// Augmentation along shortest paths over reduced costs, one free row at a time.
    ///
    /// The search keeps the columns in `cols` as ready `[0, low)`, to scan `[low, up)` (all at
    /// the current distance `minD`) and to do `[up, n)`, and breaks ties by position in `cols`
    /// (as Jonker and Volgenant's original). The relaxation by a scanned row runs over all
    /// columns in index order (vectorised), with the columns no longer "to do" holding
    /// `d = −∞` (their distance moved to `settled`); the few columns it brings to exactly
    /// `minD` are then taken in `cols` order (`position` is the inverse of `cols`), so every
    /// choice is the one of the plain positional scan.
    static func augment(n: Int, c: UnsafePointer<Double>, free: [Int], x: UnsafeMutablePointer<Int>,
                        y: UnsafeMutablePointer<Int>, v: UnsafeMutablePointer<Double>, unit: Kernels.VectorUnit) {
        let d = UnsafeMutablePointer<Double>.allocate(capacity: n)
        let settled = UnsafeMutablePointer<Double>.allocate(capacity: n)
        let pred = UnsafeMutablePointer<Int>.allocate(capacity: n)
        let cols = UnsafeMutablePointer<Int>.allocate(capacity: n)
        let position = UnsafeMutablePointer<Int>.allocate(capacity: n)
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: n)
        defer {
            d.deallocate(); settled.deallocate(); pred.deallocate()
            cols.deallocate(); position.deallocate(); hits.deallocate()
        }
        /// Moves column `j` (at position `k >= up`) to position `up`.
        @inline(__always) func swapToScan(_ j: Int, _ k: Int, _ up: Int) {
            let other = cols[up]
            cols[k] = other; position[other] = k
            cols[up] = j; position[j] = up
        }
        for f in free {
            let fb = c + f * n
            for j in 0..<n { d[j] = fb[j] - v[j]; pred[j] = f; cols[j] = j; position[j] = j }
            var low = 0, up = 0
            var end = -1
            var minD = 0.0
            while end < 0 {
                if up == low {
                    // Smallest distance among the columns to do, and every column at it.
                    minD = d[cols[up]]
                    up += 1
                    var k = up
                    while k < n {
                        let j = cols[k], h = d[j]
                        if h <= minD {
                            if h < minD { up = low; minD = h }
                            swapToScan(j, k, up); up += 1
                        }
                        k += 1
                    }
                    for k in low..<up {
                        let j = cols[k]
                        settled[j] = d[j]; d[j] = -.infinity
                    }
                    for k in low..<up where y[cols[k]] < 0 { end = cols[k]; break }
                    if end >= 0 { break }
                }
                let j1 = cols[low]
                low += 1
                let i = y[j1], ib = c + i * n
                let u1 = ib[j1] - v[j1] - minD
                let found = Kernels.relax(unit, c: ib, v: v, d: d, pred: pred, row: i, u1: u1, target: minD,
                                          hits: hits, count: n)
                if found == 0 { continue }
                // Columns brought to minD, in cols order (insertion sort: usually one or two).
                for a in 1..<Swift.max(found, 1) {
                    let j = hits[a]
                    var b = a
                    while b > 0, position[hits[b - 1]] > position[j] { hits[b] = hits[b - 1]; b -= 1 }
                    hits[b] = j
                }
                for a in 0..<found {
                    let j = hits[a]
                    if y[j] < 0 { end = j; break }
                    swapToScan(j, position[j], up); up += 1
                    settled[j] = d[j]; d[j] = -.infinity
                }
            }
            for k in 0..<low { let j = cols[k]; v[j] += settled[j] - minD }
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
    }
}

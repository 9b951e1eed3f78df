import CBLAS

/// The augmentation phase of ``LinearAssignment`` on a sparse candidate graph, made exact by a
/// check of every entry.
///
/// On a large dense problem most of Jonker–Volgenant's time goes into relaxing whole rows of
/// `n` costs, while an optimal assignment only ever uses entries of small reduced cost. Here the
/// shortest-path search runs over each row's ``candidatesPerRow`` entries of least reduced cost
/// `c[i, j] − v[j]` (plus its current match), with a heap instead of scans. Afterwards every
/// entry of the matrix is checked against the dual solution: an assignment is optimal when no
/// `c[i, j] − v[j]` is below row `i`'s matched `c[i, x[i]] − v[x[i]]` (dual feasibility with
/// complementary slackness). Rows that fail gain their offending entries, are freed and are
/// augmented again, until none fails. So the result is an optimal assignment of the whole matrix,
/// as exact as the dense search; when several are optimal it may pick another of them.
extension LinearAssignment {
    /// Entries of least reduced cost kept per row.
    static let candidatesPerRow = 32
    /// Problems from this size on use the sparse search (at 1536 it gains nothing yet).
    static let sparseMinimumSize = 2048
    /// Rows of least reduced cost added for each column left free by the row reduction.
    static let rowsPerFreeColumn = 16
    /// Check-and-repair rounds before giving up on the candidate graph.
    static let maximumRepairRounds = 8

    /// Completes the partial assignment `x`/`y` with column prices `v` left by
    /// ``reduceColumns(n:c:x:y:v:unit:)`` (rows `free` unassigned; every assigned row's match of
    /// least reduced cost over the whole row): augmenting row reduction and shortest augmenting
    /// paths on the candidate graph, then the check of every entry and the repairs.
    /// - Returns: `true` with an optimal assignment in `x`/`y`; `false` when the candidate graph
    ///   has no perfect matching or the repairs do not settle, leaving `x`, `y`, `v` spoiled
    ///   (the caller starts again densely).
    static func solveSparse(n: Int, c: UnsafePointer<Double>, free: [Int], x: UnsafeMutablePointer<Int>,
                            y: UnsafeMutablePointer<Int>, v: UnsafeMutablePointer<Double>,
                            unit: Kernels.VectorUnit) -> Bool {
        var graph = CandidateGraph(n: n, c: c, v: v, x: x, perRow: Swift.min(candidatesPerRow, n))
        var pending = graph.start.withUnsafeBufferPointer { start in
            graph.columns.withUnsafeBufferPointer { columns in
                augmentingRowReduction(n: n, free: free, x: x, y: y, v: v) { i in
                    Kernels.twoSmallest(c: c + i * n, v: v, columns: UnsafeBufferPointer(rebasing: columns[start[i]..<start[i + 1]]))
                }
            }
        }
        // Free columns are reached only through rows that list them: give each its own nearest
        // rows, freeing any assigned row whose match is then no longer its cheapest candidate.
        var extra: [Int: [Int]] = [:]
        for j in 0..<n where y[j] < 0 {
            for i in nearestRows(column: j, n: n, c: c, v: v, count: Swift.min(rowsPerFreeColumn, n)) {
                extra[i, default: []].append(j)
                if x[i] >= 0, c[i * n + j] - v[j] < c[i * n + x[i]] - v[x[i]] {
                    y[x[i]] = -1
                    x[i] = -1
                    pending.append(i)
                }
            }
        }
        graph.add(extra, c: c)
        let search = SparseSearch(n: n)
        for _ in 0..<maximumRepairRounds {
            for f in pending {
                guard search.augment(from: f, c: c, graph: graph, x: x, y: y, v: v) else { return false }
            }
            // Every entry against the duals: rows with an entry below their match's reduced cost
            // (found on all cores; `x` and `v` do not change meanwhile), then handled in order.
            pending = []
            var added = 0
            for i in rowsBelowTheirMatch(n: n, c: c, x: x, v: v, unit: unit) {
                let row = c + i * n, matched = x[i]
                let u = row[matched] - v[matched]
                added += graph.addEntries(row: i, below: u, c: row, v: v, n: n)
                pending.append(i)
            }
            // None, or only entries the graph has already (rounding, not a better assignment).
            if added == 0 { return true }
            for i in pending {
                y[x[i]] = -1
                x[i] = -1
            }
        }
        return false
    }

    /// The rows `i`, ascending, with some `c[i, j] − v[j]` below their match's
    /// `c[i, x[i]] − v[x[i]]`: the optimality check of every entry, rows split over the cores.
    static func rowsBelowTheirMatch(n: Int, c: UnsafePointer<Double>, x: UnsafePointer<Int>, v: UnsafePointer<Double>,
                                    unit: Kernels.VectorUnit) -> [Int] {
        var failing = [Bool](repeating: false, count: n)
        failing.withUnsafeMutableBufferPointer { failing in
            let failing = failing.baseAddress!
            forEachBand(rows: n, elements: n * n) { band in
                for i in band {
                    let row = c + i * n, matched = x[i]
                    failing[i] = Kernels.reducedMinimum(unit, c: row, v: v, from: 0, to: n) < row[matched] - v[matched]
                }
            }
        }
        return failing.indices.filter { failing[$0] }
    }

    /// The `count` rows of least `c[i, column] − v[column]`, least first (ties to the lower row):
    /// the column gathered, then the same selection as a row's candidates.
    static func nearestRows(column j: Int, n: Int, c: UnsafePointer<Double>, v: UnsafePointer<Double>, count: Int) -> [Int] {
        let reduced = (0..<n).map { i in c[i * n + j] - v[j] }
        let zeros = [Double](repeating: 0, count: n)
        var rows = [Int](repeating: 0, count: count)
        var scratch = [Double](repeating: 0, count: count)
        let found = transfuse_lap_candidates(reduced, zeros, n, count, &rows, &scratch)
        return rows.prefix(found).sorted { (reduced[$0], $0) < (reduced[$1], $1) }
    }
}

/// Each row's candidate columns, in compressed rows (`columns[start[i] ..< start[i + 1]]`),
/// looked up in the dense cost matrix.
struct CandidateGraph {
    private(set) var start: [Int]
    private(set) var columns: [Int]
    /// `costs[e] = c[i, columns[e]]`, kept beside the columns so that a search reads them in order.
    private(set) var costs: [Double] = []

    /// The `perRow` columns of least `c[i, j] − v[j]` of each row (ties to the lower column),
    /// plus the row's match `x[i]` when it has one, ascending; rows chosen on all cores.
    init(n: Int, c: UnsafePointer<Double>, v: UnsafePointer<Double>, x: UnsafePointer<Int>, perRow: Int) {
        let width = perRow + 1
        var slots = [Int](repeating: 0, count: n * width)
        var counts = [Int](repeating: 0, count: n)
        let chunks = Kernels.threadCount(requested: nil, elements: n * n)
        slots.withUnsafeMutableBufferPointer { slots in
            counts.withUnsafeMutableBufferPointer { counts in
                let (slots, counts) = (slots.baseAddress!, counts.baseAddress!)
                Kernels.parallel(chunks) { chunk in
                    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: perRow)
                    defer { scratch.deallocate() }
                    for i in stride(from: chunk, to: n, by: chunks) {
                        let row = slots + i * width
                        var count = transfuse_lap_candidates(c + i * n, v, n, perRow, row, scratch)
                        if x[i] >= 0, !UnsafeBufferPointer(start: row, count: count).contains(x[i]) {
                            row[count] = x[i]
                            count += 1
                        }
                        var list = UnsafeMutableBufferPointer(start: row, count: count)
                        list.sort()
                        counts[i] = count
                    }
                }
            }
        }
        var start = [Int](repeating: 0, count: n + 1)
        var columns = [Int]()
        columns.reserveCapacity(n * width)
        for i in 0..<n {
            start[i] = columns.count
            columns.append(contentsOf: slots[(i * width)..<(i * width + counts[i])])
        }
        start[n] = columns.count
        self.start = start
        self.columns = columns
        gatherCosts(c, n: n)
    }

    /// Fills ``costs`` from the dense matrix.
    private mutating func gatherCosts(_ c: UnsafePointer<Double>, n: Int) {
        var costs = [Double](repeating: 0, count: columns.count)
        for i in 0..<n {
            for e in start[i]..<start[i + 1] { costs[e] = c[i * n + columns[e]] }
        }
        self.costs = costs
    }

    /// Adds the columns `extra[i]` to row `i` (those it lacks), keeping rows ascending.
    mutating func add(_ extra: [Int: [Int]], c: UnsafePointer<Double>) {
        guard !extra.isEmpty else { return }
        var newStart = [Int](repeating: 0, count: start.count)
        var newColumns = [Int]()
        newColumns.reserveCapacity(columns.count + extra.values.reduce(0) { $0 + $1.count })
        for i in 0..<(start.count - 1) {
            newStart[i] = newColumns.count
            let row = columns[start[i]..<start[i + 1]]
            if let more = extra[i] {
                newColumns.append(contentsOf: Set(row).union(more).sorted())
            } else {
                newColumns.append(contentsOf: row)
            }
        }
        newStart[start.count - 1] = newColumns.count
        start = newStart
        columns = newColumns
        gatherCosts(c, n: start.count - 1)
    }

    /// Adds row `i`'s columns with `c[i, j] − v[j] < bound` that it lacks; returns how many.
    mutating func addEntries(row i: Int, below bound: Double, c row: UnsafePointer<Double>, v: UnsafePointer<Double>,
                             n: Int) -> Int {
        let present = Set(columns[start[i]..<start[i + 1]])
        let new = (0..<n).filter { row[$0] - v[$0] < bound && !present.contains($0) }
        guard !new.isEmpty else { return 0 }
        columns.insert(contentsOf: new, at: start[i + 1])
        columns[start[i]..<(start[i + 1] + new.count)].sort()
        for r in (i + 1)..<start.count { start[r] += new.count }
        costs.insert(contentsOf: new.map { _ in 0 }, at: start[i])
        for e in start[i]..<start[i + 1] { costs[e] = row[columns[e]] }
        return new.count
    }
}

/// Scratch of the sparse search (``transfuse_lap_sparse_augment``), kept between searches.
final class SparseSearch {
    private let n: Int
    private let distance: UnsafeMutablePointer<Double>
    private let predecessor, touched, settled: UnsafeMutablePointer<Int>
    private let scanned: UnsafeMutablePointer<CChar>
    private var heapKeys = UnsafeMutablePointer<Double>.allocate(capacity: 0)
    private var heapColumns = UnsafeMutablePointer<Int>.allocate(capacity: 0)
    private var heapCapacity = 0

    init(n: Int) {
        self.n = n
        distance = .allocate(capacity: n)
        distance.initialize(repeating: .infinity, count: n)
        scanned = .allocate(capacity: n)
        scanned.initialize(repeating: 0, count: n)
        predecessor = .allocate(capacity: n)
        touched = .allocate(capacity: n)
        settled = .allocate(capacity: n)
    }

    deinit {
        distance.deallocate(); scanned.deallocate(); predecessor.deallocate()
        touched.deallocate(); settled.deallocate(); heapKeys.deallocate(); heapColumns.deallocate()
    }

    /// Augments free row `f` along a shortest path and updates the prices of the columns scanned
    /// (as the dense search does); `false` when no free column is reachable.
    func augment(from f: Int, c: UnsafePointer<Double>, graph: CandidateGraph,
                 x: UnsafeMutablePointer<Int>, y: UnsafeMutablePointer<Int>, v: UnsafeMutablePointer<Double>) -> Bool {
        // Every improvement pushes one entry, by an edge of the first row or of a row scanned
        // (once each): at most one per graph edge.
        if heapCapacity < graph.columns.count + 1 {
            heapCapacity = graph.columns.count + 1
            heapKeys.deallocate(); heapColumns.deallocate()
            heapKeys = .allocate(capacity: heapCapacity)
            heapColumns = .allocate(capacity: heapCapacity)
        }
        let (keys, cols, capacity) = (heapKeys, heapColumns, heapCapacity)
        let status = graph.start.withUnsafeBufferPointer { start in
            graph.columns.withUnsafeBufferPointer { columns in
                graph.costs.withUnsafeBufferPointer { costs in
                    transfuse_lap_sparse_augment(f, n, c, start.baseAddress!, columns.baseAddress!, costs.baseAddress!, x, y, v,
                                                 distance, scanned, predecessor, touched, settled, keys, cols, capacity)
                }
            }
        }
        precondition(status >= 0, "the heap holds one entry per graph edge")
        return status == 1
    }
}

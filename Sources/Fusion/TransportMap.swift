import Foundation
import Transport

/// A transport map from the channels of a model being aligned (`n0`, rows) to the anchor's
/// (`n1`, columns), kept in the reference scaling `T = n0 · P` (`P` the OT plan), under which
/// rows sum to 1 for exact uniform marginals.
///
/// The input side of the next layer uses `T` with each source row scaled to sum to 1 (a
/// source channel's weight moves entirely onto its anchor channels); the output side, `T` with
/// each anchor column scaled to sum to 1 (an anchor channel becomes the barycentre of its
/// source channels). For equal widths and exact marginals both equal `T`; with
/// ``FusionOptions/Scaling/reference`` both sides use `T` as the reference code does; with
/// ``FusionOptions/Scaling/auto`` the output side keeps `T` when the source is wider
/// (`n0 > n1`) and is barycentric otherwise.
public struct TransportMap: Sendable {
    /// Dense, or its non-zero entries (with the dense form built on demand) when there are at
    /// most ``sparseLimit`` of them. A dense map's normalised sides are cached when it has a
    /// ``NormalizedSides`` (maps in use by the flow) and computed on each use when not (maps
    /// kept after the flow, see ``uncached``).
    private enum Storage: Sendable {
        case dense(Matrix, NormalizedSides?)
        case sparse(SparseMatrix)
    }

    /// A dense map's barycentric sides, each computed on first use and kept: a stream map feeds
    /// the input sides of Q, K and V and the output sides of a LayerNorm's two vectors.
    private final class NormalizedSides: @unchecked Sendable {
        private let lock = NSLock()
        private var rows: Matrix?
        private var columns: Matrix?

        /// ``TransportMap/normalize(_:rows:)`` of `m`, computed once per side.
        func normalized(_ m: Matrix, rows byRow: Bool) -> Matrix {
            lock.lock()
            defer { lock.unlock() }
            if let done = byRow ? rows : columns { return done }
            let out = TransportMap.normalize(m, rows: byRow)
            if byRow { rows = out } else { columns = out }
            return out
        }
    }

    /// `m` with each row (`rows == true`) or column scaled to sum to 1 (empty ones kept at 0).
    static func normalize(_ m: Matrix, rows byRow: Bool) -> Matrix {
        var out = m
        if byRow {
            for (i, s) in m.rowSums().enumerated() where s > 0 {
                for j in 0..<out.cols { out.storage[i * out.cols + j] /= s }
            }
        } else {
            let sums = m.columnSums()
            for i in 0..<out.rows {
                for j in 0..<out.cols where sums[j] > 0 { out.storage[i * out.cols + j] /= sums[j] }
            }
        }
        return out
    }

    private let storage: Storage

    /// `n0 × n1`, reference scaling.
    public var matrix: Matrix {
        switch storage {
        case let .dense(m, _): return m
        case let .sparse(s): return s.dense
        }
    }

    /// The non-zero entries (row-major), when there are at most ``sparseLimit`` of them.
    var sparse: SparseMatrix? {
        if case let .sparse(s) = storage { return s }
        return nil
    }

    /// The most non-zero entries a map is kept sparse with: an eighth of its entries, and at
    /// least `4·max(rows, cols)`. Exact OT plans have at most `rows + cols − 1`; the stream
    /// maps of the `mean` policy gain about one entry per row with every sub-layer (ViT-B's last,
    /// after 24 sub-layers, has 25 per row of 768, 3%). Below an eighth, a product that goes
    /// through the entries does less work than a dense BLAS product, even at BLAS's far higher
    /// rate per operation.
    static func sparseLimit(rows: Int, cols: Int) -> Int { max(4 * max(rows, cols), rows * cols / 8) }

    /// `T = n0 · plan`, written into a new matrix in one pass (the plan usually still belongs
    /// to its `TransportResult`: scaling it in place would copy it first).
    public init(plan: Matrix) {
        self.init(scaled: plan.scaled(by: Double(plan.rows)))
    }

    /// The map of a solved problem: from the plan's entries when the solver gave them (no
    /// dense plan is built or scanned), else as ``init(plan:)``. The same values either way.
    public init(result: TransportResult) {
        if let plan = result.sparsePlan, plan.entries.count <= Self.sparseLimit(rows: plan.rows, cols: plan.cols) {
            self.init(storage: .sparse(plan.scaled(by: Double(plan.rows))))
        } else {
            self.init(plan: result.plan)
        }
    }

    /// A map already in reference scaling; scanned once for its non-zero entries.
    public init(scaled: Matrix) {
        if let s = SparseMatrix(scaled, limit: Self.sparseLimit(rows: scaled.rows, cols: scaled.cols)) {
            self.init(storage: .sparse(s))
        } else {
            self.init(storage: .dense(scaled, NormalizedSides()))
        }
    }

    private init(storage: Storage) { self.storage = storage }

    /// The identity (`min(n0, n1)` ones on the diagonal), the reference's `resid_as_identity`.
    static func identity(rows: Int, cols: Int) -> TransportMap {
        var m = Matrix(rows: rows, cols: cols)
        for i in 0..<min(rows, cols) { m[i, i] = 1 }
        return TransportMap(scaled: m)
    }

    var rows: Int {
        switch storage {
        case let .dense(m, _): return m.rows
        case let .sparse(s): return s.rows
        }
    }

    var cols: Int {
        switch storage {
        case let .dense(m, _): return m.cols
        case let .sparse(s): return s.cols
        }
    }

    /// The matrix that aligns an input axis (`W0 · T`).
    func inputSide(_ scaling: FusionOptions.Scaling) -> Matrix {
        normalizes(.input, scaling) ? normalized(rows: true) : matrix
    }

    /// The matrix that aligns an output axis (`Tᵀ · W0`, `vᵀ · T`).
    func outputSide(_ scaling: FusionOptions.Scaling) -> Matrix {
        normalizes(.output, scaling) ? normalized(rows: false) : matrix
    }

    /// `T` with rows (or columns) scaled to sum to 1; kept for a dense map that caches its sides.
    private func normalized(rows: Bool) -> Matrix {
        switch storage {
        case let .dense(m, sides?): return sides.normalized(m, rows: rows)
        case let .dense(m, nil): return Self.normalize(m, rows: rows)
        case let .sparse(s): return Self.normalize(s.dense, rows: rows)
        }
    }

    /// The same map (sharing its matrix) without cached sides, for keeping after the flow: the
    /// flow caches both normalised sides of a dense map, which would triple the memory of every
    /// kept map (ViT-B's Sinkhorn maps: 4.5 GB instead of 1.3 GB); their later users (REPAIR,
    /// the refit, the global stream search) use each side once or twice.
    var uncached: TransportMap {
        guard case let .dense(m, _) = storage else { return self }
        return TransportMap(storage: .dense(m, nil))
    }

    /// Whether `side` is normalised (barycentric) under `scaling`, or keeps `T` as it is.
    func normalizes(_ side: Side, _ scaling: FusionOptions.Scaling) -> Bool {
        switch scaling {
        case .barycentric: return true
        case .reference: return false
        case .auto: return side == .input || rows <= cols
        }
    }

    /// `Σ cᵢ·Tᵢ` (the residual policies are linear in the maps). Sparse maps are merged entry by
    /// entry: each position's terms are added in the parts' order, as ``Dense/combination(_:)``
    /// adds them (a missing entry adds nothing), and sums of exactly 0 are left out, as the scan
    /// of a dense result would; a sum with more entries than ``sparseLimit`` goes dense.
    static func combine(_ parts: [(Double, TransportMap)]) -> TransportMap {
        let used = parts.filter { $0.0 != 0 }
        let sparse = used.compactMap { part in part.1.sparse.map { (part.0, $0) } }
        guard let first = parts.first?.1, sparse.count == used.count,
              parts.allSatisfy({ $0.1.rows == first.rows && $0.1.cols == first.cols }) else {
            return TransportMap(scaled: Dense.combination(parts.map { ($0.0, $0.1.matrix) }))
        }
        let (rows, cols) = (first.rows, first.cols)
        var next = [Int](repeating: 0, count: sparse.count)
        var entries: [SparseEntry] = []
        while true {
            // The least position still to add, in row-major order.
            var position = Int.max
            for (k, part) in sparse.enumerated() where next[k] < part.1.entries.count {
                let e = part.1.entries[next[k]]
                position = Swift.min(position, e.row * cols + e.col)
            }
            guard position < Int.max else { break }
            var sum = 0.0
            for (k, part) in sparse.enumerated() where next[k] < part.1.entries.count {
                let e = part.1.entries[next[k]]
                guard e.row * cols + e.col == position else { continue }
                sum += part.0 * e.value
                next[k] += 1
            }
            if sum != 0 { entries.append(SparseEntry(row: position / cols, col: position % cols, value: sum)) }
        }
        guard entries.count <= sparseLimit(rows: rows, cols: cols) else {
            return TransportMap(scaled: SparseMatrix(rows: rows, cols: cols, entries: entries).dense)
        }
        return TransportMap(storage: .sparse(SparseMatrix(rows: rows, cols: cols, entries: entries)))
    }

    /// `T_r · diag(a) + T_s · diag(b)` (per anchor channel weights).
    static func combineColumns(_ r: TransportMap, _ a: [Double], _ s: TransportMap, _ b: [Double]) -> TransportMap {
        var m = Matrix(rows: r.rows, cols: r.cols)
        let rm = r.matrix, sm = s.matrix
        for i in 0..<m.rows {
            for j in 0..<m.cols { m[i, j] = rm[i, j] * a[j] + sm[i, j] * b[j] }
        }
        return TransportMap(scaled: m)
    }
}

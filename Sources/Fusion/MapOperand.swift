import Transport

/// One side of a transport map, scaled for products (``TransportMap/side(_:_:)``): its
/// non-zero entries when it has few (``TransportMap/sparseLimit(rows:cols:)``: exact OT plans
/// and the averaged stream maps of the `mean` policy), else the dense matrix.
///
/// Products with the sparse form add, for every output entry, its terms in the entries'
/// (row-major) order, starting from 0; dense forms go through BLAS.
enum MapOperand {
    /// `rows × cols` with non-zero `entries` in row-major order.
    case sparse(rows: Int, cols: Int, entries: [SparseEntry])
    case dense(Matrix)

    typealias SparseEntry = Transport.SparseEntry

    var rows: Int {
        switch self {
        case let .sparse(rows, _, _): return rows
        case let .dense(m): return m.rows
        }
    }

    var cols: Int {
        switch self {
        case let .sparse(_, cols, _): return cols
        case let .dense(m): return m.cols
        }
    }

    /// The dense matrix (for callers that need one, e.g. a dense product).
    var matrix: Matrix {
        switch self {
        case let .dense(m): return m
        case let .sparse(rows, cols, entries):
            var m = Matrix(rows: rows, cols: cols)
            for e in entries { m.storage[e.row * cols + e.col] = e.value }
            return m
        }
    }
}

extension TransportMap {
    /// Which side of a layer a map aligns.
    enum Side {
        /// The input axis (`W0 · T`): each source row scaled to sum to 1 (barycentric).
        case input
        /// The output axis (`Tᵀ · W0`, `vᵀ · T`): each anchor column scaled to sum to 1 (barycentric).
        case output
    }

    /// The map scaled for `side` (``inputSide(_:)`` / ``outputSide(_:)``), sparse when the map
    /// is (``sparseLimit(rows:cols:)``), without a dense scaled copy then.
    func side(_ side: Side, _ scaling: FusionOptions.Scaling) -> MapOperand {
        guard let entries = sparse?.entries else {
            return .dense(side == .input ? inputSide(scaling) : outputSide(scaling))
        }
        var scaled = entries
        if normalizes(side, scaling) {
            // Sums in the order of `Matrix.rowSums` / `columnSums` (zeros add nothing).
            var sums = [Double](repeating: 0, count: side == .input ? rows : cols)
            for e in entries { sums[side == .input ? e.row : e.col] += e.value }
            for k in scaled.indices {
                let s = sums[side == .input ? scaled[k].row : scaled[k].col]
                if s > 0 { scaled[k].value /= s }
            }
        }
        return .sparse(rows: rows, cols: cols, entries: scaled)
    }
}

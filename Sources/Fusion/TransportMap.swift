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
    /// `n0 × n1`, reference scaling.
    public var matrix: Matrix

    /// `T = n0 · plan`, written into a new matrix in one pass (the plan usually still belongs
    /// to its `TransportResult`: scaling it in place would copy it first).
    public init(plan: Matrix) {
        matrix = plan.scaled(by: Double(plan.rows))
    }

    public init(scaled: Matrix) { matrix = scaled }

    /// The identity (`min(n0, n1)` ones on the diagonal), the reference's `resid_as_identity`.
    static func identity(rows: Int, cols: Int) -> TransportMap {
        var m = Matrix(rows: rows, cols: cols)
        for i in 0..<min(rows, cols) { m[i, i] = 1 }
        return TransportMap(scaled: m)
    }

    var rows: Int { matrix.rows }
    var cols: Int { matrix.cols }

    /// The matrix that aligns an input axis (`W0 · T`).
    func inputSide(_ scaling: FusionOptions.Scaling) -> Matrix {
        guard normalizes(.input, scaling) else { return matrix }
        var m = matrix
        for (i, s) in matrix.rowSums().enumerated() where s > 0 {
            for j in 0..<m.cols { m.storage[i * m.cols + j] /= s }
        }
        return m
    }

    /// The matrix that aligns an output axis (`Tᵀ · W0`, `vᵀ · T`).
    func outputSide(_ scaling: FusionOptions.Scaling) -> Matrix {
        guard normalizes(.output, scaling) else { return matrix }
        var m = matrix
        let sums = matrix.columnSums()
        for i in 0..<m.rows {
            for j in 0..<m.cols where sums[j] > 0 { m.storage[i * m.cols + j] /= sums[j] }
        }
        return m
    }

    /// Whether `side` is normalised (barycentric) under `scaling`, or keeps `T` as it is.
    func normalizes(_ side: Side, _ scaling: FusionOptions.Scaling) -> Bool {
        switch scaling {
        case .barycentric: return true
        case .reference: return false
        case .auto: return side == .input || rows <= cols
        }
    }

    /// `Σ cᵢ·Tᵢ` (the residual policies are linear in the maps).
    static func combine(_ parts: [(Double, TransportMap)]) -> TransportMap {
        TransportMap(scaled: Dense.combination(parts.map { ($0.0, $0.1.matrix) }))
    }

    /// `T_r · diag(a) + T_s · diag(b)` (per anchor channel weights).
    static func combineColumns(_ r: TransportMap, _ a: [Double], _ s: TransportMap, _ b: [Double]) -> TransportMap {
        var m = Matrix(rows: r.rows, cols: r.cols)
        for i in 0..<m.rows {
            for j in 0..<m.cols { m[i, j] = r.matrix[i, j] * a[j] + s.matrix[i, j] * b[j] }
        }
        return TransportMap(scaled: m)
    }
}

import CBLAS
import Transport

/// Dense products on `Matrix` through OpenBLAS; the only file of `Fusion` that imports `CBLAS`.
enum Dense {
    /// `op(A) · op(B)` where `op` optionally transposes; shapes must agree (checked by callers).
    static func multiply(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> Matrix {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let n = transposeB ? b.rows : b.cols
        precondition(k == (transposeB ? b.cols : b.rows), "inner dimensions differ")
        var out = Matrix(rows: m, cols: n)
        guard m > 0, n > 0, k > 0 else { return out }
        a.storage.withUnsafeBufferPointer { ap in
            b.storage.withUnsafeBufferPointer { bp in
                out.storage.withUnsafeMutableBufferPointer { op in
                    cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                                transposeB ? CblasTrans : CblasNoTrans,
                                blasint(m), blasint(n), blasint(k), 1.0,
                                ap.baseAddress, blasint(a.cols), bp.baseAddress, blasint(b.cols),
                                0.0, op.baseAddress, blasint(n))
                }
            }
        }
        return out
    }

    /// `vᵀ · M` for a vector of `M.rows` values: `M.cols` values.
    static func rowTimes(_ v: [Double], _ m: Matrix) -> [Double] {
        precondition(v.count == m.rows)
        var out = [Double](repeating: 0, count: m.cols)
        for i in 0..<m.rows where v[i] != 0 {
            let vi = v[i]
            let base = i * m.cols
            for j in 0..<m.cols { out[j] += vi * m.storage[base + j] }
        }
        return out
    }

    /// Rows `[start, start + count)` of `m`.
    static func rows(_ m: Matrix, _ start: Int, _ count: Int) -> Matrix {
        var out = Matrix(rows: count, cols: m.cols)
        out.storage = Array(m.storage[(start * m.cols)..<((start + count) * m.cols)])
        return out
    }

    /// `[A | B]`: the columns of `b` appended to those of `a` (same row count).
    static func concatColumns(_ parts: [Matrix]) -> Matrix {
        let rows = parts[0].rows
        let cols = parts.reduce(0) { $0 + $1.cols }
        var out = Matrix(rows: rows, cols: cols)
        for i in 0..<rows {
            var offset = i * cols
            for p in parts {
                out.storage.replaceSubrange(offset..<(offset + p.cols), with: p.storage[(i * p.cols)..<((i + 1) * p.cols)])
                offset += p.cols
            }
        }
        return out
    }

    /// `[A; B]`: rows stacked (same column count).
    static func concatRows(_ parts: [Matrix]) -> Matrix {
        var out = Matrix(rows: parts.reduce(0) { $0 + $1.rows }, cols: parts[0].cols)
        out.storage = parts.flatMap(\.storage)
        return out
    }

    /// `Σ cᵢ·Xᵢ` of equally shaped matrices.
    static func combination(_ parts: [(Double, Matrix)]) -> Matrix {
        var out = Matrix(rows: parts[0].1.rows, cols: parts[0].1.cols)
        for (c, x) in parts where c != 0 {
            for k in out.storage.indices { out.storage[k] += c * x.storage[k] }
        }
        return out
    }
}

// MARK: - Products with transport maps (sparse when the plan is)

extension Dense {
    /// Non-zero entries `(i, j, value)` of `m` when it has at most `4·max(rows, cols)` of them
    /// (exact OT plans have at most `rows + cols − 1`), else `nil`.
    static func sparseEntries(_ m: Matrix) -> [(Int, Int, Double)]? {
        let limit = 4 * max(m.rows, m.cols)
        var entries: [(Int, Int, Double)] = []
        for k in m.storage.indices where m.storage[k] != 0 {
            entries.append((k / m.cols, k % m.cols, m.storage[k]))
            if entries.count > limit { return nil }
        }
        return entries
    }

    /// `W · T` (`W` is `r × n0`, `T` is `n0 × n1`): the input side of a layer.
    static func timesMap(_ w: Matrix, _ t: Matrix) -> Matrix {
        guard let entries = sparseEntries(t) else { return multiply(w, t) }
        var out = Matrix(rows: w.rows, cols: t.cols)
        for (i, j, v) in entries {
            for r in 0..<w.rows { out.storage[r * t.cols + j] += v * w.storage[r * w.cols + i] }
        }
        return out
    }

    /// `Tᵀ · W` (`T` is `n0 × n1`, `W` is `n0 × c`): the output side of a layer.
    static func mapTransposedTimes(_ t: Matrix, _ w: Matrix) -> Matrix {
        guard let entries = sparseEntries(t) else { return multiply(t, w, transposeA: true) }
        var out = Matrix(rows: t.cols, cols: w.cols)
        for (i, j, v) in entries {
            let src = i * w.cols, dst = j * w.cols
            for c in 0..<w.cols { out.storage[dst + c] += v * w.storage[src + c] }
        }
        return out
    }
}

import Transport

/// Dense operations on `Matrix` for the flow graph (products through ``Transport/BLAS``).
enum Dense {
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
    /// `W · T` (`W` is `r × n0`, `T` is `n0 × n1`): the input side of a layer. Sparse maps go
    /// row by row through `W` (contiguous reads; bands of rows on each core), each output entry
    /// summing its terms in the entries' order.
    static func timesMap(_ w: Matrix, _ t: MapOperand) -> Matrix {
        guard case let .sparse(_, cols, entries) = t else { return BLAS.multiply(w, t.matrix) }
        var out = Matrix(rows: w.rows, cols: cols)
        guard w.rows > 0, !entries.isEmpty else { return out }
        let inner = w.cols
        w.storage.withUnsafeBufferPointer { wp in
            out.storage.withUnsafeMutableBufferPointer { op in
                guard let wBase = wp.baseAddress, let oBase = op.baseAddress else { return }
                forEachBand(rows: w.rows, elements: w.rows * entries.count) { band in
                    for r in band {
                        let wr = wBase + r * inner, or = oBase + r * cols
                        for e in entries { or[e.col] += e.value * wr[e.row] }
                    }
                }
            }
        }
        return out
    }

    /// `Tᵀ · W` (`T` is `n0 × n1`, `W` is `n0 × c`): the output side of a layer. Sparse maps:
    /// each core takes a band of output rows and adds, in the entries' order, the entries that
    /// land in it.
    static func mapTransposedTimes(_ t: MapOperand, _ w: Matrix) -> Matrix {
        guard case let .sparse(_, cols, entries) = t else { return BLAS.multiply(t.matrix, w, transposeA: true) }
        var out = Matrix(rows: cols, cols: w.cols)
        guard w.cols > 0, !entries.isEmpty else { return out }
        let width = w.cols
        w.storage.withUnsafeBufferPointer { wp in
            out.storage.withUnsafeMutableBufferPointer { op in
                guard let wBase = wp.baseAddress, let oBase = op.baseAddress else { return }
                forEachBand(rows: cols, elements: entries.count * width) { band in
                    for e in entries where band.contains(e.col) {
                        let src = wBase + e.row * width, dst = oBase + e.col * width
                        for c in 0..<width { dst[c] += e.value * src[c] }
                    }
                }
            }
        }
        return out
    }

    /// `vᵀ · T` for a vector of `T.rows` values: `T.cols` values.
    static func rowTimes(_ v: [Double], _ t: MapOperand) -> [Double] {
        guard case let .sparse(rows, cols, entries) = t else { return rowTimes(v, t.matrix) }
        precondition(v.count == rows)
        var out = [Double](repeating: 0, count: cols)
        for e in entries where v[e.row] != 0 { out[e.col] += v[e.row] * e.value }
        return out
    }
}

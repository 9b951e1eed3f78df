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
    /// column by column through `T`'s entries (``ColumnOrder``) for eight rows of `W` at once:
    /// each core takes bands of eight-row blocks, copies a block's columns into vectors, and
    /// sums each output entry's terms in ascending row of `T`, that is in the entries' order,
    /// as the dense loops over the scaled matrix did (a map of ViT-B's `mean` stream policy
    /// has up to 25 entries per row of 768).
    static func timesMap(_ w: Matrix, _ t: MapOperand) -> Matrix {
        guard case let .sparse(_, cols, entries) = t else { return BLAS.multiply(w, t.matrix) }
        guard w.rows > 0, cols > 0, !entries.isEmpty else { return Matrix(rows: w.rows, cols: cols) }
        let order = ColumnOrder(entries, cols: cols)
        let inner = w.cols, blocks = (w.rows + 7) / 8
        // Every entry of the result is written (each column of each block), so no zeros first.
        return Matrix(rows: w.rows, cols: cols) { out in
            w.storage.withUnsafeBufferPointer { wp in
                guard let wBase = wp.baseAddress, let oBase = out.baseAddress else { return }
                forEachBand(rows: blocks, elements: w.rows * entries.count) { band in
                    let block = UnsafeMutablePointer<SIMD8<Double>>.allocate(capacity: inner)
                    defer { block.deallocate() }
                    for b in band {
                        let first = b * 8, count = Swift.min(8, w.rows - first)
                        // Lanes past the last row repeat it; they are never written out.
                        func row(_ lane: Int) -> UnsafePointer<Double> { wBase + (first + Swift.min(lane, count - 1)) * inner }
                        let (r0, r1, r2, r3, r4, r5, r6, r7) = (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7))
                        for i in 0..<inner { block[i] = SIMD8(r0[i], r1[i], r2[i], r3[i], r4[i], r5[i], r6[i], r7[i]) }
                        order.sums(block, first: first, count: count, into: oBase, cols: cols)
                    }
                }
            }
        }
    }

    /// A sparse map's entries grouped by column, each column's in ascending row (a stable
    /// counting sort of the row-major entries): column `c` holds `starts[c]..<starts[c + 1]`.
    private struct ColumnOrder {
        var starts: [Int]
        var rows: [Int]
        var values: [Double]

        init(_ entries: [MapOperand.SparseEntry], cols: Int) {
            var starts = [Int](repeating: 0, count: cols + 1)
            for e in entries { starts[e.col + 1] += 1 }
            for c in 0..<cols { starts[c + 1] += starts[c] }
            var next = starts
            var rows = [Int](repeating: 0, count: entries.count)
            var values = [Double](repeating: 0, count: entries.count)
            for e in entries {
                rows[next[e.col]] = e.row
                values[next[e.col]] = e.value
                next[e.col] += 1
            }
            self.starts = starts
            self.rows = rows
            self.values = values
        }

        /// Row `first + lane` of the product, for each `lane < count`, from `block[i][lane]` =
        /// that row's entry `i` of `W`: every column's terms summed in the column's order.
        func sums(_ block: UnsafePointer<SIMD8<Double>>, first: Int, count: Int, into out: UnsafeMutablePointer<Double>, cols: Int) {
            starts.withUnsafeBufferPointer { s in
                rows.withUnsafeBufferPointer { rp in
                    values.withUnsafeBufferPointer { vp in
                        for c in 0..<cols {
                            var sum = SIMD8<Double>.zero
                            for k in s[c]..<s[c + 1] { sum += SIMD8(repeating: vp[k]) * block[rp[k]] }
                            for lane in 0..<count { out[(first + lane) * cols + c] = sum[lane] }
                        }
                    }
                }
            }
        }
    }

    /// `Tᵀ · W` (`T` is `n0 × n1`, `W` is `n0 × c`): the output side of a layer. Sparse maps:
    /// each core takes a band of output rows and adds, in the entries' order, the entries that
    /// land in it.
    static func mapTransposedTimes(_ t: MapOperand, _ w: Matrix) -> Matrix {
        guard case let .sparse(_, cols, entries) = t else { return BLAS.multiply(t.matrix, w, transposeA: true) }
        guard w.cols > 0, !entries.isEmpty else { return Matrix(rows: cols, cols: w.cols) }
        let width = w.cols
        // Each band zeroes its own rows (on its own core, first touch included) before adding.
        return Matrix(rows: cols, cols: width) { out in
            w.storage.withUnsafeBufferPointer { wp in
                guard let wBase = wp.baseAddress, let oBase = out.baseAddress else { return }
                forEachBand(rows: cols, elements: entries.count * width) { band in
                    (oBase + band.lowerBound * width).initialize(repeating: 0, count: band.count * width)
                    for e in entries where band.contains(e.col) {
                        let src = wBase + e.row * width, dst = oBase + e.col * width
                        for c in 0..<width { dst[c] += e.value * src[c] }
                    }
                }
            }
        }
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

import CBLAS

/// Vector kernels of the Jonker–Volgenant assignment solver (AVX-512F or AVX2 C kernels of the
/// CBLAS shim where available, portable loops otherwise). Each computes exactly what the scalar
/// loop does — the same subtractions, comparisons and lowest-index tie rule — so the solver
/// makes the same choices whichever unit runs it.
extension Kernels {
    /// Relaxation of the shortest-path search by one scanned row: for every column `j` with
    /// `h = (c[j] − v[j]) − u1 < d[j]`, sets `d[j] = h` and `pred[j] = row`, and appends `j` to
    /// `hits` (ascending) when `h == target`. Columns outside the search must hold `d = −∞`.
    /// `hits` has room for `count` entries; returns how many were written.
    @inline(__always)
    static func relax(_ unit: VectorUnit, c: UnsafePointer<Double>, v: UnsafePointer<Double>,
                      d: UnsafeMutablePointer<Double>, pred: UnsafeMutablePointer<Int>, row: Int,
                      u1: Double, target: Double, hits: UnsafeMutablePointer<Int>, count n: Int) -> Int {
        switch unit {
        #if arch(x86_64)
        case .avx512: return transfuse_lap_relax_avx512(c, v, d, pred, row, u1, target, hits, n)
        case .avx2: return transfuse_lap_relax_avx2(c, v, d, pred, row, u1, target, hits, n)
        #endif
        default:
            var found = 0
            for j in 0..<n {
                let h = c[j] - v[j] - u1
                if h < d[j] {
                    d[j] = h
                    pred[j] = row
                    if h == target { hits[found] = j; found += 1 }
                }
            }
            return found
        }
    }

    /// The two smallest reduced costs `h[j] = c[j] − v[j]` of a row (`count >= 1`): `first` is
    /// the lowest index of the minimum, `second` the lowest index other than `first` of the
    /// minimum over the others, with their values — what a left-to-right scan keeping the
    /// smallest and second smallest with strict comparisons finds (`second = −1`, `usub = +∞` for
    /// a single column).
    @inline(__always)
    static func twoSmallest(_ unit: VectorUnit, c: UnsafePointer<Double>, v: UnsafePointer<Double>,
                            count n: Int) -> (umin: Double, first: Int, usub: Double, second: Int) {
        switch unit {
        #if arch(x86_64)
        case .avx512, .avx2:
            let wide = unit == .avx512
            func minimum(_ lo: Int, _ hi: Int) -> Double { reducedMinimum(unit, c: c, v: v, from: lo, to: hi) }
            func find(_ lo: Int, _ hi: Int, _ value: Double) -> Int {
                wide ? transfuse_lap_find_avx512(c, v, lo, hi, value) : transfuse_lap_find_avx2(c, v, lo, hi, value)
            }
            let j1 = find(0, n, minimum(0, n))
            let usub = Swift.min(minimum(0, j1), minimum(j1 + 1, n))
            let below = find(0, j1, usub)
            let j2 = below >= 0 ? below : find(j1 + 1, n, usub)
            if j2 < 0 { return (c[j1] - v[j1], j1, .infinity, -1) }  // a single column
            return (c[j1] - v[j1], j1, c[j2] - v[j2], j2)
        #endif
        default:
            return twoSmallest(c: c, v: v, columns: 0..<n)
        }
    }

    /// ``twoSmallest(_:c:v:count:)`` over the given (non-empty, ascending) `columns` of a row
    /// only, by a left-to-right scan: the portable path, and the sparse search's candidates.
    @inline(__always)
    static func twoSmallest<Columns: Collection<Int>>(c: UnsafePointer<Double>, v: UnsafePointer<Double>,
                                                      columns: Columns) -> (umin: Double, first: Int, usub: Double, second: Int) {
        var j1 = columns.first!, umin = c[j1] - v[j1]
        var usub = Double.infinity, j2 = -1
        for j in columns.dropFirst() {
            let h = c[j] - v[j]
            if h < usub {
                if h >= umin { usub = h; j2 = j } else { usub = umin; umin = h; j2 = j1; j1 = j }
            }
        }
        return (umin, j1, usub, j2)
    }

    /// Column reduction by row `i`: every `j` with `row[j] < colMin[j]` takes `colMin[j] =
    /// row[j]` and `colArg[j] = i` (strict comparison: the first row at a minimum keeps it).
    @inline(__always)
    static func columnMinimumStep(_ unit: VectorUnit, row: UnsafePointer<Double>, index i: Int,
                                  colMin: UnsafeMutablePointer<Double>, colArg: UnsafeMutablePointer<Int>, count n: Int) {
        #if arch(x86_64)
        if unit == .avx512 { transfuse_lap_column_min_avx512(row, colMin, colArg, i, n); return }
        #endif
        for j in 0..<n where row[j] < colMin[j] {
            colMin[j] = row[j]
            colArg[j] = i
        }
    }

    /// `min over j in lo..<hi of c[j] − v[j]` (+∞ for an empty range).
    @inline(__always)
    static func reducedMinimum(_ unit: VectorUnit, c: UnsafePointer<Double>, v: UnsafePointer<Double>,
                               from lo: Int, to hi: Int) -> Double {
        switch unit {
        #if arch(x86_64)
        case .avx512: return transfuse_lap_min_avx512(c, v, lo, hi)
        case .avx2: return transfuse_lap_min_avx2(c, v, lo, hi)
        #endif
        default:
            var m = Double.infinity
            for j in lo..<Swift.max(lo, hi) {
                let h = c[j] - v[j]
                if h < m { m = h }
            }
            return m
        }
    }

    /// First `j` in `lo..<hi` with `x[j] == value`, or −1.
    @inline(__always)
    static func firstIndex(of value: Double, in x: UnsafePointer<Double>, from lo: Int, to hi: Int) -> Int {
        #if arch(x86_64)
        switch vectorUnit {
        case .avx512: return transfuse_find_equal_avx512(x, lo, hi, value)
        case .avx2: return transfuse_find_equal_avx2(x, lo, hi, value)
        case .portable: break
        }
        #endif
        var j = lo
        while j < hi { if x[j] == value { return j }; j += 1 }
        return -1
    }
}

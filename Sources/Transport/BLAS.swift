import CBLAS

/// Thin wrappers over OpenBLAS's double-precision products.
public enum BLAS {
    /// `op(A) · op(B)` where `op` optionally transposes (`m × k` times `k × n`: `m × n`). The
    /// result is written straight into fresh storage (`dgemm` with β = 0 never reads it). Large
    /// products are cut into bands of the result's longer side, one per ``BLASThreads/count``,
    /// each a single-threaded `dgemm` on its own thread.
    /// - Precondition: the inner dimensions agree.
    public static func multiply(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> Matrix {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let n = transposeB ? b.rows : b.cols
        precondition(k == (transposeB ? b.cols : b.rows), "inner dimensions differ")
        guard m > 0, n > 0, k > 0 else { return Matrix(rows: m, cols: n) }
        // Bands of the longer side of the result, one per thread (``BLASThreads``).
        let parts = m * n * k < 1 << 20 ? 1 : Swift.min(BLASThreads.count, Swift.max(m, n))
        let byRows = m >= n
        return Matrix(rows: m, cols: n) { out in
            a.storage.withUnsafeBufferPointer { ap in
                b.storage.withUnsafeBufferPointer { bp in
                    guard let aBase = ap.baseAddress, let bBase = bp.baseAddress, let cBase = out.baseAddress else { return }
                    BLASThreads.singleThreaded {
                        let bands = Kernels.ranges(rows: byRows ? m : n, parts: parts)
                        Kernels.parallel(parts) { part in
                            let band = bands[part], s = band.lowerBound
                            // Rows of op(A) are rows of A, or its columns when transposed; the
                            // same for the columns of op(B).
                            let aStart = byRows ? aBase + (transposeA ? s : s * a.cols) : aBase
                            let bStart = byRows ? bBase : bBase + (transposeB ? s * b.cols : s)
                            cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                                        transposeB ? CblasTrans : CblasNoTrans,
                                        blasint(byRows ? band.count : m), blasint(byRows ? n : band.count), blasint(k), 1.0,
                                        aStart, blasint(a.cols), bStart, blasint(b.cols),
                                        0.0, cBase + (byRows ? s * n : s), blasint(n))
                        }
                    }
                }
            }
        }
    }

    /// `y ← A·x` (`trans == false`) or `y ← Aᵀ·x` for a row-major `rows × cols` buffer.
    static func multiplyVector(_ a: UnsafeBufferPointer<Double>, rows: Int, cols: Int, transposed: Bool,
                               _ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
        cblas_dgemv(CblasRowMajor, transposed ? CblasTrans : CblasNoTrans,
                    blasint(rows), blasint(cols), 1.0, a.baseAddress, blasint(cols),
                    x.baseAddress, 1, 0.0, y.baseAddress, 1)
    }
}

import CBLAS

/// Thin wrappers over OpenBLAS's double-precision products.
public enum BLAS {
    /// `op(A) · op(B)` where `op` optionally transposes (`m × k` times `k × n`: `m × n`). The
    /// result is written straight into fresh storage (`dgemm` with β = 0 never reads it).
    /// - Precondition: the inner dimensions agree.
    public static func multiply(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> Matrix {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let n = transposeB ? b.rows : b.cols
        precondition(k == (transposeB ? b.cols : b.rows), "inner dimensions differ")
        guard m > 0, n > 0, k > 0 else { return Matrix(rows: m, cols: n) }
        return Matrix(rows: m, cols: n) { out in
            a.storage.withUnsafeBufferPointer { ap in
                b.storage.withUnsafeBufferPointer { bp in
                    cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                                transposeB ? CblasTrans : CblasNoTrans,
                                blasint(m), blasint(n), blasint(k), 1.0,
                                ap.baseAddress, blasint(a.cols), bp.baseAddress, blasint(b.cols),
                                0.0, out.baseAddress, blasint(n))
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

import CBLAS

/// Thin wrappers over OpenBLAS; the only file that imports `CBLAS`.
enum BLAS {
    /// `X · Yᵀ` for row-major `X` (`n × d`) and `Y` (`m × d`), giving `n × m`.
    static func multiplyTransposed(_ x: Matrix, _ y: Matrix) -> Matrix {
        precondition(x.cols == y.cols)
        var out = Matrix(rows: x.rows, cols: y.rows)
        guard x.rows > 0, y.rows > 0, x.cols > 0 else { return out }
        x.storage.withUnsafeBufferPointer { xp in
            y.storage.withUnsafeBufferPointer { yp in
                out.storage.withUnsafeMutableBufferPointer { op in
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                                blasint(x.rows), blasint(y.rows), blasint(x.cols),
                                1.0, xp.baseAddress, blasint(x.cols),
                                yp.baseAddress, blasint(y.cols),
                                0.0, op.baseAddress, blasint(y.rows))
                }
            }
        }
        return out
    }

    /// `y ← A·x` (`trans == false`) or `y ← Aᵀ·x` for a row-major `rows × cols` buffer.
    static func multiplyVector(_ a: UnsafeBufferPointer<Double>, rows: Int, cols: Int, transposed: Bool,
                               _ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
        cblas_dgemv(CblasRowMajor, transposed ? CblasTrans : CblasNoTrans,
                    blasint(rows), blasint(cols), 1.0, a.baseAddress, blasint(cols),
                    x.baseAddress, 1, 0.0, y.baseAddress, 1)
    }
}

import CBLAS

/// Linear systems with a symmetric positive definite matrix (LAPACK `dposv` from OpenBLAS).
public enum Cholesky {
    /// Solves `A·xᵢ = bᵢ` for every row `bᵢ` of `rightHandSides`.
    /// - Parameters:
    ///   - a: `A`, `n × n`, symmetric positive definite (only its upper triangle is read).
    ///   - rightHandSides: `k × n`, one right-hand side per row.
    /// - Returns: `k × n`, row `i` the solution `xᵢ`; `nil` when `A` is not positive definite
    ///   (to working precision).
    public static func solve(_ a: Matrix, rightHandSides: Matrix) -> Matrix? {
        let n = a.rows
        precondition(a.cols == n && rightHandSides.cols == n, "Cholesky.solve: A is \(a.rows)×\(a.cols), the right-hand sides \(rightHandSides.rows)×\(rightHandSides.cols)")
        guard n > 0, rightHandSides.rows > 0 else { return rightHandSides }
        // Row-major `A` is its own transpose; row-major `k × n` is column-major `n × k`.
        var factor = a.storage
        var solution = rightHandSides
        var info: Int32 = 0
        var order = Int32(n), count = Int32(rightHandSides.rows), lda = Int32(n)
        let uplo: [CChar] = [CChar(UInt8(ascii: "L")), 0]
        factor.withUnsafeMutableBufferPointer { f in
            solution.storage.withUnsafeMutableBufferPointer { x in
                dposv_(uplo, &order, &count, f.baseAddress!, &lda, x.baseAddress!, &lda, &info)
            }
        }
        return info == 0 ? solution : nil
    }
}

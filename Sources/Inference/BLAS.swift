import CBLAS
import Foundation
import Transport

/// Single-precision matrix products through OpenBLAS; the only file of this module that
/// imports `CBLAS`. All matrices are row-major.
enum BLAS {
    /// `C ← α · op(A) · op(B) + β · C` with `op(A)` `m × k`, `op(B)` `k × n`, `C` `m × n`;
    /// `lda`, `ldb`, `ldc` are the row strides of the stored matrices (so a head's columns
    /// inside a wider matrix can be used in place).
    static func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }

    /// Runs `body` with OpenBLAS limited to one thread, for code that already runs BLAS
    /// calls on several threads (attention per head): avoids oversubscribing the cores.
    static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        try BLASThreads.singleThreaded(body)
    }

    /// The thread count OpenBLAS had when the process started (`OPENBLAS_NUM_THREADS`),
    /// unaffected by `singleThreaded`: how many workers to split independent BLAS calls over.
    static var threads: Int { BLASThreads.count }
}
